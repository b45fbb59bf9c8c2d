/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): error formatting.
 * Nothing here was run against a real SQL Server.
 */
import { formatMssqlError } from "../../src/engines/mssql-errors.js";

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
