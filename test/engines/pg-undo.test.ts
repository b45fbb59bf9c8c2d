/**
 * Undo backups (issue 16) against a REAL PostgreSQL: TEST_DATABASE_URL (CI sets it; locally
 * postgres://postgres@127.0.0.1:5432/test). Every backup table a test makes is dropped after
 * the suite; the countersign_undo schema only when this suite created it and it is empty.
 */
import pg from "pg";
import { PostgresEngine } from "../../src/engines/postgres.js";
import { restoreCommand } from "../../src/engines/pg-undo-restore.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import type { ExecuteOptions, ExecutionOutcome } from "../../src/engines/types.js";

const describeWithDb = describeWithServer("the undo backup tests against a real server");

const SCHEMA = `cs_undo_${process.pid}_${Date.now().toString(36)}`;
/** Request ids of this run only, so that parallel runs never share a backup table. */
const FIRST_REQUEST = 1_000_000 + (process.pid % 100_000) * 100 + Math.floor(Math.random() * 100);

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

function errorOf(outcome: ExecutionOutcome): NonNullable<ExecutionOutcome["error"]> {
  expect(outcome.status).toBe("failed");
  expect(outcome.error).toBeDefined();
  return outcome.error as NonNullable<ExecutionOutcome["error"]>;
}

describeWithDb("undo backups (real PostgreSQL at TEST_DATABASE_URL)", () => {
  const url = TEST_SERVER_URL ?? "";
  let admin: pg.Client;
  let engine: PostgresEngine;
  let schemaWasThere = false;
  let nextRequest = FIRST_REQUEST;
  const used: number[] = [];

  function requestId(): number {
    nextRequest += 1;
    used.push(nextRequest);
    return nextRequest;
  }

  async function fingerprint(table = "accounts"): Promise<string> {
    const r = await admin.query<{ md5: string | null }>(
      `SELECT md5(string_agg(a::text, ',' ORDER BY a.id)) AS md5 FROM "${SCHEMA}".${table} a`,
    );
    return r.rows[0]?.md5 ?? "";
  }

  async function backupExists(id: number, statement: number): Promise<boolean> {
    const r = await admin.query<{ oid: string | null }>("SELECT to_regclass($1)::text AS oid", [
      `countersign_undo.r${id}_${statement}`,
    ]);
    return r.rows[0]?.oid !== null;
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const there = await admin.query(
      "SELECT 1 FROM pg_namespace WHERE nspname = 'countersign_undo'",
    );
    schemaWasThere = there.rowCount === 1;
    await admin.query(`CREATE SCHEMA "${SCHEMA}"`);
    engine = new PostgresEngine(url);
  });

  afterAll(async () => {
    await engine.close();
    for (const id of used)
      for (const n of [1, 2, 3])
        await admin.query(`DROP TABLE IF EXISTS countersign_undo.r${id}_${n}`);
    // RESTRICT: never drops another suite's backups.
    if (!schemaWasThere)
      await admin.query("DROP SCHEMA IF EXISTS countersign_undo").catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  });

  beforeEach(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${SCHEMA}".accounts, "${SCHEMA}".loose`);
    await admin.query(
      `CREATE TABLE "${SCHEMA}".accounts (id int PRIMARY KEY, owner text, balance numeric NOT NULL,
         note text, tenfold int GENERATED ALWAYS AS (id * 10) STORED)`,
    );
    await admin.query(
      `INSERT INTO "${SCHEMA}".accounts (id, owner, balance, note)
       SELECT g, 'owner ' || g, g * 1.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END
         FROM generate_series(1, 20) g`,
    );
    await admin.query(`CREATE TABLE "${SCHEMA}".loose (id int, v text)`);
    await admin.query(
      `INSERT INTO "${SCHEMA}".loose SELECT g, 'v' || g FROM generate_series(1, 5) g`,
    );
  });

  it("backs up an UPDATE, reports it, and the restore command puts the rows back exactly", async () => {
    const before = await fingerprint();
    const id = requestId();
    const outcome = await engine.execute(
      options(
        `UPDATE "${SCHEMA}".accounts AS a SET balance = a.balance * 2, note = 'where (doubled)'
          WHERE a.id <= 5 AND a.owner <> 'nobody' -- trailing comment`,
        { undo: { requestId: id }, maxAffectedRows: 5 },
      ),
    );
    // maxAffectedRows 5: the 5 backed-up rows (inserted into the backup) do not count.
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe("succeeded");
    expect(outcome.undo).toEqual([
      {
        table: `countersign_undo.r${id}_1`,
        rows: 5,
        statement: 1,
        source: `"${SCHEMA}"."accounts"`,
        key: ["id"],
        columns: ["id", "owner", "balance", "note"],
      },
    ]);
    const kept = await admin.query(
      `SELECT id, balance::text, note FROM countersign_undo.r${id}_1 ORDER BY id`,
    );
    expect(kept.rows[0]).toEqual({ id: 1, balance: "1.5", note: "n1" });
    expect(await fingerprint()).not.toBe(before);

    const restore = restoreCommand(outcome.undo ?? [], ["UpdateStmt"]);
    if (!restore.ok) throw new Error(restore.message);
    // The restore is a single-table UPDATE, so a resource with undo backs it up in turn.
    const restored = await engine.execute(
      options(restore.sql, { undo: { requestId: requestId() } }),
    );
    expect(restored.error).toBeUndefined();
    expect(restored.affectedRows).toBe(5);
    expect(restored.undo?.[0]?.rows).toBe(5);
    expect(await fingerprint()).toBe(before);
  });

  it("backs up each UPDATE and DELETE of a command; restoring in reverse order round-trips", async () => {
    const before = await fingerprint();
    const id = requestId();
    const outcome = await engine.execute(
      options(
        `UPDATE "${SCHEMA}".accounts SET owner = 'changed' WHERE id IN (1, 2, 7);
         INSERT INTO "${SCHEMA}".loose VALUES (99, 'not backed up');
         DELETE FROM ONLY "${SCHEMA}".accounts WHERE id <= 3 OR owner = 'changed' RETURNING id`,
        { undo: { requestId: id } },
      ),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.undo?.map((u) => [u.table, u.rows, u.statement])).toEqual([
      [`countersign_undo.r${id}_1`, 3, 1],
      [`countersign_undo.r${id}_3`, 4, 3],
    ]);
    expect(await backupExists(id, 2)).toBe(false);
    // The backups add nothing to the command's output (no "schema already exists" notice).
    expect(outcome.notices).toEqual([]);
    const restore = restoreCommand(outcome.undo ?? [], ["UpdateStmt", "InsertStmt", "DeleteStmt"]);
    if (!restore.ok) throw new Error(restore.message);
    const restored = await engine.execute(options(restore.sql));
    expect(restored.error).toBeUndefined();
    expect(await fingerprint()).toBe(before);
  });

  it("backs up a DELETE without WHERE (the whole table) and of a table without a primary key", async () => {
    const before = await fingerprint("loose");
    const id = requestId();
    const outcome = await engine.execute(
      options(`DELETE FROM "${SCHEMA}".loose`, { undo: { requestId: id } }),
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.undo?.[0]).toMatchObject({ rows: 5, key: [], columns: ["id", "v"] });
    const restore = restoreCommand(outcome.undo ?? [], ["DeleteStmt"]);
    if (!restore.ok) throw new Error(restore.message);
    expect((await engine.execute(options(restore.sql))).error).toBeUndefined();
    expect(await fingerprint("loose")).toBe(before);
  });

  it("rolls the backup back with the command on an error", async () => {
    const before = await fingerprint();
    const id = requestId();
    const outcome = await engine.execute(
      options(`UPDATE "${SCHEMA}".accounts SET note = 'x' WHERE id = 1; SELECT 1 / 0`, {
        undo: { requestId: id },
      }),
    );
    expect(errorOf(outcome).code).toBe("22012");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.undo).toBeUndefined();
    expect(await backupExists(id, 1)).toBe(false);
    expect(await fingerprint()).toBe(before);
  });

  it("rolls the backup back with the command on the max_affected_rows refusal", async () => {
    const id = requestId();
    const outcome = await engine.execute(
      options(`UPDATE "${SCHEMA}".accounts SET note = 'x' WHERE id <= 5`, {
        undo: { requestId: id },
        maxAffectedRows: 4,
      }),
    );
    const error = errorOf(outcome);
    expect(error.code).toBe("COUNTERSIGN_MAX_AFFECTED_ROWS");
    // 5 rows: the statement's, not the 5 more the backup inserted.
    expect(error.message).toContain("affected 5 row(s)");
    expect(await backupExists(id, 1)).toBe(false);
  });

  it.each([
    [
      "UPDATE … FROM",
      `UPDATE "${SCHEMA}".accounts a SET note = l.v FROM "${SCHEMA}".loose l WHERE a.id = l.id`,
    ],
    [
      "DELETE … USING",
      `DELETE FROM "${SCHEMA}".accounts a USING "${SCHEMA}".loose l WHERE a.id = l.id`,
    ],
    [
      "a WITH on the UPDATE",
      `WITH ids AS (SELECT 1 AS id) UPDATE "${SCHEMA}".accounts SET note = 'x' WHERE id IN (SELECT id FROM ids)`,
    ],
    [
      "a data-modifying CTE",
      `SELECT 1; WITH gone AS (DELETE FROM "${SCHEMA}".loose RETURNING *) SELECT count(*) FROM gone`,
    ],
    ["WHERE CURRENT OF", `DELETE FROM "${SCHEMA}".accounts WHERE CURRENT OF c`],
    [
      "MERGE",
      `MERGE INTO "${SCHEMA}".accounts a USING "${SCHEMA}".loose l ON a.id = l.id WHEN MATCHED THEN DELETE`,
    ],
    ["TRUNCATE", `TRUNCATE "${SCHEMA}".loose`],
    [
      "ON CONFLICT DO UPDATE",
      `INSERT INTO "${SCHEMA}".accounts (id, balance) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET balance = 0`,
    ],
    ["a DO block", `DO $$ BEGIN DELETE FROM "${SCHEMA}".loose; END $$`],
    ["a write to the backups", `DELETE FROM countersign_undo.r1_1 WHERE true`],
  ])("refuses %s before connecting", async (_what, sql) => {
    // Nothing listens there: an answer other than a connection error was made before connecting.
    const nowhere = new PostgresEngine("postgres://nobody@127.0.0.1:1/nothing");
    try {
      const outcome = await nowhere.execute(options(sql, { undo: { requestId: requestId() } }));
      expect(errorOf(outcome).code).toBe("COUNTERSIGN_UNDO_UNSUPPORTED");
      expect(outcome.rolledBack).toBe(false);
    } finally {
      await nowhere.close();
    }
  });

  it("refuses an UPDATE of a table without a primary key before it runs, and rolls back", async () => {
    const before = await fingerprint("loose");
    const id = requestId();
    const outcome = await engine.execute(
      options(
        `DELETE FROM "${SCHEMA}".loose WHERE id = 1; UPDATE "${SCHEMA}".loose SET v = 'x' WHERE id = 2`,
        { undo: { requestId: id } },
      ),
    );
    expect(errorOf(outcome).code).toBe("COUNTERSIGN_UNDO_NO_KEY");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.resultSets).toHaveLength(1);
    expect(await backupExists(id, 1)).toBe(false);
    expect(await fingerprint("loose")).toBe(before);
  });

  it("refuses an UPDATE of the primary key, which the restore could not match", async () => {
    const outcome = await engine.execute(
      options(`UPDATE "${SCHEMA}".accounts SET id = id + 100 WHERE id = 1`, {
        undo: { requestId: requestId() },
      }),
    );
    expect(errorOf(outcome).code).toBe("COUNTERSIGN_UNDO_UNSUPPORTED");
    expect(outcome.resultSets).toHaveLength(0);
  });

  it("stops the command when the statement changed fewer rows than were backed up", async () => {
    await admin.query(
      `CREATE FUNCTION "${SCHEMA}".keep_two() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF OLD.id = 2 THEN RETURN NULL; END IF; RETURN OLD; END $$`,
    );
    await admin.query(
      `CREATE TRIGGER keep_two BEFORE DELETE ON "${SCHEMA}".accounts FOR EACH ROW EXECUTE FUNCTION "${SCHEMA}".keep_two()`,
    );
    const before = await fingerprint();
    const id = requestId();
    const outcome = await engine.execute(
      options(`DELETE FROM "${SCHEMA}".accounts WHERE id <= 3`, { undo: { requestId: id } }),
    );
    const error = errorOf(outcome);
    expect(error.code).toBe("COUNTERSIGN_UNDO_MISMATCH");
    expect(error.message).toContain("deleted 2 row(s), but 3 row(s) were backed up");
    expect(outcome.rolledBack).toBe(true);
    expect(await backupExists(id, 1)).toBe(false);
    expect(await fingerprint()).toBe(before);
    await admin.query(`DROP FUNCTION "${SCHEMA}".keep_two() CASCADE`);
  });

  it("never overwrites a backup: the same request number again is refused", async () => {
    const id = requestId();
    const sql = `UPDATE "${SCHEMA}".accounts SET note = 'again' WHERE id = 4`;
    expect((await engine.execute(options(sql, { undo: { requestId: id } }))).error).toBeUndefined();
    const again = await engine.execute(
      options(`UPDATE "${SCHEMA}".accounts SET note = 'third' WHERE id = 4`, {
        undo: { requestId: id },
      }),
    );
    expect(errorOf(again).code).toBe("COUNTERSIGN_UNDO_EXISTS");
    const kept = await admin.query(`SELECT note FROM countersign_undo.r${id}_1`);
    expect(kept.rows).toEqual([{ note: "n4" }]);
  });

  it("still stops a statement that changed a pinned setting, with its backup rolled back", async () => {
    await admin.query(
      `CREATE FUNCTION "${SCHEMA}".loosen() RETURNS text LANGUAGE plpgsql AS
         $$ BEGIN PERFORM set_config('statement_timeout', '0', true); RETURN 'x'; END $$`,
    );
    const id = requestId();
    const outcome = await engine.execute(
      options(`UPDATE "${SCHEMA}".accounts SET note = "${SCHEMA}".loosen() WHERE id = 1`, {
        undo: { requestId: id },
      }),
    );
    expect(errorOf(outcome).code).toBe("COUNTERSIGN_SETTING_CHANGED");
    expect(await backupExists(id, 1)).toBe(false);
  });

  it("stops a command that changes the backup it made (counted from the table statistics)", async () => {
    const id = requestId();
    await admin.query(
      `CREATE FUNCTION "${SCHEMA}".wipe() RETURNS int LANGUAGE plpgsql AS
         $$ BEGIN DELETE FROM countersign_undo.r${id}_1; RETURN 1; END $$`,
    );
    const before = await fingerprint();
    const outcome = await engine.execute(
      options(
        `UPDATE "${SCHEMA}".accounts SET note = 'gone' WHERE id = 9; SELECT "${SCHEMA}".wipe()`,
        { undo: { requestId: id } },
      ),
    );
    expect(errorOf(outcome).code).toBe("COUNTERSIGN_UNDO_FAILED");
    expect(outcome.error?.message).toContain(`countersign_undo.r${id}_1`);
    expect(outcome.rolledBack).toBe(true);
    expect(await fingerprint()).toBe(before);
  });

  describe("what is sent to the server", () => {
    let sent: string[];
    const original = pg.Client.prototype.query;

    // Every query text the engine's clients send (a Cursor carries its text too).
    beforeEach(() => {
      sent = [];
      function recording(this: pg.Client, ...args: unknown[]): unknown {
        const first = args[0];
        const text = typeof first === "string" ? first : (first as { text?: unknown } | null)?.text;
        sent.push(typeof text === "string" ? text : "");
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      }
      pg.Client.prototype.query = recording as typeof original;
    });

    afterEach(() => {
      pg.Client.prototype.query = original;
    });

    const backupQueries = () =>
      sent.filter((q) => /countersign_undo|FOR UPDATE OF|pg_index/.test(q));

    it("sends no extra query without undo", async () => {
      const outcome = await engine.execute(
        options(`UPDATE "${SCHEMA}".accounts SET note = 'z' WHERE id = 8`),
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.undo).toBeUndefined();
      expect(sent.some((q) => q.includes("UPDATE"))).toBe(true);
      expect(backupQueries()).toEqual([]);
    });

    it("sends none with undo for a command that has no UPDATE or DELETE", async () => {
      const outcome = await engine.execute(
        options(
          `INSERT INTO "${SCHEMA}".loose VALUES (6, 'six'); SELECT count(*) FROM "${SCHEMA}".loose`,
          {
            undo: { requestId: requestId() },
          },
        ),
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.undo).toBeUndefined();
      expect(backupQueries()).toEqual([]);
    });

    it("sends the lock and the copy with undo (so the probe above sees them)", async () => {
      const outcome = await engine.execute(
        options(`UPDATE "${SCHEMA}".accounts SET note = 'z' WHERE id = 8`, {
          undo: { requestId: requestId() },
        }),
      );
      expect(outcome.error).toBeUndefined();
      expect(backupQueries().length).toBeGreaterThanOrEqual(3);
    });
  });
});
