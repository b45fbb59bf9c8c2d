/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): what the engine refuses before connecting.
 * Nothing here was run against a real SQL Server.
 */
import { mentionsNoCount, tsqlRefusal } from "../../src/engines/mssql-refusals.js";

describe("mentionsNoCount (no server)", () => {
  it("refuses any mention of NOCOUNT, failing closed", () => {
    expect(mentionsNoCount("SET NOCOUNT ON; UPDATE t SET a = 1")).toBe(true);
    expect(mentionsNoCount("set   nocount   on")).toBe(true);
    expect(mentionsNoCount("SELECT 1 -- nocount in a comment")).toBe(true);
    expect(mentionsNoCount("UPDATE t SET a = 1")).toBe(false);
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
});
