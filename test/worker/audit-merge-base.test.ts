/**
 * The audit merge goes only into the branch the request was approved for: the base of the
 * request PR is read right before the merge, because anyone with write access can edit it
 * while the command runs, and GitHub merges into whatever base the PR has then. A changed
 * base is not merged into; the PR says why and gives the commit to merge by hand. The target
 * is the real PostgreSQL (a scratch schema); GitHub is nock; the store is the embedded PGlite.
 */
import nock from "nock";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { workerFrame } from "../helpers/worker-suite.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  API,
  OWNER,
  PR_URL,
  REPO,
  mockPublish,
  mockRecheck,
  requestFile,
  resourcePolicy,
  seedApproved,
  workerWorld,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the audit merge base tests");

describeWithTarget("the audit merge and the pull request's base (real PostgreSQL)", () => {
  const frame = workerFrame();

  beforeEach(async () => {
    await frame.scratch.query(
      `CREATE TABLE ${frame.scratch.schema}.jobs (id int PRIMARY KEY, runs int)`,
    );
    await frame.scratch.query(`INSERT INTO ${frame.scratch.schema}.jobs VALUES (1, 0)`);
  });

  test("a base edited during the run is not merged into; the PR says why", async () => {
    const command = `UPDATE ${frame.scratch.schema}.jobs SET runs = runs + 1 WHERE id = 1;`;
    const world = workerWorld(frame.database, {
      COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL,
    });
    const policy = resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } });
    const request = await seedApproved(world, { policy, command });
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command) }));
    // The re-check saw "main"; by the time the command ended the base was "hotfix".
    recorder.watch(mockPublish({ baseNow: "hotfix" }));
    recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
        .reply(201, { id: 2, html_url: `${PR_URL}#issuecomment-2` }),
    );

    await world.executor().runOnce();

    // It ran (the command is not undone by a missing audit commit), and said so.
    expect(await frame.scratch.query(`SELECT runs FROM ${frame.scratch.schema}.jobs`)).toEqual([
      { runs: 1 },
    ]);
    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("succeeded");
    expect(recorder.writes().some((call) => call.endsWith("/merge"))).toBe(false);
    const told = recorder.calls.find((call) => call.path.endsWith("/comments"))?.body as {
      body: string;
    };
    expect(told.body).toContain("ended **succeeded**, but Countersign did not merge");
    expect(told.body).toContain("its base was changed to hotfix");
    expect(told.body).toContain(`Countersign-Request: ${request.id}`);
    const events = await world.store.events(request.id);
    expect(events.at(-1)?.detail).toBe(
      "audit merge refused (not asked): its base was changed to hotfix, and the audit record belongs on main; change the base back before merging it",
    );
  });
});
