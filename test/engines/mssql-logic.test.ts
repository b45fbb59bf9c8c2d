/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): URL → config, GO batch planning, DONE-count interpretation, cell stringification, error
 * formatting. Nothing here was run against a real SQL Server.
 */
import {
  MssqlResultAssembler,
  formatMssqlError,
  pinnedSessionBatch,
  mentionsNoCount,
  tsqlRefusal,
  parseMssqlUrl,
  planBatches,
  stringifyMssqlCell,
} from "../../src/engines/mssql-logic.js";

describe("parseMssqlUrl (no server)", () => {
  it("maps a full URL onto the mssql config, encrypted and verified by default", () => {
    const r = parseMssqlUrl(
      "mssql://app:p%40ss@db.example.com:14330/Sales?encrypt=true&connectTimeout=5000",
    );
    expect(r).toEqual({
      ok: true,
      config: {
        server: "db.example.com",
        port: 14330,
        database: "Sales",
        user: "app",
        password: "p@ss",
        connectionTimeout: 5000,
        pool: { max: 1, min: 0, idleTimeoutMillis: 1000 },
        options: { encrypt: true, trustServerCertificate: false, appName: "countersign" },
      },
    });
  });

  it("accepts sqlserver://, the default port, trustServerCertificate, instanceName and applicationIntent", () => {
    const r = parseMssqlUrl(
      "sqlserver://sa:x@host/db?trustServerCertificate=true&encrypt=false&instanceName=SQLEXPRESS&applicationIntent=ReadOnly",
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBeUndefined(); // the instance name wins (resolved by SQL Browser)
    expect(r.config.options).toEqual({
      encrypt: false,
      trustServerCertificate: true,
      appName: "countersign",
      instanceName: "SQLEXPRESS",
      readOnlyIntent: true,
    });
    const plain = parseMssqlUrl("mssql://sa:x@host/db");
    expect(plain.ok && plain.config.port).toBe(1433);
  });

  it.each([
    ["mssql://sa:Secret1@host:1433", /exactly one database/],
    ["mssql://host:1433/db", /no user/],
    ["mssql://sa:Secret1@host:1433/db?encrypt=maybe", /encrypt must be true or false/],
    [
      "mssql://sa:Secret1@host:1433/db?Password=Other2",
      /Unknown SQL Server URL parameter "Password"/,
    ],
    ["mssql://sa:Secret1@host:1433/db?connectTimeout=-1", /connectTimeout/],
    [
      "sqlserver://host:1433;databaseName=db;user=sa;password=Secret1",
      /malformed|exactly one database|no user/,
    ],
    ["mssql://sa:Secret1@:1433/db", /malformed|no host/],
  ])("rejects %s without quoting credentials", (url, why) => {
    const r = parseMssqlUrl(url);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(why);
    expect(r.error).not.toContain("Secret1");
    expect(r.error).not.toContain("Other2");
  });
});

describe("planBatches (GO handling, no server)", () => {
  it("repeats GO n batches and drops empty ones", () => {
    expect(
      planBatches([
        { text: "INSERT t VALUES (1)\n", startLine: 1, repeat: 3 },
        { text: "  \n", startLine: 3, repeat: 1 },
        { text: "SELECT 1", startLine: 4, repeat: 1 },
      ]),
    ).toEqual([
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "SELECT 1", startLine: 4 },
    ]);
  });
});

describe("mentionsNoCount (no server)", () => {
  it("refuses any mention of NOCOUNT, failing closed", () => {
    expect(mentionsNoCount("SET NOCOUNT ON; UPDATE t SET a = 1")).toBe(true);
    expect(mentionsNoCount("set   nocount   on")).toBe(true);
    expect(mentionsNoCount("SELECT 1 -- nocount in a comment")).toBe(true);
    expect(mentionsNoCount("UPDATE t SET a = 1")).toBe(false);
  });
});

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

describe("tsqlRefusal: what the SQL Server engine refuses before connecting (issue 12, class 1; no server)", () => {
  it.each([
    ["SET LOCK_TIMEOUT -1; UPDATE t SET a = 1 WHERE id = 1", "LOCK_TIMEOUT"],
    ["set lock_timeout 0", "LOCK_TIMEOUT"],
    ["SET XACT_ABORT OFF", "XACT_ABORT"],
    ["SET IMPLICIT_TRANSACTIONS ON", "IMPLICIT_TRANSACTIONS"],
    ['SET QUOTED_IDENTIFIER OFF\nGO\nSELECT "x"', "QUOTED_IDENTIFIER"],
    ["SET ANSI_NULLS OFF", "ANSI_NULLS"],
    ["SET ANSI_DEFAULTS ON", "ANSI_DEFAULTS"],
    ["SET ANSI_WARNINGS, ANSI_PADDING OFF", "ANSI_WARNINGS"],
    ["SET ARITHABORT ON, QUOTED_IDENTIFIER OFF", "QUOTED_IDENTIFIER"],
    ["SET ARITHABORT OFF", "ARITHABORT"],
    ["SET ANSI_NULL_DFLT_OFF ON", "ANSI_NULL_DFLT_OFF"],
    ["SET ANSI_SOMETHING_NEW ON", "ANSI_SOMETHING_NEW"],
    ["SET XACT_ABORT ON", "XACT_ABORT"],
    ["SET NOEXEC ON", "NOEXEC"],
    ["SET FMTONLY ON", "FMTONLY"],
    ["SET SHOWPLAN_XML ON", "SHOWPLAN_XML"],
    ["SET CURSOR_CLOSE_ON_COMMIT ON", "CURSOR_CLOSE_ON_COMMIT"],
    ["SELECT 1; SET NOCOUNT ON", "NOCOUNT"],
    ["UPDATE t SET a = 1 WHERE id = 1; COMMIT", "COMMIT"],
    ["COMMIT TRANSACTION", "COMMIT"],
    ["commit", "COMMIT"],
    ["ROLLBACK TRAN", "ROLLBACK"],
    ["IF @@TRANCOUNT > 0 ROLLBACK", "ROLLBACK"],
    ["BEGIN TRAN; DELETE FROM t WHERE id = 1", "BEGIN TRAN"],
    ["begin transaction x", "BEGIN TRANSACTION"],
    ["BEGIN DISTRIBUTED TRANSACTION", "BEGIN DISTRIBUTED"],
    ["SAVE TRAN sp1", "SAVE TRAN"],
    ["SAVE TRANSACTION sp1", "SAVE TRANSACTION"],
    ["EXECUTE AS USER = 'dbo'; SELECT 1", "EXECUTE AS"],
    ["EXEC AS LOGIN = 'sa'", "EXECUTE AS"],
    ["EXECUTE AS USER = 'dbo'; SELECT 1; REVERT", "EXECUTE AS"],
    ["REVERT", "REVERT"],
    ["SETUSER 'dbo'", "SETUSER"],
    ["CREATE PROCEDURE p AS BEGIN UPDATE t SET a = 1; COMMIT; END", "COMMIT"],
    ["SELECT 1 /* nested /* comment */ still */; COMMIT", "COMMIT"],
  ])("refuses %s", (sql, what) => {
    const refusal = tsqlRefusal(sql);
    expect(refusal).not.toBeNull();
    expect(refusal).toContain(what);
  });

  it.each([
    ["a lone CR, which ends a -- comment for SQL Server", "SELECT 1 -- x\rCOMMIT"],
    ["a NUL", "SELECT 1\u0000; COMMIT"],
    ["a Unicode line separator", "SELECT 1 -- x\u2028DROP TABLE t"],
    ["an unterminated comment", "SELECT 1 /* COMMIT"],
    ["an unterminated string", "SELECT 'COMMIT"],
  ])("refuses text it cannot read the way SQL Server does: %s", (_what, sql) => {
    expect(tsqlRefusal(sql)).not.toBeNull();
  });

  it.each([
    "SELECT 'COMMIT; ROLLBACK; SET XACT_ABORT OFF' AS words",
    "SELECT [commit], [rollback] FROM t",
    'SELECT "ROLLBACK" FROM t',
    "SELECT 1 -- COMMIT in a comment\r\nSELECT 2",
    "SELECT 1 /* BEGIN TRAN */",
    "UPDATE t SET xact_abort = 1, lock_timeout = 2 WHERE id = 1",
    "UPDATE t SET quoted_identifier = 0 WHERE id = 1",
    "SET TRANSACTION ISOLATION LEVEL SNAPSHOT; SELECT 1",
    "SET ANSI_NULLS ON\nGO\nSET QUOTED_IDENTIFIER ON\nGO\nSELECT 1",
    "SET ANSI_NULLS, ANSI_PADDING, ANSI_WARNINGS, ARITHABORT, CONCAT_NULL_YIELDS_NULL, QUOTED_IDENTIFIER ON; SET NUMERIC_ROUNDABORT OFF",
    "SET DATEFORMAT ymd; SET ROWCOUNT 10; SET DEADLOCK_PRIORITY LOW; SELECT 1",
    "DECLARE @x int; SET @x = 1; SELECT @x",
    "BEGIN TRY SELECT 1 END TRY BEGIN CATCH SELECT 2 END CATCH",
    "IF 1 = 1 BEGIN SELECT 1 END",
    "CREATE PROCEDURE p WITH EXECUTE AS OWNER AS SELECT 1",
    "CREATE FUNCTION f() RETURNS int WITH SCHEMABINDING, EXECUTE AS CALLER AS BEGIN RETURN 1 END",
    "EXEC sp_who",
    "EXECUTE dbo.p @a = 1",
    "SELECT 1\nGO\nSELECT 2",
  ])("allows %s", (sql) => {
    expect(tsqlRefusal(sql)).toBeNull();
  });

  it("pins the transaction options and how text is read in the first batch", () => {
    const batch = pinnedSessionBatch(1_500);
    for (const set of [
      "SET XACT_ABORT ON;",
      "SET LOCK_TIMEOUT 1500;",
      "SET IMPLICIT_TRANSACTIONS OFF;",
      "SET QUOTED_IDENTIFIER ON;",
      "SET ANSI_NULLS ON;",
    ])
      expect(batch).toContain(set);
    // NOT verified against a real SQL Server: that these SETs are accepted inside an open
    // transaction and hold for the following batches is documented T-SQL behaviour only.
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
