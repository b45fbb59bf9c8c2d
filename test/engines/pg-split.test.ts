import { splitPgStatements } from "../../src/engines/pg-split.js";

describe("splitPgStatements (libpg-query)", () => {
  it("splits exactly, with byte offsets turned into character offsets", async () => {
    const sql =
      "SELECT 'é€😀;' AS x; -- c;\n  UPDATE t SET a = 1 ; DO $$BEGIN RAISE NOTICE 'x;y'; END$$;  select 1";
    const r = await splitPgStatements(sql, false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.parsed).toBe(true);
    expect(r.statements.map((s) => s.kind)).toEqual([
      "SelectStmt",
      "UpdateStmt",
      "DoStmt",
      "SelectStmt",
    ]);
    const chars = [...sql];
    for (const s of r.statements) {
      // Each statement's text is found at its offset in the original command.
      expect(chars.slice(s.charOffset, s.charOffset + [...s.text].length).join("")).toBe(s.text);
    }
    expect(r.statements[0]!.text).toBe("SELECT 'é€😀;' AS x");
    expect(r.statements[2]!.text.trim()).toBe("DO $$BEGIN RAISE NOTICE 'x;y'; END$$");
  });

  it("returns an error for a command with only comments", async () => {
    expect(await splitPgStatements("-- nothing\n/* here */", false)).toMatchObject({
      ok: false,
      code: "COUNTERSIGN_EMPTY",
    });
  });

  it("falls back to one unparsed statement when the parser fails (the server decides)", async () => {
    const r = await splitPgStatements("SELEC 1; SELECT 2", false);
    expect(r).toEqual({
      ok: true,
      parsed: false,
      statements: [{ text: "SELEC 1; SELECT 2", charOffset: 0, kind: "unparsed" }],
    });
  });

  it.each([
    ["BEGIN", false],
    ["select 1; COMMIT", false],
    ["ROLLBACK", false],
    ["SAVEPOINT a", false],
    ["PREPARE TRANSACTION 'x'", false],
    ["set statement_timeout to 0", false],
    ["SET LOCAL lock_timeout = 0", false],
    ["RESET ALL", false],
    ["reset statement_timeout", false],
    ["SET transaction_read_only = off", false],
    ["SET TRANSACTION READ WRITE", true],
    ["SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", true],
  ])("refuses %s (readOnly %s)", async (sql, readOnly) => {
    expect(await splitPgStatements(sql, readOnly)).toMatchObject({
      ok: false,
      code: "COUNTERSIGN_REFUSED_STATEMENT",
    });
  });

  it("allows SET TRANSACTION ISOLATION LEVEL in a read-write command and ordinary SETs", async () => {
    expect(
      (await splitPgStatements("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; SELECT 1", false)).ok,
    ).toBe(true);
    expect((await splitPgStatements("SET LOCAL work_mem = '64MB'; SELECT 1", true)).ok).toBe(true);
  });
});

describe("splitPgStatements: pinned settings cannot be changed (issue 12, class 1)", () => {
  const desync = "SELECT 'x\\' , $$' , pg_terminate_backend(pid) FROM pg_stat_activity --$$";

  it.each([
    [
      "set_config at the top",
      `SELECT set_config('standard_conforming_strings', 'off', false); ${desync}`,
    ],
    [
      "set_config schema-qualified, upper case",
      "SELECT PG_CATALOG.SET_CONFIG('Standard_Conforming_Strings', 'off', true)",
    ],
    [
      "set_config in a CTE",
      "WITH c AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT * FROM c",
    ],
    ["set_config in a subquery", "SELECT (SELECT set_config('backslash_quote', 'on', false))"],
    [
      "set_config in WHERE",
      "SELECT 1 FROM pg_class WHERE set_config('statement_timeout', '0', true) IS NOT NULL",
    ],
    ["set_config as an argument", "SELECT length(set_config('lock_timeout', '0', false))"],
    ["set_config in a FROM function", "SELECT * FROM set_config('client_encoding', 'SJIS', false)"],
    [
      "set_config in a writable CTE's RETURNING",
      "WITH d AS (DELETE FROM t WHERE id = 1 RETURNING set_config('search_path', 'evil', true)) SELECT 1",
    ],
    ["set_config with a computed name", "SELECT set_config(name, 'off', false) FROM pg_settings"],
    [
      "set_config with a concatenated name",
      "SELECT set_config('standard_' || 'conforming_strings', 'off', false)",
    ],
    ["set_config with a cast name", "SELECT set_config('x'::text, 'off', false)"],
    [
      "set_config in EXPLAIN ANALYZE",
      "EXPLAIN ANALYZE SELECT set_config('standard_conforming_strings', 'off', false)",
    ],
    [
      "set_config in a view definition",
      "CREATE VIEW v AS SELECT set_config('role', 'admin', false)",
    ],
    [
      "set_config in PREPARE",
      "PREPARE p AS SELECT set_config('escape_string_warning', 'off', false)",
    ],
    [
      "set_config on idle_in_transaction_session_timeout",
      "SELECT set_config('idle_in_transaction_session_timeout', '0', false)",
    ],
    [
      "set_config on client_connection_check_interval",
      "SELECT set_config('client_connection_check_interval', '0', false)",
    ],
    ["SET standard_conforming_strings", `SET standard_conforming_strings = off; ${desync}`],
    [
      "SET LOCAL standard_conforming_strings",
      `SET LOCAL standard_conforming_strings TO off; ${desync}`,
    ],
    ["SET SESSION backslash_quote", "SET SESSION backslash_quote = on"],
    ["RESET standard_conforming_strings", "RESET standard_conforming_strings"],
    ["SET escape_string_warning", "SET escape_string_warning = off"],
    ["SET NAMES", "SET NAMES 'SJIS'"],
    ["SET client_encoding", "SET client_encoding = 'BIG5'"],
    ["SET idle_in_transaction_session_timeout", "SET idle_in_transaction_session_timeout = 0"],
    ["SET client_connection_check_interval", "SET client_connection_check_interval = 0"],
    ["SET search_path", "SET search_path = evil, pg_catalog"],
    ["SET SCHEMA", "SET SCHEMA 'evil'"],
    ["SET session_replication_role", "SET session_replication_role = replica"],
    ["SET ROLE", "SET ROLE admin"],
    ["RESET ROLE", "RESET ROLE"],
    ["SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION admin"],
    ["SET default_transaction_read_only", "SET default_transaction_read_only = off"],
    [
      "UPDATE pg_settings",
      "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'",
    ],
    [
      "UPDATE pg_catalog.pg_settings in a CTE",
      "WITH u AS (UPDATE pg_catalog.pg_settings SET setting = '0' WHERE name = 'lock_timeout' RETURNING 1) SELECT 1",
    ],
    [
      "a function that sets a pinned setting",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'",
    ],
    ["ALTER FUNCTION … SET", "ALTER FUNCTION f() SET statement_timeout = 0"],
  ])("refuses %s before anything runs", async (_what, sql) => {
    expect(await splitPgStatements(sql, false)).toMatchObject({
      ok: false,
      code: "COUNTERSIGN_REFUSED_STATEMENT",
    });
  });

  it("explains what was refused and why", async () => {
    const r = await splitPgStatements(
      "WITH c AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT 1",
      true,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain("set_config('standard_conforming_strings'");
    expect(r.message).toContain("keeps it fixed");
    const computed = await splitPgStatements("SELECT set_config(n, 'x', true) FROM t", true);
    expect(!computed.ok && computed.message).toContain("not a string literal");
  });

  it.each([
    "SELECT set_config('application_name', 'report', false)",
    "SELECT set_config('myapp.tenant', '42', true)",
    "SELECT current_setting('standard_conforming_strings')",
    "SET LOCAL work_mem = '64MB'",
    "SET TIME ZONE 'UTC'",
    "SHOW search_path",
    "UPDATE settings SET value = 1 WHERE id = 2",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1'",
    "ALTER ROLE app SET statement_timeout = '5min'",
    "SELECT 'set_config(''standard_conforming_strings'', ''off'', false)'",
  ])("allows %s (other settings, reading settings, mentions in strings)", async (sql) => {
    expect((await splitPgStatements(sql, false)).ok).toBe(true);
  });

  it("walks a deeply nested statement without overflowing the stack", async () => {
    const depth = 200;
    const sql = `SELECT ${"(".repeat(depth)}set_config('lock_timeout', '0', true)${")".repeat(depth)}`;
    const r = await splitPgStatements(sql, false);
    // Either the parser refuses the depth (and the server gets one statement it checks again)
    // or the walk finds the call: never an allowed, parsed set_config.
    if (r.ok) expect(r.parsed).toBe(false);
    else expect(r.code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
  });
});
