/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): error formatting.
 * Nothing here was run against a real SQL Server.
 */
import {
  formatMssqlError,
  mssqlCommitFailure,
  toMssqlErrorLike,
} from "../../src/engines/mssql-errors.js";

describe("formatMssqlError (no server)", () => {
  it("uses the SQL Server error number as code and makes the line absolute", () => {
    expect(
      formatMssqlError(
        { message: "Invalid object name 'x'.", code: "EREQUEST", number: 208, lineNumber: 2 },
        10,
        5000,
      ),
    ).toEqual({ message: "Invalid object name 'x'. (line 11 of the command)", code: "208" });
  });
  it("explains a request timeout and a lock timeout", () => {
    expect(
      formatMssqlError(
        { message: "Timeout: Request failed to complete in 5000ms", code: "ETIMEOUT" },
        1,
        5000,
      ).message,
    ).toMatch(/^Request timeout: a batch ran longer than 5000 ms/);
    expect(
      formatMssqlError(
        { message: "Lock request time out period exceeded.", number: 1222 },
        undefined,
        5000,
      ),
    ).toEqual({
      message: "Lock timeout (SET LOCK_TIMEOUT): Lock request time out period exceeded.",
      code: "1222",
    });
  });
  it("reads the number from originalError.info when the wrapper has none", () => {
    expect(
      formatMssqlError(
        { message: "m", code: "EREQUEST", originalError: { info: { number: 547 } } },
        undefined,
        1,
      ).code,
    ).toBe("547");
  });
});

describe("formatMssqlError for connection failures (no server)", () => {
  it("says the connection failed rather than blaming a request timeout", () => {
    expect(
      formatMssqlError(
        { message: "Failed to connect to h:1 in 1500ms", code: "ETIMEOUT" },
        undefined,
        1000,
        "connect",
      ),
    ).toEqual({
      message: "Could not connect to SQL Server: Failed to connect to h:1 in 1500ms",
      code: "ETIMEOUT",
    });
  });
});

describe("toMssqlErrorLike (no server)", () => {
  it("reads the fields of whatever was thrown, never throwing", () => {
    expect(toMssqlErrorLike(null)).toEqual({ message: "no error message (null was thrown)" });
    expect(toMssqlErrorLike(undefined).message).toContain("undefined");
    expect(toMssqlErrorLike("socket hang up")).toEqual({ message: "socket hang up" });
    const wrapped = Object.assign(new Error("Violation"), {
      code: "EREQUEST",
      originalError: { info: { number: 2627, lineNumber: 3 } },
    });
    expect(toMssqlErrorLike(wrapped)).toEqual({
      message: "Violation",
      code: "EREQUEST",
      originalError: { info: { number: 2627, lineNumber: 3 } },
    });
  });
});

describe("mssqlCommitFailure (no server)", () => {
  it("EABORT (the server rolled back before COMMIT, which was never sent) is rolled back", () => {
    const aborted = Object.assign(new Error("Transaction has been aborted."), { code: "EABORT" });
    expect(mssqlCommitFailure(aborted)).toEqual({
      committed: false,
      rolledBack: true,
      error: aborted,
    });
  });
  it("anything else is unknown: a lost connection, a timeout, a server error, a non-Error", () => {
    for (const error of [
      Object.assign(new Error("Connection lost"), { code: "ESOCKET" }),
      Object.assign(new Error("Timeout"), { code: "ETIMEOUT" }),
      Object.assign(new Error("log full"), { code: "EREQUEST", number: 9002 }),
      Object.assign(new Error("not begun"), { code: "ENOTBEGUN" }),
      null,
      "EABORT",
    ]) {
      expect(mssqlCommitFailure(error)).toMatchObject({ committed: false, rolledBack: false });
    }
  });
});
