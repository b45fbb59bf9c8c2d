/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): DONE-count interpretation and cell stringification.
 * Nothing here was run against a real SQL Server.
 */
import { MssqlResultAssembler, stringifyMssqlCell } from "../../src/engines/mssql-results.js";

describe("MssqlResultAssembler: stream events → ResultSets (simulated events, no server)", () => {
  it("treats a count that closes a result set as its row count and a bare count as a write", () => {
    const a = new MssqlResultAssembler(2);
    // UPDATE … (3 rows), then SELECT id, name (4 rows), then DELETE (1 row)
    a.rowsAffected(3);
    a.recordset([
      { name: "id", kind: "int" },
      { name: "name", kind: "nvarchar" },
    ]);
    for (let i = 1; i <= 4; i++) a.row([i, `n${i}`]);
    a.rowsAffected(4);
    a.rowsAffected(1);
    a.finish();
    expect(a.resultSets).toEqual([
      { columns: [], rows: [], totalRows: 0, command: "ROWS AFFECTED", affectedRows: 3 },
      {
        columns: ["id", "name"],
        rows: [
          ["1", "n1"],
          ["2", "n2"],
        ],
        totalRows: 4,
        command: "RESULT SET",
        affectedRows: null,
      },
      { columns: [], rows: [], totalRows: 0, command: "ROWS AFFECTED", affectedRows: 1 },
    ]);
    expect(a.affectedRows).toBe(4);
  });

  it("keeps a result set that is followed by another without a count, and a trailing one", () => {
    const a = new MssqlResultAssembler(10);
    a.recordset([{ name: "a", kind: "int" }]);
    a.row([1]);
    a.recordset([{ name: "b", kind: "int" }]);
    a.row([2]);
    a.finish();
    expect(a.resultSets.map((s) => [s.columns, s.totalRows])).toEqual([
      [["a"], 1],
      [["b"], 1],
    ]);
    expect(a.affectedRows).toBe(0);
  });

  it("keeps duplicate column names (array rows)", () => {
    const a = new MssqlResultAssembler(1);
    a.recordset([
      { name: "", kind: "int" },
      { name: "", kind: "int" },
    ]);
    a.row([1, 2]);
    a.finish();
    expect(a.resultSets[0]!.rows).toEqual([["1", "2"]]);
  });
});

describe("stringifyMssqlCell (no server)", () => {
  const d = new Date(Date.UTC(2024, 2, 5, 6, 7, 8, 123));
  it("formats the date/time types", () => {
    expect(stringifyMssqlCell("datetime2", d)).toBe("2024-03-05T06:07:08.123");
    expect(stringifyMssqlCell("datetime", d)).toBe("2024-03-05T06:07:08.123");
    expect(stringifyMssqlCell("datetimeoffset", d)).toBe("2024-03-05T06:07:08.123Z");
    expect(stringifyMssqlCell("date", d)).toBe("2024-03-05");
    expect(stringifyMssqlCell("time", d)).toBe("06:07:08.123");
  });
  it("formats binary, bit, numbers, strings, NULL and objects", () => {
    expect(stringifyMssqlCell("varbinary", Buffer.from([0xde, 0xad]))).toBe("\\xdead");
    expect(stringifyMssqlCell("bit", true)).toBe("1");
    expect(stringifyMssqlCell("int", 42)).toBe("42");
    expect(stringifyMssqlCell("bigint", "9007199254740993")).toBe("9007199254740993");
    expect(stringifyMssqlCell("nvarchar", "x")).toBe("x");
    expect(stringifyMssqlCell("int", null)).toBeNull();
    expect(stringifyMssqlCell("geography", { points: [1] })).toBe('{"points":[1]}');
  });
});

describe("MssqlResultAssembler scrubs credentials (issue 12, class 9; no server)", () => {
  it("scrubs column names and cells with the engine's redactor before cutting", () => {
    const redact = (text: string) => text.split("Pw_$|`@1").join("[redacted]");
    const a = new MssqlResultAssembler(5, redact);
    a.recordset([{ name: "col_Pw_$|`@1", kind: "nvarchar" }]);
    a.row(["x Pw_$|`@1 y"]);
    a.finish();
    expect(a.resultSets[0]).toMatchObject({
      columns: ["col_[redacted]"],
      rows: [["x [redacted] y"]],
    });
  });
});
