/**
 * How a PostgreSQL execution ends, against a REAL server (TEST_DATABASE_URL; skipped loudly
 * without it): a stop (abort, close) at every moment up to COMMIT, an error mid-stream, what a
 * failed COMMIT or ROLLBACK is reported as, and thrown non-Errors. The exact moments are reached by
 * wrapping pg.Client's query/connect for the engine's own connection (application_name
 * "countersign") in this test file; the only backend terminated is one this file's engine
 * opened, found by an advisory lock key unique to this run.
 */
import pg from "pg";
import { PostgresEngine } from "../../src/engines/postgres.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import type { ExecuteOptions } from "../../src/engines/types.js";

const describeWithDb = describeWithServer("the PostgreSQL stop and COMMIT tests");
const SCHEMA = `cs_stops_${process.pid}_${Date.now().toString(36)}`;
/** Advisory lock key the COMMIT-time trigger waits on; unique to this run. */
const LOCK_KEY = 700_000_000 + (process.pid % 100_000) * 10 + Math.floor(Math.random() * 10);

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

type Send = () => Promise<unknown>;
type QueryHook = (text: string, send: Send, client: pg.Client) => Promise<unknown> | undefined;

const originalQuery = pg.Client.prototype.query;
const originalConnect = pg.Client.prototype.connect;
const connectNow = originalConnect as (this: pg.Client) => Promise<unknown>;

function isEngineClient(client: pg.Client): boolean {
  const params = (client as unknown as { connectionParameters?: { application_name?: string } })
    .connectionParameters;
  return params?.application_name === "countersign";
}

/** Routes the engine's text queries through `hook`; undefined from the hook sends as usual. */
function interceptQueries(hook: QueryHook): void {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const send = () => (originalQuery as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    const text = args[0];
    const hooked =
      typeof text === "string" && isEngineClient(this) ? hook(text, send, this) : undefined;
    return hooked ?? send();
  } as typeof originalQuery;
}

/** The engine's connection attempts, and the backends they opened. */
interface Connects {
  n: number;
  pids: number[];
}

/** Counts the engine's connection attempts; `fail` makes them reject with that value. */
function interceptConnects(counter: Connects, fail?: { with: unknown }): void {
  pg.Client.prototype.connect = function (this: pg.Client) {
    if (!isEngineClient(this)) return connectNow.call(this);
    counter.n += 1;
    if (fail !== undefined) return Promise.reject(fail.with);
    return connectNow.call(this).then(() => {
      const pid = (this as unknown as { processID?: number }).processID;
      if (pid !== undefined) counter.pids.push(pid);
    });
  } as typeof originalConnect;
}

function connects(): Connects {
  return { n: 0, pids: [] };
}

const url = TEST_SERVER_URL ?? "";
let admin: pg.Client;
let engine: PostgresEngine;

async function count(where = "true"): Promise<number> {
  const r = await admin.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${SCHEMA}.items WHERE ${where}`,
  );
  return Number(r.rows[0]?.n);
}

/** One scratch schema and one engine for the file; a fresh table and real pg.Client per test. */
function useServer(): void {
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
    await admin.query(`DROP TABLE IF EXISTS ${SCHEMA}.items`);
    await admin.query(
      `CREATE TABLE ${SCHEMA}.items (id int UNIQUE DEFERRABLE INITIALLY DEFERRED, status text NOT NULL DEFAULT 'new')`,
    );
    await admin.query(`INSERT INTO ${SCHEMA}.items (id) SELECT g FROM generate_series(1, 10) g`);
  });

  afterEach(() => {
    pg.Client.prototype.query = originalQuery;
    pg.Client.prototype.connect = originalConnect;
  });
}

describeWithDb("PostgresEngine: how an execution ends (real PostgreSQL)", () => {
  useServer();
  describe("a stop before anything runs", stopTestsBeforeStart);
  describe("a stop or an error while statements run", stopTestsWhileRunning);
  describe("a stop after the last statement, before COMMIT is sent", stopTestsAfterLastStatement);
  describe("COMMIT and ROLLBACK failures", commitTests);
  describe("thrown non-Errors", thrownTests);
});

function stopTestsBeforeStart(): void {
  it("an abort while the command is being split stops it: it never connects, nothing runs", async () => {
    const opened = connects();
    interceptConnects(opened);
    const controller = new AbortController();
    const pending = engine.execute(
      options(`INSERT INTO ${SCHEMA}.items (id) VALUES (100)`, { signal: controller.signal }),
    );
    controller.abort(new Error("lease lost"));
    expect(await pending).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_ABORTED", message: expect.stringContaining("lease lost") },
    });
    expect(opened.n).toBe(0);
    expect(await count("id = 100")).toBe(0);
  });

  it("close() while the command is being split: its connection never opens, nothing runs", async () => {
    const opened = connects();
    interceptConnects(opened);
    const own = new PostgresEngine(url);
    const pending = own.execute(options(`INSERT INTO ${SCHEMA}.items (id) VALUES (101)`));
    await own.close();
    expect(await pending).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_ABORTED" },
    });
    expect(opened.n).toBe(0);
    expect(await count("id = 101")).toBe(0);
  });
  it("close() while connecting: the connection is cut, the execution stops, nothing runs", async () => {
    const own = new PostgresEngine(url);
    let connectStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (connectStarted = resolve));
    pg.Client.prototype.connect = function (this: pg.Client) {
      if (isEngineClient(this)) connectStarted();
      return connectNow.call(this);
    } as typeof originalConnect;
    const pending = own.execute(options(`INSERT INTO ${SCHEMA}.items (id) VALUES (102)`));
    await started;
    await own.close();
    expect(await pending).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_ABORTED" },
    });
    expect(await count("id = 102")).toBe(0);
  });
}

function stopTestsWhileRunning(): void {
  it("stops a running statement when the AbortSignal fires, and rolls back", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("lease lost")), 300);
    const started = Date.now();
    const outcome = await engine.execute(
      options(`INSERT INTO ${SCHEMA}.items (id) VALUES (60); SELECT pg_sleep(10)`, {
        signal: controller.signal,
      }),
    );
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_ABORTED", message: expect.stringContaining("lease lost") },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await count("id = 60")).toBe(0);
  });

  it("aborts in the middle of a long stream and leaves no connection behind", async () => {
    const opened = connects();
    interceptConnects(opened);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("worker shutting down")), 300);
    const outcome = await engine.execute(
      options("SELECT g FROM generate_series(1, 100000000) g", {
        signal: controller.signal,
        statementTimeoutMs: 60_000,
      }),
    );
    expect(outcome).toMatchObject({ status: "failed", error: { code: "COUNTERSIGN_ABORTED" } });
    expect(outcome.resultSets).toEqual([]);
    expect(opened.pids).toHaveLength(1);
    // Sessions end asynchronously on the server side; give it a moment.
    let left = 1;
    for (let i = 0; i < 40 && left > 0; i++) {
      const r = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)",
        [opened.pids],
      );
      left = r.rows[0]?.n ?? 0;
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(left).toBe(0);
  });

  it("fails cleanly when a streamed statement errors after the first batches", async () => {
    const outcome = await engine.execute(
      options(
        `UPDATE ${SCHEMA}.items SET status = 'x' WHERE id = 1; SELECT 1 / (g - 2500) FROM generate_series(1, 5000) g`,
      ),
    );
    expect(outcome).toMatchObject({ status: "failed", rolledBack: true, error: { code: "22012" } });
    expect(await count("status = 'x'")).toBe(0);
    // The same engine runs the next command normally.
    const next = await engine.execute(options("SELECT 1"));
    expect(next.status).toBe("succeeded");
  });
}

function stopTestsAfterLastStatement(): void {
  it("an abort during the write-count query rolls back instead of committing", async () => {
    const controller = new AbortController();
    interceptQueries((text, send) => {
      if (!text.includes("pg_stat_xact_user_tables")) return undefined;
      controller.abort(new Error("lease lost"));
      return send();
    });
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.items SET status = 'done'`, { signal: controller.signal }),
    );
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_ABORTED" },
    });
    expect(await count("status = 'done'")).toBe(0);
  });

  it("an abort after the write count, before COMMIT is sent, rolls back", async () => {
    const controller = new AbortController();
    const sent: string[] = [];
    interceptQueries((text, send) => {
      sent.push(text);
      if (!text.includes("pg_stat_xact_user_tables")) return undefined;
      return send().then((answer) => {
        controller.abort(new Error("lease lost"));
        return answer;
      });
    });
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.items SET status = 'done'`, { signal: controller.signal }),
    );
    expect(outcome).toMatchObject({ rolledBack: true, error: { code: "COUNTERSIGN_ABORTED" } });
    expect(sent).not.toContain("COMMIT");
    expect(await count("status = 'done'")).toBe(0);
  });
}

function commitTests(): void {
  it("a deferred constraint failing at COMMIT (a plain ERROR) is reported rolled back", async () => {
    const outcome = await engine.execute(options(`INSERT INTO ${SCHEMA}.items (id) VALUES (1)`));
    expect(outcome).toMatchObject({ status: "failed", rolledBack: true, error: { code: "23505" } });
    expect(await count()).toBe(10);
  });

  it("a session terminated during COMMIT (FATAL) is COMMIT_UNKNOWN, never 'rolled back'", async () => {
    await admin.query(`
    CREATE FUNCTION ${SCHEMA}.wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN PERFORM pg_advisory_xact_lock(${LOCK_KEY}); RETURN NULL; END $f$`);
    await admin.query(
      `CREATE CONSTRAINT TRIGGER wait_at_commit AFTER INSERT ON ${SCHEMA}.items
     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.wait_at_commit()`,
    );
    await admin.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    try {
      const pending = engine.execute(
        options(`INSERT INTO ${SCHEMA}.items (id) VALUES (200)`, {
          lockTimeoutMs: 20_000,
          statementTimeoutMs: 20_000,
        }),
      );
      const pid = await waiterOn(admin, LOCK_KEY);
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      expect(await pending).toMatchObject({
        status: "failed",
        rolledBack: false,
        error: { code: "COUNTERSIGN_COMMIT_UNKNOWN" },
      });
    } finally {
      await admin.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
    }
    // It did roll back here (terminated before the commit record), but the client cannot
    // tell that from a session terminated while waiting for a synchronous standby.
    expect(await count("id = 200")).toBe(0);
  });

  it("a ROLLBACK that fails after a limit refusal reports the refusal, and the rows are unchanged", async () => {
    interceptQueries((text, send, client) => {
      if (text !== "ROLLBACK") return undefined;
      // The connection dies just as ROLLBACK is sent.
      (
        client as unknown as { connection: { stream: { destroy(): void } } }
      ).connection.stream.destroy();
      return send();
    });
    const outcome = await engine.execute(
      options(`UPDATE ${SCHEMA}.items SET status = 'done'`, { maxAffectedRows: 5 }),
    );
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_MAX_AFFECTED_ROWS" },
    });
    expect(outcome.error?.message).toContain("would have affected 10 row(s)");
    expect(outcome.notices.join("\n")).toMatch(/^ROLLBACK failed: .*session ends/m);
    expect(await count("status = 'done'")).toBe(0);
  });
}

function thrownTests(): void {
  it("a driver that rejects with null or undefined is described, not a crash", async () => {
    interceptQueries((text) => (text === "BEGIN" ? Promise.reject(null) : undefined));
    const atBegin = await engine.execute(options("SELECT 1"));
    expect(atBegin).toMatchObject({ status: "failed", rolledBack: false });
    expect(atBegin.error?.message).toContain("null was thrown");

    interceptConnects(connects(), { with: undefined });
    const atConnect = await engine.execute(options("SELECT 1"));
    expect(atConnect.error?.message).toMatch(/^Could not connect to PostgreSQL: .*undefined/);
  });
}

/** The backend of this file's engine that waits for the advisory lock `key`. */
async function waiterOn(admin: pg.Client, key: number): Promise<number> {
  for (let attempt = 0; attempt < 250; attempt += 1) {
    const r = await admin.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = $1::bigint::oid
          AND a.application_name = 'countersign'`,
      [key],
    );
    const pid = r.rows[0]?.pid;
    if (pid !== undefined) return pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the engine's COMMIT never waited on the advisory lock");
}
