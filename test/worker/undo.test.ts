/**
 * Undo end to end (issue 16): a resource with `undo: true` runs an UPDATE on the real
 * PostgreSQL (TEST_DATABASE_URL, a scratch schema); the audit commit names the backup, `/undo`
 * on the request PR queues a new request whose command restores the rows (reviewed like any
 * other), that command run through the engine puts the rows back, and the sweep drops old
 * backups so `/undo` then says they are gone. GitHub is nock; the store is the embedded PGlite.
 */
import nock from "nock";
import { randomInt } from "node:crypto";
import { openDatabase, type Database } from "../../src/store/database.js";
import { PostgresEngine } from "../../src/engines/postgres.js";
import { undoCommandFor } from "../../src/requests/undo.js";
import { sweepUndoBackups } from "../../src/requests/undo-sweep.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  mockPublish,
  mockRecheck,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the undo tests");

const UNDO: ResourcePolicy = {
  ...resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } }),
  undo: { keepForMs: 60_000 },
};
const silent = { info: () => undefined, warn: () => undefined };

describeWithTarget("undo (real PostgreSQL)", () => {
  let database: Database;
  let scratch: Scratch;
  let table: string;
  let backup = "";

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await openDatabase({ embeddedPath: "memory://" });
    // Backup tables are named by request id on the shared server: ids of their own.
    await database.knex.raw("SELECT setval('requests_id_seq', ?)", [randomInt(1e6, 1e9)]);
    scratch = await scratchSchema(TEST_SERVER_URL as string);
    table = `${scratch.schema}.accounts`;
    await scratch.query(`CREATE TABLE ${table} (id int PRIMARY KEY, owner text, balance int);
      INSERT INTO ${table} VALUES (1, 'ann', 100), (2, 'bob', 200), (3, 'cy', 300)`);
  });
  afterEach(async () => {
    if (backup !== "") await scratch.query(`DROP TABLE IF EXISTS ${backup}`);
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  const digest = async () =>
    (
      await scratch.query<{ d: string }>(
        `SELECT md5(string_agg(id || ':' || owner || ':' || balance, ',' ORDER BY id)) AS d FROM ${table}`,
      )
    )[0]?.d;

  test("backed up, named in the audit commit, restored by the /undo command, swept", async () => {
    const before = await digest();
    const command = `UPDATE ${table} SET balance = 0 WHERE id <= 2;`;
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedApproved(world, { policy: UNDO, command });
    backup = `countersign_undo.r${request.id}_1`;
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command) }));
    recorder.watch(mockPublish());

    expect(await world.executor().runOnce()).toBe(request.id);
    await world.publish();

    expect(await digest()).not.toBe(before);
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      commit_message: string;
    };
    expect(merge.commit_message).toContain(`\nUndo: ${backup}, 2 rows\n`);
    const stored = await world.store.get(request.id);
    expect(stored?.result?.undo).toMatchObject([
      { table: backup, rows: 2, statement: 1, key: ["id"] },
    ]);

    // What /undo opens as a new request: its command, run like any approved command.
    const undo = undoCommandFor(stored!);
    if (!("sql" in undo)) throw new Error(undo.problem);
    const engine = new PostgresEngine(TEST_SERVER_URL as string);
    const restored = await engine.execute({
      sql: undo.sql,
      readOnly: false,
      statementTimeoutMs: 5_000,
      lockTimeoutMs: 1_000,
      keepRows: 5,
    });
    await engine.close();
    expect(restored).toMatchObject({ status: "succeeded", affectedRows: 2 });
    expect(await digest()).toBe(before);

    // Past keep_for the sweep drops the backup; /undo then says so instead of failing later.
    const later = new Date(Date.now() + 120_000);
    expect(await sweepUndoBackups({ store: world.store, env: world.env, log: silent }, later)).toBe(
      1,
    );
    expect(await scratch.query(`SELECT to_regclass('${backup}') AS t`)).toEqual([{ t: null }]);
    const swept = await world.store.get(request.id);
    expect(undoCommandFor(swept!)).toEqual({
      problem: expect.stringContaining("were dropped on") as unknown,
    });
    expect(await sweepUndoBackups({ store: world.store, env: world.env, log: silent }, later)).toBe(
      0,
    );
  });
});
