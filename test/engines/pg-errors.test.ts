/**
 * PostgreSQL error reading without a server: what a failed COMMIT proves, and descriptions of
 * whatever was thrown. The same rules against a real server are in postgres-stops.test.ts.
 */
import {
  describePgConnectError,
  describePgError,
  pgCommitFailure,
} from "../../src/engines/pg-errors.js";

const timeouts = { statementTimeoutMs: 1_000, lockTimeoutMs: 1_000 };

function serverError(severity: string, code: string, message: string): Error {
  return Object.assign(new Error(message), { severity, code });
}

describe("pgCommitFailure", () => {
  it("a plain ERROR at COMMIT (deferred constraint, serialization failure) is rolled back", () => {
    const error = serverError("ERROR", "23505", "duplicate key value");
    expect(pgCommitFailure(error)).toEqual({ committed: false, rolledBack: true, error });
  });

  it("FATAL or PANIC (may follow the commit record), a lost connection or a localised severity is unknown", () => {
    for (const error of [
      serverError("FATAL", "57P01", "terminating connection due to administrator command"),
      serverError("PANIC", "XX000", "cannot abort transaction 1, it was already committed"),
      serverError("FEHLER", "40001", "could not serialize access"),
      new Error("Connection terminated unexpectedly"),
      null,
      undefined,
      "socket hang up",
    ]) {
      expect(pgCommitFailure(error)).toMatchObject({ committed: false, rolledBack: false });
    }
    expect(pgCommitFailure(serverError("FATAL", "57P01", "terminating connection"))).toMatchObject({
      reason: "FATAL 57P01: terminating connection",
    });
  });
});

describe("describePgError / describePgConnectError on whatever was thrown", () => {
  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a string", "socket hang up"],
    ["an object without a prototype", Object.create(null) as unknown],
  ])("%s is described without throwing", (_name, thrown) => {
    expect(describePgError(thrown, undefined, timeouts).message).toEqual(expect.any(String));
    expect(describePgConnectError(thrown).message).toMatch(/^Could not connect to PostgreSQL: ./);
  });

  it("keeps the details of a real server error", () => {
    const error = Object.assign(new Error("boom"), {
      code: "P0001",
      detail: "d",
      hint: "h",
      where: "w",
      position: "3",
    });
    expect(
      describePgError(error, { text: "x", charOffset: 10, kind: "SelectStmt" }, timeouts),
    ).toEqual({
      message: "boom\nDETAIL: d\nHINT: h\nCONTEXT: w",
      code: "P0001",
      position: 13,
    });
  });
});
