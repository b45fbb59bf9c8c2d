/**
 * Issue 12, class 1, against a REAL PostgreSQL (TEST_DATABASE_URL): the parser/server desync.
 *
 * `SELECT set_config('standard_conforming_strings', 'off', false); SELECT 'x\' , $$' , f(pid) …
 * --$$` is two harmless reads to a parser that assumes the default rules, but with the setting
 * off the server calls f. Here f is a harmless function in a scratch schema that records each
 * call (a row when it can write, a notice always); nothing here terminates a backend.
 */
import pg from "pg";
import { PostgresEngine } from "../../src/engines/postgres.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import type { ExecuteOptions, ExecutionOutcome } from "../../src/engines/types.js";

const describeWithDb = describeWithServer("the PostgreSQL pinned-settings tests");
const SCHEMA = `cs_pinned_${process.pid}_${Date.now().toString(36)}`;
const MARK = "countersign-test: victim called";

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

/** The second half of the attack: harmless when '\' is ordinary, a call when it escapes. */
function payload(): string {
  return `SELECT 'x\\' , $$' , ${SCHEMA}.victim(pid) FROM pg_stat_activity WHERE pid = pg_backend_pid() --$$`;
}

describeWithDb("PostgresEngine pins how text is read (real PostgreSQL)", () => {
  const url = TEST_SERVER_URL ?? "";
  let admin: pg.Client;
  let engine: PostgresEngine;

  async function calls(): Promise<number> {
    const r = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${SCHEMA}.calls`);
    return Number(r.rows[0]?.n);
  }

  function expectNothingRan(outcome: ExecutionOutcome): void {
    expect(outcome.status).toBe("failed");
    expect(outcome.notices.join("\n")).not.toContain(MARK);
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${SCHEMA}`);
    await admin.query(`CREATE TABLE ${SCHEMA}.calls (pid int, at timestamptz DEFAULT now())`);
    // Records a call: a notice always, a row when the transaction may write.
    await admin.query(`
      CREATE FUNCTION ${SCHEMA}.victim(target int) RETURNS boolean LANGUAGE plpgsql AS $f$
      BEGIN
        RAISE NOTICE '${MARK}';
        IF NOT pg_catalog.current_setting('transaction_read_only')::boolean THEN
          INSERT INTO ${SCHEMA}.calls (pid) VALUES (target);
        END IF;
        RETURN true;
      END $f$`);
    // Changes a pinned setting where no parse tree shows it.
    await admin.query(`
      CREATE FUNCTION ${SCHEMA}.flip() RETURNS text LANGUAGE plpgsql AS $f$
      BEGIN
        RETURN pg_catalog.set_config('standard_' || 'conforming_strings', 'off', false);
      END $f$`);
    engine = new PostgresEngine(url);
  });

  afterAll(async () => {
    await engine.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.end();
  });

  beforeEach(async () => {
    await admin.query(`TRUNCATE ${SCHEMA}.calls`);
  });

  it("the observable is real: with the setting off, the payload does call the victim", async () => {
    // Plain pg on its own connection, no engine: proves the tests below would see a call.
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await raw.query("SET standard_conforming_strings = off");
      await raw.query(payload());
    } finally {
      await raw.end();
    }
    expect(await calls()).toBe(1);
  });

  it.each([
    [
      "set_config, then the payload",
      `SELECT set_config('standard_conforming_strings', 'off', false); `,
    ],
    ["SET, then the payload", "SET standard_conforming_strings = off; "],
    ["SET LOCAL, then the payload", "SET LOCAL standard_conforming_strings TO off; "],
    [
      "set_config in a CTE",
      "WITH c AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT * FROM c; ",
    ],
    [
      "set_config in a subquery",
      "SELECT (SELECT set_config('standard_conforming_strings', 'off', true)) AS s; ",
    ],
    [
      "set_config in WHERE",
      "SELECT 1 WHERE set_config('standard_conforming_strings', 'off', false) = 'off'; ",
    ],
    ["backslash_quote via set_config", "SELECT set_config('backslash_quote', 'on', false); "],
  ])("%s: refused before anything runs", async (_what, first) => {
    for (const readOnly of [true, false]) {
      const outcome = await engine.execute(options(first + payload(), { readOnly }));
      expectNothingRan(outcome);
      expect(outcome.error?.code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
      expect(outcome.resultSets).toEqual([]);
    }
    expect(await calls()).toBe(0);
  });

  it.each([
    [
      "a DO block calling set_config",
      "DO $$BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END$$; ",
    ],
    [
      "a DO block running SET through EXECUTE",
      "DO $$BEGIN EXECUTE 'SET standard_conforming_strings = off'; END$$; ",
    ],
    ["a function calling set_config with a computed name", `SELECT ${SCHEMA}.flip(); `],
  ])(
    "%s: stopped after that statement, before the payload is sent, and rolled back",
    async (_what, first) => {
      for (const readOnly of [true, false]) {
        const outcome = await engine.execute(options(first + payload(), { readOnly }));
        expectNothingRan(outcome);
        expect(outcome.error?.code).toBe("COUNTERSIGN_SETTING_CHANGED");
        expect(outcome.error?.message).toContain("standard_conforming_strings");
        expect(outcome.rolledBack).toBe(true);
        // Only the first statement ran.
        expect(outcome.resultSets.length).toBeLessThanOrEqual(1);
      }
      expect(await calls()).toBe(0);
    },
  );

  it("pins the setting even when the session starts with it off (role or database defaults)", async () => {
    // A connection whose defaults say off, as ALTER ROLE … SET would (without touching roles
    // on a shared server): the engine's pin wins, so the payload is only two strings.
    const off = `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent("-c standard_conforming_strings=off -c backslash_quote=on")}`;
    const offEngine = new PostgresEngine(off);
    try {
      for (const readOnly of [true, false]) {
        const outcome = await offEngine.execute(options(payload(), { readOnly }));
        expect(outcome.status).toBe("succeeded");
        expect(outcome.notices.join("\n")).not.toContain(MARK);
        expect(outcome.resultSets[0]?.rows[0]?.[0]).toBe("x\\");
      }
    } finally {
      await offEngine.close();
    }
    expect(await calls()).toBe(0);
  });

  it("pins every setting for the transaction, on this server's version", async () => {
    const names = [
      "standard_conforming_strings",
      "backslash_quote",
      "escape_string_warning",
      "client_encoding",
      "statement_timeout",
      "lock_timeout",
      "idle_in_transaction_session_timeout",
      "client_connection_check_interval",
      "transaction_read_only",
    ];
    const sql = `SELECT ${names.map((n) => `current_setting('${n}', true) AS ${n}`).join(", ")}`;
    const readOnly = await engine.execute(
      options(sql, { readOnly: true, statementTimeoutMs: 12_000, lockTimeoutMs: 3_000 }),
    );
    expect(readOnly.status).toBe("succeeded");
    const row = Object.fromEntries(
      names.map((n, i) => [n, readOnly.resultSets[0]?.rows[0]?.[i] ?? null]),
    );
    const version = await admin.query<{ v: string }>(
      "SELECT current_setting('server_version_num') AS v",
    );
    expect(row).toEqual({
      standard_conforming_strings: "on",
      backslash_quote: "safe_encoding",
      escape_string_warning: "on",
      client_encoding: "UTF8",
      statement_timeout: "12s",
      lock_timeout: "3s",
      idle_in_transaction_session_timeout: "30s",
      client_connection_check_interval: Number(version.rows[0]?.v) >= 140_000 ? "5s" : null,
      transaction_read_only: "on",
    });
    const readWrite = await engine.execute(
      options("SELECT current_setting('transaction_read_only')"),
    );
    expect(readWrite.resultSets[0]?.rows[0]?.[0]).toBe("off");
  });

  it("scrubs the connection's credentials from cells and column names where they are read (class 9)", async () => {
    const user = decodeURIComponent(new URL(url).username);
    const outcome = await engine.execute(
      options(`SELECT current_user AS "${user}", 'who: ' || current_user AS who`, {
        readOnly: true,
      }),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets[0]?.columns).toEqual(["[redacted]", "who"]);
    expect(outcome.resultSets[0]?.rows).toEqual([["[redacted]", "who: [redacted]"]]);
  });

  it("leaves other settings alone: SET LOCAL work_mem and set_config of a custom name run", async () => {
    const outcome = await engine.execute(
      options(
        "SET LOCAL work_mem = '8MB'; SELECT set_config('countersign.test', 'x', true), current_setting('work_mem')",
        { readOnly: true },
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets[1]?.rows[0]).toEqual(["x", "8MB"]);
  });
});
