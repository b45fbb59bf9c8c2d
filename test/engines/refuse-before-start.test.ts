import { validateOptions } from "../../src/engines/refuse-before-start.js";

describe("validateOptions", () => {
  const ok = {
    sql: "SELECT 1",
    readOnly: false,
    statementTimeoutMs: 1000,
    lockTimeoutMs: 1000,
    keepRows: 50,
  };
  it("accepts sane options and rejects the rest", () => {
    expect(validateOptions(ok)).toBeNull();
    expect(validateOptions({ ...ok, sql: "  " })).toMatch(/empty/);
    expect(validateOptions({ ...ok, statementTimeoutMs: 0 })).toMatch(/statementTimeoutMs/);
    expect(validateOptions({ ...ok, lockTimeoutMs: 1.5 })).toMatch(/lockTimeoutMs/);
    expect(validateOptions({ ...ok, keepRows: -1 })).toMatch(/keepRows/);
    expect(validateOptions({ ...ok, maxAffectedRows: -1 })).toMatch(/maxAffectedRows/);
  });
});
