/**
 * A long command is visible and can be stopped (#13): after a moment the PR says "Running
 * since …, on prod-db"; a `/cancel` by an approver reaches the worker, which cancels the
 * command on the real PostgreSQL (pg_cancel_backend), rolls it back, and the request ends
 * `cancelled` with what ran. Someone who neither asked nor approved is refused.
 */
import nock from "nock";
import { JobQueue } from "../../src/store/jobs.js";
import { cancelFromComment } from "../../src/requests/cancel.js";
import type { RequestSource } from "../../src/requests/source.js";
import type { Database } from "../../src/store/database.js";
import { TEST_SERVER_URL, describeEachStoreWithServer } from "../helpers/real-server.js";
import {
  API,
  CHECK_RUN,
  OWNER,
  PR,
  PR_URL,
  REPO,
  eventually,
  mockRecheck,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";

const TARGET = TEST_SERVER_URL;
const describeWithTarget = describeEachStoreWithServer("the cancel-a-running-command tests");

const DBA = resourcePolicy({ approvals: { all_of: [{ team: "dba" }] }, guardrails: { deny: [] } });
const APPROVED_BY_BOB = {
  reviews: [{ id: 1, login: "bob", state: "APPROVED" }],
  teams: { dba: ["bob"] },
};

/** `/cancel` written on the request PR by `author`. */
function cancelOnPr(author: string): RequestSource {
  return {
    type: "issue_comment",
    deliveryId: "delivery-cancel",
    installationId: 2,
    repoId: 1,
    owner: OWNER,
    repo: REPO,
    defaultBranch: "main",
    number: PR,
    threadNodeId: "PR_node_42",
    commentId: 8001,
    commentNodeId: "IC_8001",
    url: `${PR_URL}#issuecomment-8001`,
    author,
    body: "/cancel",
  };
}

describeWithTarget("cancelling a running command, store on $name", ({ open }) => {
  let database: Database;
  let world: WorkerWorld;
  let scratch: Scratch;
  let table: string;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await open();
    scratch = await scratchSchema(TARGET as string);
    table = `${scratch.schema}.users`;
    await scratch.query(
      `CREATE TABLE ${table} (id int primary key, status text);
       INSERT INTO ${table} VALUES (123, 'active')`,
    );
    world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET });
  });
  afterEach(async () => {
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("an approver's /cancel stops pg_sleep on the server, rolls back, ends cancelled", async () => {
    const command = `UPDATE ${table} SET status = 'gone' WHERE id = 123;\nSELECT pg_sleep(60);`;
    const request = await seedApproved(world, { policy: DBA, command });
    mockRecheck({ fileContent: requestFile(request.id, command), ...APPROVED_BY_BOB });
    const bodies: { check: object[]; pull: object[]; comments: string[]; labels: object[] } = {
      check: [],
      pull: [],
      comments: [],
      labels: [],
    };
    nock(API)
      .patch(`/repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN}`, (body: object) => {
        bodies.check.push(body);
        return true;
      })
      .twice()
      .reply(200, { id: CHECK_RUN })
      .patch(`/repos/${OWNER}/${REPO}/pulls/${PR}`, (body: object) => {
        bodies.pull.push(body);
        return true;
      })
      .twice()
      .reply(200, { number: PR })
      .post(`/repos/${OWNER}/${REPO}/issues/${PR}/comments`, (body: { body: string }) => {
        bodies.comments.push(body.body);
        return true;
      })
      .reply(201, { id: 9, html_url: `${PR_URL}#issuecomment-9` })
      .post(`/repos/${OWNER}/${REPO}/issues/${PR}/labels`, (body: object) => {
        bodies.labels.push(body);
        return true;
      })
      .reply(200, []);

    const executor = world.executor({ cancelPollMs: 50, limits: { runningNoticeMs: 100 } });
    const run = executor.runOnce();
    // The notice says it runs, on which resource, and how to stop it.
    await eventually(async () => bodies.check.length === 1, 15_000, "the running notice");
    expect(bodies.check[0]).toMatchObject({
      output: {
        title: expect.stringMatching(/^Running since \d{4}-\d\d-\d\dT[\d:]+Z, on prod-db$/),
      },
    });
    expect(bodies.check[0]).not.toHaveProperty("conclusion");

    // Someone who neither asked nor approved: refused, and nothing is recorded.
    const jobs = new JobQueue(database.knex);
    await cancelFromComment({ store: world.store, jobs }, cancelOnPr("mallory"));
    expect(await world.store.cancelRequestedBy(request.id)).toBeNull();
    // bob approved it: he may stop it.
    await cancelFromComment({ store: world.store, jobs }, cancelOnPr("bob"));
    expect(await world.store.cancelRequestedBy(request.id)).toBe("bob");

    await run;
    const after = await world.store.get(request.id);
    expect(after?.status).toBe("cancelled");
    expect(after?.result).toMatchObject({
      phase: "finished",
      status: "cancelled",
      rolledBack: true,
    });
    const events = await world.store.events(request.id);
    expect(events.at(-1)).toMatchObject({
      fromStatus: "running",
      toStatus: "cancelled",
      actor: "bob",
      detail: expect.stringContaining("rolled back"),
    });
    // Rolled back on the server, and the session is gone from it.
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "active" }]);
    await eventually(
      async () =>
        (
          await scratch.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`,
          )
        )[0]?.n === "0",
      5_000,
      "the cancelled backend to leave",
    );
    // Published: the check run completes as cancelled, the PR closes, a comment, a label.
    expect(bodies.check[1]).toMatchObject({ conclusion: "cancelled", status: "completed" });
    expect(bodies.pull[1]).toMatchObject({ state: "closed" });
    expect(bodies.comments[0]).toContain("was **cancelled** by bob while it ran");
    expect(bodies.comments[0]).toContain("rolled back");
    expect(bodies.labels[0]).toEqual({ labels: ["countersign:cancelled"] });
    // The refusal and the "stopping" note wait as reply jobs for the thread.
    const replies = (await database.knex("jobs").where({ kind: "reply" }).select("payload")) as {
      payload: string;
    }[];
    const texts = replies.map((row) => (JSON.parse(row.payload) as { body: string }).body);
    expect(texts).toEqual([
      expect.stringContaining("the people who approved it can stop it too"),
      expect.stringContaining("Stopping Countersign request"),
    ]);
  }, 30_000);
});
