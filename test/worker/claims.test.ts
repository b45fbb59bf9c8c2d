/**
 * Claims across workers (#15): a resource's `concurrency` (from the server file) bounds the
 * commands running on it at once, whichever worker claims; another resource is not held up.
 * And a finished command's publication is queued with its outcome: the worker makes no
 * GitHub write of its own and is free for the next command at once.
 */
import nock from "nock";
import type { Database } from "../../src/store/database.js";
import type { GitHub } from "../../src/github/client.js";
import { createCommandChecker } from "../../src/requests/command-check.js";
import { Executor } from "../../src/worker/executor.js";
import { serverConfig } from "../helpers/server-floor.js";
import { describeEachStoreWithServer, TEST_SERVER_URL } from "../helpers/real-server.js";
import { testDatabases } from "../helpers/databases.js";
import {
  OWNER,
  mockRecheck,
  requestFile,
  resourcePolicy,
  seedApproved,
  workerWorld,
  type WorkerWorld,
} from "../helpers/worker.js";

const NONE = resourcePolicy({ approvals: "none", guardrails: { deny: [] } });
const OTHER = resourcePolicy({ approvals: "none", guardrails: { deny: [] } }, "other-db");

function floors(concurrency: number) {
  return serverConfig({
    "prod-db": { repos: [`${OWNER}/*`], approvals: "none", concurrency },
    "other-db": { repos: [`${OWNER}/*`], approvals: "none" },
  });
}

/** A plain executor (no publishing helper): claims only, nothing runs. */
function bareExecutor(world: WorkerWorld, concurrency: number, workerId: string): Executor {
  return new Executor(
    {
      store: world.store,
      jobs: world.jobs,
      teams: world.teams,
      checkCommand: async () => {
        throw new Error("claims only");
      },
      env: world.env,
      serverConfig: floors(concurrency),
      log: world.log,
      githubFor: async () => {
        throw new Error("claims only");
      },
    },
    { workerId },
  );
}

describe.each(testDatabases())("resource concurrency on $name", ({ open }) => {
  let database: Database;
  let world: WorkerWorld;
  beforeEach(async () => {
    database = await open();
    world = workerWorld(database, {});
  });
  afterEach(async () => {
    await database.close();
  });

  test("concurrency 1: a second worker gets nothing of prod-db while one runs, but other-db", async () => {
    const first = await seedApproved(world, {
      policy: NONE,
      command: "SELECT 1",
      sourceCommentId: 1,
    });
    await seedApproved(world, { policy: NONE, command: "SELECT 2", sourceCommentId: 2 });
    const other = await seedApproved(world, {
      policy: OTHER,
      command: "SELECT 3",
      sourceCommentId: 3,
    });
    const a = bareExecutor(world, 1, "worker-a");
    const b = bareExecutor(world, 1, "worker-b");
    expect(await a.claim()).toBe(first.id);
    // The second prod-db request waits; worker b takes the other resource's instead.
    expect(await b.claim()).toBe(other.id);
    expect(await b.claim()).toBeNull();
    expect((await world.store.get(first.id))?.status).toBe("running");
  });

  test("concurrency 2: two prod-db commands run at once, from two workers", async () => {
    const first = await seedApproved(world, {
      policy: NONE,
      command: "SELECT 1",
      sourceCommentId: 1,
    });
    const second = await seedApproved(world, {
      policy: NONE,
      command: "SELECT 2",
      sourceCommentId: 2,
    });
    await seedApproved(world, { policy: NONE, command: "SELECT 3", sourceCommentId: 3 });
    const a = bareExecutor(world, 2, "worker-a");
    const b = bareExecutor(world, 2, "worker-b");
    const claimed = await Promise.all([a.claim(), b.claim()]);
    expect(claimed.sort()).toEqual([first.id, second.id].sort());
    expect(await a.claim()).toBeNull();
  });
});

const describeWithTarget = describeEachStoreWithServer("the publication-queue tests");

describeWithTarget("a finished command's publication, store on $name", ({ open }) => {
  let database: Database;
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(async () => {
    await database.close();
    nock.cleanAll();
  });

  test("is queued with the outcome; the worker itself writes nothing to GitHub", async () => {
    database = await open();
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedApproved(world, { policy: NONE, command: "SELECT 1;" });
    // Only the re-check's reads are answered: any write here would fail the run.
    mockRecheck({ fileContent: requestFile(request.id, "SELECT 1;") });
    const plain = bareExecutorWithTarget(world);
    expect(await plain.runOnce()).toBe(request.id);
    expect((await world.store.get(request.id))?.status).toBe("succeeded");
    const queued = (await database
      .knex("jobs")
      .where({ kind: "publish_outcome", request_id: request.id })
      .whereNull("done_at")
      .select("payload")) as { payload: string }[];
    expect(queued).toHaveLength(1);
    expect(JSON.parse(queued[0]?.payload ?? "{}")).toMatchObject({
      status: "succeeded",
      statusView: { headline: "Succeeded: 0 rows affected" },
      audit: { status: "succeeded", affectedRows: 0 },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

function bareExecutorWithTarget(world: WorkerWorld): Executor {
  return new Executor(
    {
      store: world.store,
      jobs: world.jobs,
      teams: world.teams,
      checkCommand: createCommandChecker(world.env),
      env: world.env,
      serverConfig: floors(1),
      log: world.log,
      githubFor: async (installationId) => (await world.probot.auth(installationId)) as GitHub,
    },
    { workerId: "worker-plain" },
  );
}
