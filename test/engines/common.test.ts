import {
  MAX_CELL_CHARS,
  MAX_NOTICES,
  NoticeCollector,
  ResultSetBuilder,
  TRUNCATED_MARK,
  decideFinish,
  validateOptions,
} from "../../src/engines/common.js";

describe("ResultSetBuilder", () => {
  it("keeps the first keepRows rows and counts all", () => {
    const b = new ResultSetBuilder(["a"], 2);
    for (let i = 0; i < 5; i++) {
      if (b.wantsRows) b.add([String(i)]);
      else b.addUncounted(1);
    }
    expect(b.finish("SELECT", null)).toEqual({
      columns: ["a"],
      rows: [["0"], ["1"]],
      totalRows: 5,
      command: "SELECT",
      affectedRows: null,
    });
  });

  it("truncates huge cells", () => {
    const b = new ResultSetBuilder(["a", "b"], 1);
    b.add(["x".repeat(MAX_CELL_CHARS + 5), null]);
    const cell = b.finish("SELECT", null).rows[0]![0]!;
    expect(cell.length).toBe(MAX_CELL_CHARS + TRUNCATED_MARK.length);
    expect(cell.endsWith(TRUNCATED_MARK)).toBe(true);
  });
});

describe("NoticeCollector", () => {
  it("redacts and bounds notices", () => {
    const n = new NoticeCollector((t) => t.replace("secret", "[redacted]"));
    for (let i = 0; i < MAX_NOTICES + 3; i++) n.add(`secret ${i}`);
    expect(n.notices[0]).toBe("[redacted] 0");
    expect(n.notices).toHaveLength(MAX_NOTICES + 1);
    expect(n.notices.at(-1)).toContain("3 more notice(s) not kept");
  });
});

describe("decideFinish", () => {
  const base = { readOnly: false, affectedRows: 0, readOnlyByRowCount: false };

  it("commits when within the limit (the limit is inclusive)", () => {
    expect(decideFinish({ ...base, affectedRows: 5, maxAffectedRows: 5 })).toEqual({
      action: "commit",
    });
    expect(decideFinish({ ...base, affectedRows: 5 })).toEqual({ action: "commit" });
  });

  it("rolls back over the limit and says how many rows and the limit", () => {
    const d = decideFinish({ ...base, affectedRows: 6, maxAffectedRows: 5 });
    expect(d).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_MAX_AFFECTED_ROWS",
    });
    expect(d.action === "rollback" && !d.succeeded && d.message).toContain(
      "would have affected 6 row(s), over the limit of 5",
    );
  });

  it("maxAffectedRows 0 allows no write at all", () => {
    expect(decideFinish({ ...base, affectedRows: 1, maxAffectedRows: 0 })).toMatchObject({
      succeeded: false,
    });
    expect(decideFinish({ ...base, affectedRows: 0, maxAffectedRows: 0 })).toEqual({
      action: "commit",
    });
  });

  it("read-only by row count (SQL Server): any written row fails; a clean read is still rolled back", () => {
    const ro = { ...base, readOnly: true, readOnlyByRowCount: true };
    expect(decideFinish({ ...ro, affectedRows: 1 })).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_READ_ONLY",
    });
    expect(decideFinish({ ...ro, affectedRows: 0 })).toEqual({
      action: "rollback",
      succeeded: true,
    });
  });

  it("read-only enforced by the server (PostgreSQL): commits a clean read", () => {
    expect(decideFinish({ ...base, readOnly: true })).toEqual({ action: "commit" });
  });

  it("fails when the command ended or nested the transaction", () => {
    expect(decideFinish({ ...base, transactionDepth: 0 })).toMatchObject({
      code: "COUNTERSIGN_TRANSACTION_ENDED",
    });
    expect(decideFinish({ ...base, transactionDepth: 2 })).toMatchObject({
      code: "COUNTERSIGN_TRANSACTION_ENDED",
    });
    expect(decideFinish({ ...base, transactionDepth: 1 })).toEqual({ action: "commit" });
  });
});

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
