/**
 * The early-approval race (issue: nothing lost, item 7): the first attempt of open_request
 * opened the PR but failed before its check run; reviewers approved the PR meanwhile. The
 * retry must still create the check run (the outcome needs one to update) and announce the
 * request, and must not approve it a second time.
 */
import nock from "nock";
import { NodeIds } from "../../src/github/node-ids.js";
import { openRequest } from "../../src/requests/open-request.js";
import type { GitHub } from "../../src/github/client.js";
import { handlerSuite } from "../helpers/suite.js";
import { API } from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";

const suite = handlerSuite({ optionalToken: true });
const silent = { warn: () => undefined };

test("a retry after an approval creates the missing check run, once, as approved", async () => {
  const seeded = await seedOpenRequest(suite.harness.services);
  await suite.harness.store.patch(seeded.id, { checkRunId: null });
  await suite.harness.store.transition(seeded.id, "pending", "approved", { actor: "bob" });
  let check: Record<string, unknown> = {};
  suite.recorder.watch(
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/check-runs`, (body: Record<string, unknown>) => {
        check = body;
        return true;
      })
      .reply(201, { id: 9005 })
      .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
      .reply(200, { node_id: "L_countersign" })
      .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:prod-db")}`)
      .reply(200, { node_id: "L_prod" })
      .post("/graphql", (body: { query: string }) => !body.query.includes("requestReviews"))
      .reply(200, { data: {} }),
  );

  const github = (await suite.harness.probot.auth(2)) as GitHub;
  await openRequest(
    {
      store: suite.harness.store,
      log: silent,
      nodeIds: new NodeIds(),
      now: () => new Date(),
      jobs: suite.harness.jobs,
      env: {},
    },
    github,
    seeded.id,
    "main",
  );

  expect(check).toMatchObject({
    name: "countersign/approval",
    head_sha: "head111",
    output: { title: "Approved: queued for execution" },
  });
  const stored = await suite.harness.store.get(seeded.id);
  expect(stored).toMatchObject({ status: "approved", checkRunId: 9005 });
  const events = await suite.harness.store.events(seeded.id);
  expect(events.filter((event) => event.toStatus === "approved")).toHaveLength(1);
});

test("a cancelled request is left alone", async () => {
  const seeded = await seedOpenRequest(suite.harness.services);
  await suite.harness.store.transition(seeded.id, "pending", "cancelled", { actor: "alice" });
  const github = (await suite.harness.probot.auth(2)) as GitHub;
  await openRequest(
    {
      store: suite.harness.store,
      log: silent,
      nodeIds: new NodeIds(),
      now: () => new Date(),
      jobs: suite.harness.jobs,
      env: {},
    },
    github,
    seeded.id,
    "main",
  );
  expect(suite.recorder.writes()).toEqual([]);
});
