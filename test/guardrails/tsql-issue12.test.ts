/**
 * Issue 12, T-SQL side, tested through classifyTsql directly (not through classify.ts, whose
 * own checks run first): the classifier must be right on its own.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_DENY, type GuardrailPolicy } from "../../src/policy/config.js";
import { classifyTsql } from "../../src/guardrails/tsql.js";
import { evaluateGuardrails } from "../../src/guardrails/verdict.js";
import type { Classification, StatementInfo } from "../../src/guardrails/types.js";

function statements(sql: string): StatementInfo[] {
  const result = classifyTsql(sql);
  if (!result.ok) throw new Error(`unparsed: ${result.error.message}`);
  return result.statements;
}

function flags(sql: string): string[] {
  return [...new Set(statements(sql).flatMap((s) => s.flags))].sort();
}

function refused(sql: string): boolean {
  return statements(sql).some((s) => s.refusal !== undefined);
}

const defaults: GuardrailPolicy = { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false };

describe("class 3: comments end where SQL Server ends them", () => {
  test.each([
    ["lone CR", "SELECT 1 -- x\rCOMMIT; DROP TABLE users"],
    ["CRLF", "SELECT 1 -- x\r\nCOMMIT; DROP TABLE users"],
    ["LF", "SELECT 1 -- x\nCOMMIT; DROP TABLE users"],
  ])("a -- comment ends at %s", (_name, sql) => {
    const found = statements(sql);
    expect(found.map((s) => s.command)).toEqual(["SELECT", "COMMIT", "DROP TABLE"]);
    expect(found[1]?.refusal).toMatch(/COMMIT is refused/);
    expect(found[2]?.flags).toContain("drop");
    expect(evaluateGuardrails(classifyTsql(sql), defaults, sql).allowed).toBe(false);
  });

  test("a lone CR inside a string or [name] is text, not a line end", () => {
    expect(flags("SELECT '-- a\rDROP TABLE x', [b\r--c] FROM t")).toEqual([]);
  });

  test("block comments nest; -- inside them changes nothing", () => {
    expect(flags("/* a /* -- b */ DROP TABLE x */ SELECT 1")).toEqual([]);
    expect(flags("/* a /* b */ */ DROP TABLE x")).toContain("drop");
  });

  test('N\'…\', [a]]b] and "a""b" keep -- and ; as text', () => {
    expect(statements('SELECT N\'x; -- y\', [a]]--;b], "c""--;d" FROM t')).toHaveLength(1);
  });

  test("a GO line ends at LF only: a GO after a lone CR is not a batch separator", () => {
    const found = statements("SELECT 1 --\rGO\rDROP TABLE users");
    expect(found.map((s) => s.batch)).toEqual([0, 0]);
    expect(found[1]?.flags).toContain("drop");
  });

  test("NUL is refused", () => {
    const result = classifyTsql("SELECT 1\u0000; DROP TABLE users");
    expect(result.ok).toBe(false);
  });
});

describe("class 6: every input gets a verdict, deep nesting fails closed", () => {
  const deep: [string, string][] = [
    ["2,500 parentheses", `SELECT ${"(".repeat(2500)}1${")".repeat(2500)}`],
    [
      "2,500 parentheses in a WHERE",
      `DELETE FROM t WHERE ${"(".repeat(2500)}1=1${")".repeat(2500)}`,
    ],
    ["4,000 nested IF", `${"IF 1=1 ".repeat(4000)}SELECT 1`],
    ["4,100 nested BEGIN…END", `${"BEGIN ".repeat(4100)}SELECT 1 ${"END ".repeat(4100)}`],
    [
      "nested TRY/CATCH",
      `${"BEGIN TRY ".repeat(1200)}SELECT 1 ${"END TRY BEGIN CATCH SELECT 2 END CATCH ".repeat(1200)}`,
    ],
    [
      "nested composable DML",
      `INSERT INTO t SELECT * FROM ${"(DELETE FROM u OUTPUT deleted.* WHERE id IN ".repeat(300)}(1)${")".repeat(300)}`,
    ],
  ];

  test.each(deep)("%s: ok:false with a clear reason", (_name, sql) => {
    expect(sql.length).toBeLessThan(64 * 1024);
    const result = classifyTsql(sql);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/nested deeper than 200 levels/);
  });

  test("long but shallow input is classified, and quickly", () => {
    const cases = [
      `DELETE FROM t WHERE ${"NOT ".repeat(20000)}1=0`,
      `DELETE FROM t WHERE ${"- ".repeat(20000)}1 = 1`,
      `SELECT ${"CASE WHEN 1=1 THEN ".repeat(3000)}1${" END".repeat(3000)}`,
      Array.from({ length: 3000 }, (_, i) => `IF @a = ${i} SELECT ${i}`).join(" ELSE "),
      `INSERT INTO t SELECT * FROM ${"(DELETE FROM u OUTPUT deleted.* WHERE id IN ".repeat(150)}(1)${")".repeat(150)}`,
    ];
    for (const sql of cases) {
      const started = Date.now();
      const result = classifyTsql(sql);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(result.ok).toBe(true);
    }
  });

  test("a NOT chain of odd length still folds", () => {
    expect(flags(`DELETE FROM t WHERE ${"NOT ".repeat(2001)}1=0`)).toContain(
      "delete_without_where",
    );
  });

  test("random token soup never throws and never allows a spliced DROP", () => {
    const pieces = [
      "(",
      ")",
      "BEGIN",
      "END",
      "IF",
      "1=1",
      "SELECT",
      "1",
      "'x'",
      "[n]",
      ";",
      "--",
      "\n",
      "/*",
      "*/",
      "CASE",
      "WHEN",
      "THEN",
      "ELSE",
      "GO\n",
      "N'",
      "WITH",
      "AS",
      "MERGE",
      "ON",
      "EXEC",
    ];
    let seed = 12;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let round = 0; round < 300; round += 1) {
      const words = Array.from({ length: 40 }, () => pieces[next() % pieces.length] as string);
      const sql = `${words.join(" ")}\nGO\nDROP TABLE users`;
      let result: Classification | undefined;
      expect(() => {
        result = classifyTsql(sql);
      }).not.toThrow();
      expect(evaluateGuardrails(result as Classification, defaults, sql).allowed).toBe(false);
    }
  });
});

describe("class 1: refused at intake", () => {
  test.each([
    "SET LOCK_TIMEOUT 0",
    "SET XACT_ABORT OFF",
    "SET XACT_ABORT ON",
    "SET IMPLICIT_TRANSACTIONS ON",
    "SET ANSI_NULLS OFF",
    "SET ANSI_DEFAULTS ON",
    "SET QUOTED_IDENTIFIER OFF",
    "SET ANSI_PADDING, ANSI_WARNINGS OFF",
    "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED",
    "SET NOCOUNT ON",
    "COMMIT",
    "COMMIT WORK",
    "COMMIT TRANSACTION t1",
    "ROLLBACK",
    "ROLLBACK WORK",
    "BEGIN TRAN",
    "BEGIN TRANSACTION t1 WITH MARK",
    "BEGIN DISTRIBUTED TRAN",
    "SAVE TRAN s1",
    "EXECUTE AS LOGIN = 'sa'",
    "EXEC AS CALLER",
    "REVERT",
    "SETUSER",
    "EXEC sp_setapprole 'a', 'b'",
    "ALTER TABLE t ADD c int\nSET IMPLICIT_TRANSACTIONS ON",
    "ALTER DATABASE prod SET RECOVERY FULL\nSET NOCOUNT ON",
    "UPDATE t SET a = 1 WHERE id = 1\nSET LOCK_TIMEOUT -1",
    "IF 1 = 1 ROLLBACK",
    "EXEC ('COMMIT')",
    "EXEC (N'SET ' + N'LOCK_TIMEOUT 0')",
    "EXEC sp_executesql N'ROLLBACK'",
    "EXECUTE ('EXEC (''BEGIN TRAN'')')",
    "WHILE 1 = 1 BEGIN COMMIT END",
  ])("%s", (sql) => {
    expect(refused(sql)).toBe(true);
    const verdict = evaluateGuardrails(
      classifyTsql(sql),
      { deny: [], warn: [], allowUnparsed: true },
      sql,
    );
    expect(verdict.denied.map((hit) => hit.rule)).toContain("refused");
  });

  test.each([
    "SET ANSI_NULLS ON",
    "SET QUOTED_IDENTIFIER ON",
    "SET ANSI_NULLS, ANSI_PADDING, ANSI_WARNINGS, CONCAT_NULL_YIELDS_NULL, ARITHABORT ON",
    "SET NUMERIC_ROUNDABORT OFF",
    "SET DATEFORMAT dmy",
    "SET STATISTICS IO ON",
    "UPDATE t SET nocount = 1 WHERE id = 1",
    "UPDATE t SET xact_abort += 1 WHERE id = 1",
    "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES p(id) ON DELETE SET NULL",
    "ALTER DATABASE SCOPED CONFIGURATION SET MAXDOP = 1",
    "ALTER DATABASE prod SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
    "CREATE PROCEDURE p AS BEGIN BEGIN TRAN; COMMIT; SET XACT_ABORT OFF; END",
    "CREATE PROCEDURE p WITH EXECUTE AS OWNER AS SELECT 1",
    "EXEC (@sql)",
    "EXEC ('SELECT 1')",
  ])("not refused: %s", (sql) => {
    expect(refused(sql)).toBe(false);
  });
});

describe("class 2: read is an allowlist", () => {
  test.each([
    ["SELECT * FROM OPENQUERY(l, 'SELECT 1')", "admin"],
    ["SELECT NEXT VALUE FOR s", "write"],
    ["RAISERROR('x', 1, 1) WITH NOWAIT, LOG", "admin"],
    ["WAITFOR DELAY '00:00:05'", "admin"],
    ["SELECT dbo.f(1)", "admin"],
    ["SELECT * FROM reporting.totals(2024)", "admin"],
    ["EXEC sp_help", "admin"],
    ["sp_who", "admin"],
  ])("%s is %s, not read", (sql, kind) => {
    expect(statements(sql).map((s) => s.kind)).toEqual([kind]);
  });

  test("a flagged statement is never read", () => {
    for (const sql of [
      "SELECT * FROM OPENROWSET('a', 'b', 'c')",
      "SELECT 1 FROM t WHERE x IN (SELECT * FROM OPENDATASOURCE('a','b').d.e.f)",
    ]) {
      for (const statement of statements(sql)) {
        if (statement.flags.length > 0) expect(statement.kind).not.toBe("read");
      }
    }
  });

  test("readFunctions lets an operator declare a function side-effect free", () => {
    const sql = "SELECT reporting.totals(2024), dbo.[Score](1)";
    expect(statements(sql)[0]?.kind).toBe("admin");
    const result = classifyTsql(sql, { readFunctions: ["reporting.totals", "dbo.score"] });
    expect(result.ok && result.statements[0]?.kind).toBe("read");
  });

  test("built-ins, sys functions, types and xml methods keep a SELECT read", () => {
    const sql =
      "SELECT COUNT(*), MAX(a), CAST(b AS varchar(10)), TRY_CONVERT(decimal(9,2), c), d.value('x', 'int'), ROW_NUMBER() OVER (ORDER BY a) FROM t CROSS APPLY sys.dm_exec_sql_text(h) q CROSS APPLY OPENJSON(j) WITH (k int) o";
    expect(statements(sql).map((s) => s.kind)).toEqual(["read"]);
    const more =
      "SELECT v.a FROM (VALUES (1)) v(a) CROSS APPLY STRING_SPLIT('a,b', ',') s(value) OPTION (USE HINT ('FORCE_LEGACY_CARDINALITY_ESTIMATION'))";
    expect(statements(more).map((s) => s.kind)).toEqual(["read"]);
  });
});

describe("class 5: always-true predicates", () => {
  test.each([
    "1 IN (1)",
    "2 BETWEEN 1 AND 3",
    "'a' LIKE '%'",
    "'abc' LIKE 'a_c'",
    "EXISTS (SELECT 1)",
    "NOT EXISTS (SELECT 1 WHERE 1 = 0) OR EXISTS (SELECT NULL)",
    "col = col",
    "t.col >= t.col",
    "ISNULL(NULL, 1) = 1",
    "COALESCE(NULL, NULL, 'x') = 'X'",
    "NULLIF(1, 2) = 1",
    "1 <> 2",
    "NOT 1 = 2",
    "1 = 1 OR id = 5",
    "(1) = 1",
    "((1 = 1))",
    "2 * 3 = 6",
    "'a' + 'b' = 'ab'",
    "NULL IS NULL",
    "1 IS NOT NULL",
    "id IS NOT DISTINCT FROM id",
    "3 NOT IN (1, 2)",
    "5 NOT BETWEEN 1 AND 3",
    "name LIKE '%%'",
    // Names no column and the folder cannot read it: every row, none, or a random share.
    "RAND() < 0.5",
    "GETDATE() > '2000-01-01'",
  ])("WHERE %s counts as no WHERE", (predicate) => {
    expect(flags(`DELETE FROM users WHERE ${predicate}`)).toContain("delete_without_where");
    expect(flags(`UPDATE users SET a = 1 WHERE ${predicate}`)).toContain("update_without_where");
  });

  test.each([
    "id = 1",
    "1 IN (id)",
    "NULL = NULL",
    "1 IN (2, NULL)",
    "EXISTS (SELECT 1 FROM t)",
    "EXISTS (SELECT @x)",
    "name LIKE 'a%'",
    "name LIKE '%' ESCAPE '!'",
    "'a' LIKE '[a]'",
    "id = 1 AND 1 = 1",
    "a + 1 = a + 1",
    "dbo.f(1) = dbo.f(1)",
    "1 = 1 AND id IN (SELECT id FROM banned)",
  ])("WHERE %s restricts rows (or cannot be proved not to)", (predicate) => {
    expect(flags(`DELETE FROM users WHERE ${predicate}`)).not.toContain("delete_without_where");
  });

  test("MERGE: by source always, matched only when nothing restricts rows", () => {
    const merge = (on: string, when: string): string[] =>
      flags(`MERGE dbo.t AS t USING dbo.s AS s ON ${on} ${when};`);
    expect(merge("t.id = s.id", "WHEN NOT MATCHED BY SOURCE THEN DELETE")).toContain(
      "delete_without_where",
    );
    expect(
      merge("t.id = s.id", "WHEN NOT MATCHED BY SOURCE AND t.x = 1 THEN UPDATE SET t.y = 0"),
    ).toContain("update_without_where");
    expect(merge("1 = 1", "WHEN MATCHED THEN DELETE")).toContain("delete_without_where");
    expect(merge("1 = 1", "WHEN MATCHED AND 1 IN (1) THEN UPDATE SET t.v = 1")).toContain(
      "update_without_where",
    );
    expect(merge("1 = 1", "WHEN MATCHED AND t.v = 0 THEN DELETE")).not.toContain(
      "delete_without_where",
    );
    expect(merge("t.id = s.id", "WHEN MATCHED THEN DELETE")).not.toContain("delete_without_where");
    expect(
      merge("t.id = s.id", "WHEN NOT MATCHED BY TARGET THEN INSERT (id) VALUES (s.id)"),
    ).toEqual(["write"]);
    expect(flags("MERGE #t AS t USING s ON 1 = 1 WHEN MATCHED THEN DELETE;")).toEqual(["write"]);
  });
});

describe("class 4 and 7", () => {
  test.each([
    "ALTER AUTHORIZATION ON OBJECT::dbo.t TO bob",
    "EXEC sp_adduser 'bob'",
    "EXEC sp_changedbowner 'sa'",
    "EXEC sp_addsrvrolemember 'bob', 'sysadmin'",
    "EXEC sp_addrolemember 'db_owner', 'bob'",
    "ALTER SERVER ROLE sysadmin ADD MEMBER bob",
    "ALTER ROLE db_owner ADD MEMBER bob",
    "sp_addrolemember 'db_owner', 'bob'",
  ])("%s carries grant", (sql) => {
    expect(flags(sql)).toContain("grant");
  });

  test.each([
    "SINGLE_USER",
    "OFFLINE",
    "EMERGENCY",
    "READ_ONLY",
    "RESTRICTED_USER",
    "TRUSTWORTHY ON",
  ])("ALTER DATABASE … SET %s is admin_functions", (option) => {
    expect(flags(`ALTER DATABASE prod SET ${option}`)).toContain("admin_functions");
  });

  test("function and trigger bodies are scanned like procedure bodies", () => {
    expect(flags("CREATE FUNCTION f() RETURNS int AS BEGIN DROP TABLE x; RETURN 1 END")).toContain(
      "drop",
    );
    expect(flags("CREATE TRIGGER tr ON t AFTER DELETE AS TRUNCATE TABLE audit")).toContain(
      "truncate",
    );
    expect(flags("CREATE OR ALTER TRIGGER tr ON t AFTER DELETE AS EXEC xp_cmdshell 'x'")).toContain(
      "admin_functions",
    );
  });

  test("session tables are not production data", () => {
    for (const sql of [
      "DROP TABLE #t",
      "DROP TABLE IF EXISTS #a, ##b",
      "DROP TABLE tempdb..#t",
      "TRUNCATE TABLE #t",
      "DELETE FROM #t",
      "DELETE TOP (10) FROM #t",
      "UPDATE #t SET a = 1",
      "DELETE @t",
      "UPDATE @t SET a = 1",
      "IF OBJECT_ID('tempdb..#t') IS NOT NULL DROP TABLE #t",
    ]) {
      expect(flags(sql).filter((name) => name !== "ddl" && name !== "write")).toEqual([]);
    }
    expect(flags("DROP TABLE #t, dbo.users")).toContain("drop");
    expect(flags("UPDATE u SET a = 1 FROM dbo.users u JOIN #t x ON x.id = u.id")).toContain(
      "update_without_where",
    );
  });

  test("temporal tables, bare procedure calls and parenthesised queries parse", () => {
    expect(
      statements(
        "CREATE TABLE t (a datetime2 GENERATED ALWAYS AS ROW START HIDDEN NOT NULL, b datetime2 GENERATED ALWAYS AS ROW END HIDDEN NOT NULL, PERIOD FOR SYSTEM_TIME (a, b)) WITH (SYSTEM_VERSIONING = ON)",
      ),
    ).toHaveLength(1);
    expect(statements("sp_spaceused 'T'")[0]?.command).toBe("EXEC");
    expect(statements("[dbo].[usp_x] 1, 'a'")[0]?.command).toBe("EXEC");
    expect(statements("(SELECT 1) UNION (SELECT 2)").map((s) => s.kind)).toEqual(["read"]);
    expect(
      statements("((SELECT a FROM t)) UNION ALL (SELECT b FROM u) ORDER BY 1")[0]?.tables,
    ).toEqual(["t", "u"]);
    expect(classifyTsql("(1)").ok).toBe(false);
    expect(classifyTsql("SELECT 1; sp_who").ok).toBe(false);
  });
});

describe("corpus rules", () => {
  interface Entry {
    name: string;
    sql: string;
    expect: { rule?: string };
  }
  const url = new URL("./corpus/mssql.json", `file://${process.cwd()}/test/guardrails/`);
  const entries = (JSON.parse(readFileSync(url, "utf8")) as Entry[]).filter(
    (entry) => entry.expect.rule !== undefined,
  );

  test("at least 70 cases name the rule that must fire", () => {
    expect(entries.length).toBeGreaterThanOrEqual(70);
  });

  test.each(entries.map((entry) => [entry.name, entry] as const))("%s", (_name, entry) => {
    const rule = entry.expect.rule as string;
    const result = classifyTsql(entry.sql);
    if (rule === "unparsed") {
      // classify.ts may refuse some of these first (lone CR, NUL); classifyTsql alone
      // must still deny them, by refusing or by a rule.
      const verdict = evaluateGuardrails(result, defaults, entry.sql);
      expect(verdict.allowed).toBe(false);
    } else if (rule === "allow") {
      expect(evaluateGuardrails(result, defaults, entry.sql).allowed).toBe(true);
    } else if (rule === "refused") {
      expect(result.ok && result.statements.some((s) => s.refusal !== undefined)).toBe(true);
    } else {
      const policy: GuardrailPolicy = {
        deny: [rule as (typeof DEFAULT_DENY)[number]],
        warn: [],
        allowUnparsed: false,
      };
      expect(evaluateGuardrails(result, policy, entry.sql).denied.map((hit) => hit.rule)).toContain(
        rule,
      );
    }
  });
});
