/**
 * PostgreSQL engine against a REAL server: TEST_DATABASE_URL (CI sets it; locally e.g.
 * postgres://postgres@127.0.0.1:5432/test). Without it the suite is skipped, loudly.
 */
import pg from "pg";
import { PostgresEngine } from "../../src/engines/postgres.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import type { ExecuteOptions, ExecutionOutcome } from "../../src/engines/types.js";

const DATABASE_URL = TEST_SERVER_URL;
const describeWithDb = describeWithServer("the PostgreSQL engine tests against a real server");

const SCHEMA = `cs_engine_${process.pid}_${Date.now().toString(36)}`;

function options(sql: string, extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    sql,
    readOnly: false,
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 2_000,
    keepRows: 50,
    ...extra,
  };
}

function expectFailed(outcome: ExecutionOutcome): NonNullable<ExecutionOutcome["error"]> {
  expect(outcome.status).toBe("failed");
  expect(outcome.error).toBeDefined();
  return outcome.error as NonNullable<ExecutionOutcome["error"]>;
}

describeWithDb("PostgresEngine (real PostgreSQL at TEST_DATABASE_URL)", () => {
  const url = DATABASE_URL ?? "";
  let admin: pg.Client;
  let engine: PostgresEngine;

  async function count(table: string, where = "true"): Promise<number> {
    const r = await admin.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${SCHEMA}.${table} WHERE ${where}`,
    );
    return Number(r.rows[0]?.n);
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${SCHEMA}`);
    engine = new PostgresEngine(url);
  });

  afterAll(async () => {
    await engine.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.end();
  });

  beforeEach(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${SCHEMA}.users`);
    await admin.query(
      `CREATE TABLE ${SCHEMA}.users (id int PRIMARY KEY, name text, status text NOT NULL DEFAULT 'active')`,
    );
    await admin.query(
      `INSERT INTO ${SCHEMA}.users (id, name) SELECT g, 'user' || g FROM generate_series(1, 10) g`,
    );
  });

  it("reads rows and stringifies cells (numbers exact, bytea hex, json text, ISO timestamps, NULL)", async () => {
    const outcome = await engine.execute(
      options(
        `SELECT 42::int AS i, 12345678901234567890.123::numeric AS n, 'x'::text AS t, NULL::text AS nothing,
                '\\xdeadbeef'::bytea AS b, '{"a": [1, 2]}'::jsonb AS j,
                '2024-03-05 06:07:08.123456+00'::timestamptz AT TIME ZONE 'UTC' AS ts,
                '2024-03-05'::date AS d, true AS flag, 1, 1`,
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.resultSets).toHaveLength(1);
    const set = outcome.resultSets[0]!;
    expect(set.command).toBe("SELECT");
    expect(set.affectedRows).toBeNull();
    expect(set.totalRows).toBe(1);
    // Duplicate column names survive (rows are arrays).
    expect(set.columns).toEqual([
      "i",
      "n",
      "t",
      "nothing",
      "b",
      "j",
      "ts",
      "d",
      "flag",
      "?column?",
      "?column?",
    ]);
    expect(set.rows[0]).toEqual([
      "42",
      "12345678901234567890.123",
      "x",
      null,
      "\\xdeadbeef",
      '{"a": [1, 2]}',
      "2024-03-05T06:07:08.123456",
      "2024-03-05",
      "t",
      "1",
      "1",
    ]);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("prints timestamptz as ISO 8601 with the session's offset, without changing the session's TimeZone", async () => {
    const outcome = await engine.execute(
      options(
        `SELECT '2024-03-05 06:07:08+00'::timestamptz AS ts, current_setting('TimeZone') AS tz`,
      ),
    );
    const row = outcome.resultSets[0]!.rows[0]!;
    expect(row[0]).toMatch(/^2024-03-0\dT\d\d:07:08(Z|[+-]\d\d:\d\d)$/);
  });

  it("commits writes and reports affected rows per statement and in total", async () => {
    const outcome = await engine.execute(
      options(
        `UPDATE ${SCHEMA}.users SET status = 'inactive' WHERE id <= 3;
         INSERT INTO ${SCHEMA}.users (id, name) VALUES (11, 'eleven'), (12, 'twelve');
         DELETE FROM ${SCHEMA}.users WHERE id = 12`,
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets.map((s) => [s.command, s.affectedRows])).toEqual([
      ["UPDATE", 3],
      ["INSERT", 2],
      ["DELETE", 1],
    ]);
    expect(outcome.affectedRows).toBe(6);
    expect(await count("users", "status = 'inactive'")).toBe(3);
    expect(await count("users")).toBe(11);
  });

  it("runs several statements in one command, split by PostgreSQL's parser (';' in strings, dollar quotes, comments)", async () => {
    const outcome = await engine.execute(
      options(
        `-- leading comment; with a semicolon
         SELECT 'a;b' AS s;
         /* block; comment */ SELECT $q$ x; y $q$ AS d;
         INSERT INTO ${SCHEMA}.users (id, name) VALUES (20, 'semi;colon') RETURNING id, name;
         SELECT count(*) FROM ${SCHEMA}.users`,
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets.map((s) => s.command)).toEqual([
      "SELECT",
      "SELECT",
      "INSERT",
      "SELECT",
    ]);
    expect(outcome.resultSets[0]!.rows).toEqual([["a;b"]]);
    expect(outcome.resultSets[1]!.rows).toEqual([[" x; y "]]);
    expect(outcome.resultSets[2]!.rows).toEqual([["20", "semi;colon"]]);
    // INSERT … RETURNING: rows returned AND counted as affected.
    expect(outcome.resultSets[2]!.affectedRows).toBe(1);
    expect(outcome.affectedRows).toBe(1);
    expect(outcome.resultSets[3]!.rows).toEqual([["11"]]);
  });

  it("fails a statement over statement_timeout, with a clear message, and rolls back earlier statements", async () => {
    const started = Date.now();
    const outcome = await engine.execute(
      options(`INSERT INTO ${SCHEMA}.users (id, name) VALUES (30, 'x'); SELECT pg_sleep(5)`, {
        statementTimeoutMs: 300,
      }),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("57014");
    expect(error.message).toMatch(/Statement timeout: .*300 ms/);
    expect(outcome.rolledBack).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await count("users", "id = 30")).toBe(0);
  });

  it("fails a statement that waits for a lock longer than lock_timeout", async () => {
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`LOCK TABLE ${SCHEMA}.users IN ACCESS EXCLUSIVE MODE`);
      const outcome = await engine.execute(
        options(`UPDATE ${SCHEMA}.users SET status = 'locked' WHERE id = 1`, {
          lockTimeoutMs: 300,
        }),
      );
      const error = expectFailed(outcome);
      expect(error.code).toBe("55P03");
      expect(error.message).toMatch(/Lock timeout: .*300 ms/);
      expect(outcome.rolledBack).toBe(true);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect(await count("users", "status = 'locked'")).toBe(0);
  });

  it("rolls back when affected rows exceed maxAffectedRows, and the rows really are unchanged", async () => {
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.users SET status = 'inactive'`, { maxAffectedRows: 5 }),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("COUNTERSIGN_MAX_AFFECTED_ROWS");
    expect(error.message).toContain("would have affected 10 row(s)");
    expect(error.message).toContain("limit of 5");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.affectedRows).toBe(10);
    expect(await count("users", "status = 'inactive'")).toBe(0);
  });

  it("commits when affected rows are exactly at the limit", async () => {
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.users SET status = 'inactive' WHERE id <= 5`, {
        maxAffectedRows: 5,
      }),
    );
    expect(outcome.status).toBe("succeeded");
    expect(await count("users", "status = 'inactive'")).toBe(5);
  });

  it("counts rows written inside a DO block (invisible to command tags) against the limit", async () => {
    const outcome = await engine.execute(
      options(`DO $$ BEGIN UPDATE ${SCHEMA}.users SET status = 'inactive'; END $$`, {
        maxAffectedRows: 5,
      }),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("COUNTERSIGN_MAX_AFFECTED_ROWS");
    expect(error.message).toContain("would have affected 10 row(s)");
    expect(error.message).toContain("table statistics");
    expect(await count("users", "status = 'inactive'")).toBe(0);
  });

  it("rolls back earlier statements when a later one errors, and reports code and position in the whole command", async () => {
    const sql = `INSERT INTO ${SCHEMA}.users (id, name) VALUES (40, 'é😀');\nSELECT id, no_such_column FROM ${SCHEMA}.users`;
    const outcome = await engine.execute(options(sql));
    const error = expectFailed(outcome);
    expect(error.code).toBe("42703");
    expect(error.message).toContain("no_such_column");
    expect(outcome.rolledBack).toBe(true);
    // The INSERT before the error is reported as it ran, then undone.
    expect(outcome.resultSets.map((s) => s.command)).toEqual(["INSERT"]);
    expect(await count("users", "id = 40")).toBe(0);
    // PG positions are 1-based, in characters (code points), here relative to the whole command.
    const chars = [...sql];
    expect(error.position).toBeDefined();
    expect(chars.slice(error.position! - 1, error.position! + 13).join("")).toBe("no_such_column");
  });

  it("reports a run-time error (division by zero) and rolls back", async () => {
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.users SET status = 'x' WHERE id = 1; SELECT 1/0 AS boom`),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("22012");
    expect(error.message).toContain("division by zero");
    expect(await count("users", "status = 'x'")).toBe(0);
  });

  it("reports a syntax error with its position", async () => {
    const sql = "SELECT 1;\nSELEC 2";
    const outcome = await engine.execute(options(sql));
    const error = expectFailed(outcome);
    expect(error.code).toBe("42601");
    expect([...sql][error.position! - 1]).toBe("S");
  });

  it("keeps notices, including RAISE NOTICE from a DO block", async () => {
    const outcome = await engine.execute(
      options(`DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$; SELECT 1`),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.notices).toEqual(["NOTICE: hello 42", "WARNING: careful"]);
    expect(outcome.resultSets.map((s) => s.command)).toEqual(["DO", "SELECT"]);
  });

  it("read-only: refuses a write hidden in a volatile function (25006)", async () => {
    await admin.query(
      `CREATE FUNCTION ${SCHEMA}.sneaky() RETURNS int LANGUAGE plpgsql VOLATILE AS
       $$ BEGIN INSERT INTO ${SCHEMA}.users (id, name) VALUES (50, 'sneaky'); RETURN 1; END $$`,
    );
    const outcome = await engine.execute(options(`SELECT ${SCHEMA}.sneaky()`, { readOnly: true }));
    const error = expectFailed(outcome);
    expect(error.code).toBe("25006");
    expect(outcome.rolledBack).toBe(true);
    expect(await count("users", "id = 50")).toBe(0);
  });

  it("read-only: CREATE FUNCTION … INSERT …; SELECT f() in one command fails with 25006", async () => {
    const outcome = await engine.execute(
      options(
        `CREATE FUNCTION ${SCHEMA}.f2() RETURNS int LANGUAGE sql AS $$ INSERT INTO ${SCHEMA}.users (id) VALUES (51) RETURNING 1 $$;
         SELECT ${SCHEMA}.f2()`,
        { readOnly: true },
      ),
    );
    expect(expectFailed(outcome).code).toBe("25006");
    expect(await count("users", "id = 51")).toBe(0);
  });

  it("read-only: a plain SELECT succeeds", async () => {
    const outcome = await engine.execute(
      options(`SELECT id FROM ${SCHEMA}.users ORDER BY id LIMIT 2`, { readOnly: true }),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets[0]!.rows).toEqual([["1"], ["2"]]);
  });

  it("read-only: SET TRANSACTION READ WRITE is refused before connecting", async () => {
    const outcome = await engine.execute(
      options(`SET TRANSACTION READ WRITE; INSERT INTO ${SCHEMA}.users (id) VALUES (52)`, {
        readOnly: true,
      }),
    );
    expect(expectFailed(outcome).code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
    expect(outcome.rolledBack).toBe(false);
    expect(await count("users", "id = 52")).toBe(0);
  });

  it("refuses transaction control and timeout changes inside a command", async () => {
    for (const sql of [
      `UPDATE ${SCHEMA}.users SET status = 'x'; COMMIT`,
      "SET LOCAL statement_timeout = 0; SELECT 1",
      "RESET ALL",
    ]) {
      const outcome = await engine.execute(options(sql));
      expect(expectFailed(outcome).code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
    }
    expect(await count("users", "status = 'x'")).toBe(0);
  });

  it("streams a 1,000,000-row result: counts every row, keeps only keepRows", async () => {
    const outcome = await engine.execute(
      options("SELECT g, md5(g::text) FROM generate_series(1, 1000000) g", {
        keepRows: 50,
        statementTimeoutMs: 60_000,
      }),
    );
    expect(outcome.status).toBe("succeeded");
    const set = outcome.resultSets[0]!;
    expect(set.totalRows).toBe(1_000_000);
    expect(set.rows).toHaveLength(50);
    expect(set.rows[0]).toEqual(["1", "c4ca4238a0b923820dcc509a6f75849b"]);
    expect(set.rows[49]![0]).toBe("50");
  }, 60_000);

  it("handles an empty result and keepRows 0", async () => {
    const empty = await engine.execute(options(`SELECT id FROM ${SCHEMA}.users WHERE false`));
    expect(empty.resultSets[0]).toEqual({
      columns: ["id"],
      rows: [],
      totalRows: 0,
      command: "SELECT",
      affectedRows: null,
    });
    const counted = await engine.execute(
      options(`SELECT id FROM ${SCHEMA}.users`, { keepRows: 0 }),
    );
    expect(counted.resultSets[0]!.rows).toEqual([]);
    expect(counted.resultSets[0]!.totalRows).toBe(10);
  });

  it("redacts credentials from an authentication failure (role that does not exist, with a password)", async () => {
    const target = new URL(url);
    target.username = "countersign_no_such_role";
    target.password = "Sup3r-Secret-Pw";
    const bad = new PostgresEngine(target.toString());
    const outcome = await bad.execute(options("SELECT 1"));
    const error = expectFailed(outcome);
    expect(error.message).toMatch(/role .* does not exist|password authentication failed/);
    const everything = JSON.stringify(outcome);
    expect(everything).not.toContain("countersign_no_such_role");
    expect(everything).not.toContain("Sup3r-Secret-Pw");
    expect(error.message).toContain("[redacted]");
    await bad.close();
  });

  it("redacts credentials from a connection failure (closed port) and fails fast", async () => {
    const bad = new PostgresEngine("postgres://alice:Sup3r-Secret-Pw@127.0.0.1:1/test", {
      connectTimeoutMs: 2_000,
    });
    const started = Date.now();
    const outcome = await bad.execute(options("SELECT 1"));
    expect(expectFailed(outcome).message).toMatch(
      /^Could not connect to PostgreSQL: .*ECONNREFUSED/,
    );
    expect(outcome.rolledBack).toBe(false);
    expect(JSON.stringify(outcome)).not.toMatch(/alice|Sup3r-Secret-Pw/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
