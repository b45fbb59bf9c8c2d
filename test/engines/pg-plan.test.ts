/**
 * The plan before approval (issue 16) against a REAL PostgreSQL (TEST_DATABASE_URL), in a
 * database this file creates and drops; and the pure rules read from plans (judgeEstimate,
 * findDrift, readExplain), which always run.
 */
import pg from "pg";
import { randomBytes } from "node:crypto";
import { planCommand } from "../../src/engines/pg-plan.js";
import { findDrift, judgeEstimate, readExplain } from "../../src/engines/plan-types.js";
import type { PlanResult, StatementPlan } from "../../src/engines/plan-types.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";

const describeWithDb = describeWithServer("the plan-before-approval tests against a real server");

type Planned = Extract<StatementPlan, { planned: true }>;
type Unplanned = Extract<StatementPlan, { planned: false }>;

function okPlan(result: PlanResult): Extract<PlanResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a plan, got: ${result.reason}`);
  return result;
}

function planned(result: PlanResult, number: number): Planned {
  const statement = okPlan(result).statements[number - 1];
  if (statement === undefined || !statement.planned)
    throw new Error(`statement ${number} has no plan: ${JSON.stringify(statement)}`);
  return statement;
}

function unplanned(result: PlanResult, number: number): Unplanned {
  const statement = okPlan(result).statements[number - 1];
  if (statement === undefined || statement.planned)
    throw new Error(`statement ${number} was planned: ${JSON.stringify(statement)}`);
  return statement;
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

const SETUP = `
  CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, note text);
  INSERT INTO orders SELECT g, g % 1000, NULL FROM generate_series(1, 200000) g;
  CREATE TABLE users (id int PRIMARY KEY, name text);
  INSERT INTO users SELECT g, 'user' || g FROM generate_series(1, 10) g;
  CREATE TABLE log (entry text);
  CREATE SEQUENCE seq;
  -- Volatile: never run by the planner.
  CREATE FUNCTION logged(n int) RETURNS int LANGUAGE plpgsql VOLATILE AS
    $$ BEGIN INSERT INTO log VALUES ('logged ' || n); PERFORM nextval('seq'); RETURN n; END $$;
  -- Mislabelled IMMUTABLE: the planner folds it with constant arguments; READ ONLY stops it.
  CREATE FUNCTION folded(n int) RETURNS bigint LANGUAGE sql IMMUTABLE AS
    $$ SELECT nextval('seq') + n $$;
  CREATE FUNCTION folded_writer(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS
    $$ BEGIN PERFORM logged(n); RETURN n; END $$;
  -- Mislabelled IMMUTABLE that changes a pinned setting at plan time.
  CREATE FUNCTION folded_setting(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS
    $$ BEGIN PERFORM set_config('lock_timeout', '0', true); RETURN n; END $$;
  CREATE FUNCTION log_trigger() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO log VALUES ('trigger'); RETURN NEW; END $$;
  CREATE TRIGGER orders_log BEFORE INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION log_trigger();
  ANALYZE;
`;

describeWithDb("planCommand (real PostgreSQL at TEST_DATABASE_URL)", () => {
  // describe.skip still runs this body (without a server): a placeholder that is never dialled.
  const base = TEST_SERVER_URL ?? "postgres://unused@127.0.0.1:1/unused";
  const name = `cs_plan_${randomBytes(6).toString("hex")}`;
  const url = databaseUrl(base, name);
  let admin: pg.Client;
  let db: pg.Client;

  async function state(): Promise<{ seq: string; log: number; orders: number; digest: string }> {
    const r = await db.query<{ seq: string; log: string; orders: string; digest: string }>(
      `SELECT (SELECT last_value || '/' || is_called FROM seq) AS seq,
              (SELECT count(*) FROM log) AS log, (SELECT count(*) FROM orders) AS orders,
              (SELECT md5(string_agg(id || ':' || customer || ':' || coalesce(note, '∅'), ',' ORDER BY id)) FROM orders) AS digest`,
    );
    const row = r.rows[0]!;
    return { seq: row.seq, log: Number(row.log), orders: Number(row.orders), digest: row.digest };
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query(SETUP);
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin?.end();
  });

  it("a selective UPDATE: a small estimate through the primary key, no warning, within the limit", async () => {
    const plan = await planCommand(url, "UPDATE orders SET note = 'x' WHERE id = 42");
    const statement = planned(plan, 1);
    expect(statement.estimatedRows).toBe(1);
    expect(statement.topNode).toBe("ModifyTable (Update)");
    expect(statement.inputNode).toMatch(/^Index (Only )?Scan$/);
    expect(statement.seqScans).toEqual([]);
    expect(judgeEstimate(plan, 1000)).toEqual({ verdict: "within", total: 1, limit: 1000 });
  });

  it("a full-table DELETE: ~200,000 rows, a sequential-scan warning, over max_estimated_rows", async () => {
    const plan = await planCommand(url, "DELETE FROM orders");
    const statement = planned(plan, 1);
    expect(statement.estimatedRows).toBeGreaterThan(190_000);
    expect(statement.estimatedRows).toBeLessThan(210_000);
    expect(statement.topNode).toBe("ModifyTable (Delete)");
    expect(statement.inputNode).toBe("Seq Scan");
    expect(statement.seqScans).toEqual([
      { schema: "public", name: "orders", tableRows: statement.estimatedRows, large: true },
    ]);
    expect(okPlan(plan).totalEstimatedRows).toBe(statement.estimatedRows);
    const judged = judgeEstimate(plan, 10_000);
    expect(judged).toMatchObject({ verdict: "over", limit: 10_000 });
    expect(judged.verdict === "over" && judged.statements).toEqual([
      { number: 1, estimatedRows: statement.estimatedRows },
    ]);
  });

  it("a selective UPDATE without an index: a small estimate, but the scan of the large table is warned", async () => {
    const plan = await planCommand(url, "UPDATE orders SET note = 'x' WHERE note = 'nothing'", {
      seqScanWarnRows: 150_000,
    });
    const statement = planned(plan, 1);
    expect(statement.estimatedRows).toBeLessThan(10);
    const [scan] = statement.seqScans;
    expect(scan).toMatchObject({ schema: "public", name: "orders", large: true });
    expect(scan!.tableRows).toBeGreaterThan(190_000);
    // Below the threshold it is listed, not warned.
    const small = await planCommand(url, "SELECT * FROM users WHERE name = 'user3'");
    expect(planned(small, 1).seqScans).toEqual([
      { schema: "public", name: "users", tableRows: 10, large: false },
    ]);
  });

  it("nothing runs while planning: volatile functions, sequences, triggers, folded mislabelled functions", async () => {
    const before = await state();
    const plan = await planCommand(
      url,
      `SELECT logged(1);
       INSERT INTO orders (id, customer) VALUES (nextval('seq'), logged(2));
       UPDATE orders SET note = logged(3)::text WHERE id = logged(4);
       DELETE FROM orders WHERE id = 7 RETURNING logged(id);
       SELECT * FROM orders WHERE id = folded(1);
       SELECT * FROM orders WHERE id = folded_writer(1);
       WITH gone AS (DELETE FROM orders WHERE id < 5 RETURNING id) SELECT logged(count(*)::int) FROM gone`,
    );
    expect(okPlan(plan).statements).toHaveLength(7);
    for (const n of [1, 2, 3, 4, 7]) expect(planned(plan, n).estimatedRows).toBeGreaterThan(0);
    // The data-modifying CTE counts the rows it deletes, not the one row the query returns.
    expect(planned(plan, 7).estimatedRows).toBeGreaterThanOrEqual(3);
    // Folded at plan time, and stopped by the READ ONLY transaction: no plan, nothing done.
    expect(unplanned(plan, 5)).toMatchObject({ code: "25006" });
    expect(unplanned(plan, 5).reason).toMatch(/nextval\(\) in a read-only transaction/);
    expect(unplanned(plan, 6)).toMatchObject({ code: "25006" });
    expect(await state()).toEqual(before);
    expect(before).toMatchObject({ seq: "1/false", log: 0, orders: 200_000 });
  });

  it("a function that changes a pinned setting at plan time makes the plan unavailable", async () => {
    const plan = await planCommand(url, "SELECT * FROM users WHERE id = folded_setting(1)");
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.reason).toMatch(/lock_timeout/);
  });

  it("utility statements and statements the server cannot plan get no plan; the others still do", async () => {
    const plan = await planCommand(
      url,
      `CREATE TABLE fresh (a int);
       INSERT INTO fresh VALUES (1);
       SET work_mem = '64MB';
       SELECT count(*) FROM users`,
    );
    expect(unplanned(plan, 1)).toMatchObject({ kind: "CreateStmt" });
    expect(unplanned(plan, 1).reason).toMatch(/utility statement/);
    expect(unplanned(plan, 2)).toMatchObject({ code: "42P01" });
    expect(unplanned(plan, 2).reason).toMatch(/relation "fresh" does not exist/);
    expect(unplanned(plan, 3).reason).toMatch(/utility statement/);
    expect(planned(plan, 4)).toMatchObject({ estimatedRows: 1, topNode: "Aggregate" });
    const judged = judgeEstimate(plan, 1_000);
    expect(judged).toMatchObject({ verdict: "unknown", unplanned: [1, 2, 3], total: 1 });
    const exists = await db.query("SELECT to_regclass('public.fresh') AS t");
    expect(exists.rows[0].t).toBeNull();
  });

  it("a command the engine refuses, or cannot parse, is reported, not thrown", async () => {
    const refused = await planCommand(url, "BEGIN; DELETE FROM orders; COMMIT");
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(/Transaction control/);
    const garbled = await planCommand(url, "DELETE FROM orders WHERE (");
    expect(unplanned(garbled, 1).reason).toMatch(/could not be parsed/);
    const bad = await planCommand(url, "SELECT 1", { statementTimeoutMs: 0 });
    expect(bad).toEqual({ ok: false, reason: "statementTimeoutMs must be a positive integer." });
  });

  it("an unreachable target: a reason without the credentials", async () => {
    const password = "Pl4nSecret";
    const target = new URL(base);
    target.username = "planuser";
    target.password = password;
    target.port = "1";
    const down = await planCommand(target.toString(), "SELECT 1", { connectTimeoutMs: 2_000 });
    expect(down.ok).toBe(false);
    expect(!down.ok && down.reason).toMatch(/^Could not connect to PostgreSQL/);
    // A server that answers, and quotes a name holding the password in its error.
    const named = new URL(base);
    named.password = password;
    named.pathname = `/${password}_missing`;
    const missing = await planCommand(named.toString(), "SELECT 1");
    expect(missing.ok).toBe(false);
    const reason = missing.ok ? "" : missing.reason;
    expect(reason).toMatch(/does not exist/);
    expect(reason).not.toContain(password);
    expect(reason).toContain("[redacted]");
  });

  it("drift: rows inserted after approval grow the estimate past the factor; a dropped table is missing", async () => {
    await db.query(`CREATE TABLE growing (id int, kind text);
      INSERT INTO growing SELECT g, 'a' FROM generate_series(1, 100) g; ANALYZE growing`);
    const sql = "DELETE FROM growing WHERE kind = 'a'; SELECT count(*) FROM users";
    const approved = await planCommand(url, sql);
    expect(planned(approved, 1).estimatedRows).toBe(100);
    expect(findDrift(approved, await planCommand(url, sql), 10)).toEqual([]);
    await db.query(
      `INSERT INTO growing SELECT g, 'a' FROM generate_series(101, 5000) g; ANALYZE growing`,
    );
    const later = await planCommand(url, sql);
    expect(findDrift(approved, later, 10)).toEqual([
      {
        number: 1,
        text: "DELETE FROM growing WHERE kind = 'a'",
        before: 100,
        after: 5000,
        kind: "grew",
      },
    ]);
    expect(findDrift(approved, later, 100)).toEqual([]);
    await db.query("DROP TABLE growing");
    const dropped = findDrift(approved, await planCommand(url, sql), 10);
    expect(dropped).toMatchObject([{ number: 1, before: 100, after: null, kind: "missing" }]);
    expect(dropped[0]?.reason).toMatch(/relation "growing" does not exist/);
  });
});

describe("readExplain (pure)", () => {
  it("reads the top node, the rows of every ModifyTable's inputs (not its InitPlans), and seq scans", () => {
    const json = [
      {
        Plan: {
          "Node Type": "ModifyTable",
          Operation: "Delete",
          "Plan Rows": 0,
          Plans: [
            { "Node Type": "Result", "Parent Relationship": "InitPlan", "Plan Rows": 99 },
            {
              "Node Type": "Append",
              "Parent Relationship": "Outer",
              "Plan Rows": 30,
              Plans: [
                { "Node Type": "Seq Scan", "Relation Name": "p1", Schema: "s", "Plan Rows": 10 },
                { "Node Type": "Seq Scan", "Relation Name": "p2", Schema: "s", "Plan Rows": 20 },
              ],
            },
          ],
        },
      },
    ];
    expect(readExplain(json)).toEqual({
      estimatedRows: 30,
      topNode: "ModifyTable (Delete)",
      inputNode: "Append",
      scans: [
        { schema: "s", name: "p2", planRows: 20 },
        { schema: "s", name: "p1", planRows: 10 },
      ],
    });
    expect(readExplain(JSON.stringify(json))?.estimatedRows).toBe(30);
  });

  it("a query counts its top node's rows; anything that is not a plan is null", () => {
    expect(readExplain([{ Plan: { "Node Type": "Limit", "Plan Rows": 5 } }])).toEqual({
      estimatedRows: 5,
      topNode: "Limit",
      scans: [],
    });
    for (const junk of [null, "not json", [], [{}], [{ Plan: { "Plan Rows": 1 } }], 42]) {
      expect(readExplain(junk)).toBeNull();
    }
  });
});

describe("judgeEstimate and findDrift (pure)", () => {
  function plan(...rows: (number | null)[]): PlanResult {
    return {
      ok: true,
      totalEstimatedRows: rows.reduce<number>((sum, r) => sum + (r ?? 0), 0),
      seqScanWarnRows: 100_000,
      plannedAt: "2024-01-01T00:00:00.000Z",
      durationMs: 3,
      statements: rows.map((r, index) =>
        r === null
          ? {
              number: index + 1,
              text: `s${index + 1}`,
              kind: "CreateStmt",
              planned: false,
              reason: "utility",
            }
          : {
              number: index + 1,
              text: `s${index + 1}`,
              kind: "DeleteStmt",
              planned: true,
              estimatedRows: r,
              topNode: "ModifyTable (Delete)",
              seqScans: [],
            },
      ),
    };
  }

  it("sums the statements against the limit (inclusive), names those over it alone", () => {
    expect(judgeEstimate(plan(600, 400), 1000)).toEqual({
      verdict: "within",
      total: 1000,
      limit: 1000,
    });
    expect(judgeEstimate(plan(600, 401), 1000)).toEqual({
      verdict: "over",
      total: 1001,
      limit: 1000,
      statements: [],
    });
    expect(judgeEstimate(plan(2000, 1), 1000)).toMatchObject({
      verdict: "over",
      statements: [{ number: 1, estimatedRows: 2000 }],
    });
  });

  it("cannot decide without a plan, with a statement unplanned under the limit, or with a bad limit", () => {
    expect(judgeEstimate({ ok: false, reason: "down" }, 10)).toMatchObject({
      verdict: "unknown",
      reason: "down",
    });
    expect(judgeEstimate(plan(null, 5), 10)).toMatchObject({
      verdict: "unknown",
      unplanned: [1],
      total: 5,
    });
    // Unplanned statements can only add: over is over.
    expect(judgeEstimate(plan(null, 50), 10)).toMatchObject({ verdict: "over", total: 50 });
    expect(judgeEstimate(plan(5), Number.NaN)).toMatchObject({ verdict: "unknown" });
    expect(judgeEstimate(plan(5), -1)).toMatchObject({ verdict: "unknown" });
    // A malformed estimate cannot prove the command small.
    expect(judgeEstimate(plan(Number.NaN), 10)).toMatchObject({ verdict: "over" });
  });

  it("drift: growth past the factor (0 counts as 1), nothing when a plan is missing, invalid factor is strict", () => {
    expect(findDrift(plan(0), plan(10), 10)).toEqual([]);
    expect(findDrift(plan(0), plan(11), 10)).toMatchObject([
      { kind: "grew", before: 0, after: 11 },
    ]);
    expect(findDrift(plan(100), plan(1000), 10)).toEqual([]);
    expect(findDrift(plan(null), plan(1_000_000), 10)).toEqual([]);
    expect(findDrift({ ok: false, reason: "down" }, plan(5), 10)).toEqual([]);
    expect(findDrift(plan(100), plan(101), Number.NaN)).toMatchObject([{ kind: "grew" }]);
  });
});
