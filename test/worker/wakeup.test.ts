/**
 * LISTEN/NOTIFY on a real PostgreSQL: a worker whose poll interval is a minute still picks an
 * approved request up at once, because approving NOTIFYs. Skipped without TEST_DATABASE_URL.
 */
import nock from "nock";
import { openServerConfig } from "../helpers/server-floor.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { createCommandChecker } from "../../src/requests/command-check.js";
import type { GitHub } from "../../src/github/client.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { createExecutor } from "../../src/worker/executor.js";
import {
  eventually,
  mockPublish,
  mockRecheck,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
} from "../helpers/worker.js";

const TARGET = TEST_SERVER_URL;
const describeWithTarget = describeWithServer("the LISTEN/NOTIFY tests");

describeWithTarget("wake-ups by LISTEN/NOTIFY", () => {
  const admin = new pg.Client({ connectionString: TARGET });
  const name = `countersign_notify_${randomBytes(5).toString("hex")}`;
  let url: string;
  let database: Database;
  let scratch: Scratch;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const parsed = new URL(TARGET as string);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    database = await openDatabase({ url });
    scratch = await scratchSchema(TARGET as string);
    nock.disableNetConnect();
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await scratch.drop();
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  test("an approval wakes a worker that would otherwise poll in a minute", async () => {
    const env = { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET };
    const world = workerWorld(database, env);
    const executor = createExecutor(
      {
        store: world.store,
        jobs: world.jobs,
        teams: world.teams,
        checkCommand: createCommandChecker(env),
        env,
        serverConfig: openServerConfig(),
        log: world.log,
        githubFor: async (id) => (await world.probot.auth(id)) as GitHub,
      },
      { url, shared: true },
      { pollMs: 60_000 },
    );
    executor.start();
    // Let the first (empty) poll and the LISTEN happen before the approval.
    await new Promise((done) => setTimeout(done, 500));

    const command = `SELECT 1 AS one;`;
    // GitHub is ready before the approval (the first request of a fresh store has id 1).
    mockRecheck({ fileContent: requestFile(1, command) });
    mockPublish();
    const request = await seedApproved(world, {
      policy: resourcePolicy({ approvals: "none" }),
      command,
    });
    expect(request.id).toBe(1);
    const approvedAt = Date.now();
    await eventually(
      async () => (await world.store.get(request.id))?.status === "succeeded",
      5_000,
      "the notified worker to run the request",
    );
    expect(Date.now() - approvedAt).toBeLessThan(5_000);
    await executor.stop(5_000);
    // The outcome's publication was queued; the app's job runner makes the writes.
    await world.publish();
    expect(nock.pendingMocks()).toEqual([]);
  });
});
