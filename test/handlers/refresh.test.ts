/**
 * Webhooks GitHub never sent: the sweep reads each pending request fresh, so a dropped
 * approving review still approves it, and a push nobody reported still counts (and, with
 * its pusher unknown, ends the request).
 */
import nock from "nock";
import { refreshRequest, sweepPendingRequests } from "../../src/requests/refresh.js";
import { handlerSuite } from "../helpers/suite.js";
import { API } from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";

const PULL = `/repos/${OWNER}/${REPO}/pulls/42`;
const CHECK = `/repos/${OWNER}/${REPO}/check-runs/9001`;
const suite = handlerSuite({ optionalToken: true });

function livePull(head: string, minutesAgo = 10): object {
  return {
    number: 42,
    state: "open",
    merged: false,
    head: { sha: head },
    base: { ref: "main" },
    updated_at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  };
}

function approval(id: number, login: string): object {
  return {
    id,
    user: { login, type: "User" },
    state: "APPROVED",
    commit_id: "head111",
    submitted_at: new Date(Date.UTC(2026, 10, 22, 10, 0, id)).toISOString(),
    body: "",
  };
}

test("a dropped approval webhook: the sweep finds both approvals and approves", async () => {
  const request = await seedOpenRequest(suite.harness.services);
  let check: Record<string, unknown> = {};
  suite.recorder.watch(
    nock(API)
      .get(PULL)
      .reply(200, livePull("head111"))
      .get(`${PULL}/reviews`)
      .query(true)
      .reply(200, [approval(1, "bob"), approval(2, "carol")])
      .get(`${PULL}/commits`)
      .query(true)
      .reply(200, [{ sha: "head111", author: { login: "countersign[bot]" }, committer: null }])
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .reply(200, [])
      .get(`/orgs/${OWNER}/teams/dba/members`)
      .query(true)
      .reply(200, [{ login: "bob" }])
      .get(`/orgs/${OWNER}/teams/security/members`)
      .query(true)
      .reply(200, [{ login: "carol" }])
      .patch(CHECK, (body: Record<string, unknown>) => ((check = body), true))
      .reply(200, {})
      .patch(PULL)
      .reply(200, {}),
  );

  expect(await sweepPendingRequests(suite.harness.store, suite.harness.jobs)).toBe(1);
  // A second replica sweeping in the same interval queues nothing more.
  await sweepPendingRequests(suite.harness.store, suite.harness.jobs);
  expect(await suite.harness.drain()).toBe(1);

  expect((await suite.harness.store.get(request.id))?.status).toBe("approved");
  expect(check).toMatchObject({ output: { title: "Approved: queued for execution" } });
});

test("a push nobody reported: the pusher is unknown, so the request is rejected", async () => {
  const request = await seedOpenRequest(suite.harness.services);
  suite.recorder.watch(
    nock(API)
      .get(PULL)
      .times(2)
      .reply(200, livePull("head222"))
      .patch(CHECK)
      .reply(200, {})
      .patch(PULL)
      .reply(200, {})
      .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
      .reply(201, {})
      .post(`/repos/${OWNER}/${REPO}/issues/42/labels`)
      .reply(200, []),
  );
  await refreshRequest(suite.harness.services, await suite.harness.probot.auth(2), request.id);
  const stored = await suite.harness.store.get(request.id);
  expect(stored).toMatchObject({ status: "rejected", headSha: "head222" });
  expect((await suite.harness.store.events(request.id)).at(-1)?.detail).toContain(
    "the person behind it is unknown",
  );
});

test("a push minutes old, or one whose webhook job is queued, is left to that webhook", async () => {
  const request = await seedOpenRequest(suite.harness.services);
  suite.recorder.watch(nock(API).get(PULL).reply(200, livePull("head222", 0.5)));
  const github = await suite.harness.probot.auth(2);
  await refreshRequest(suite.harness.services, github, request.id);
  await suite.harness.jobs.enqueue({
    kind: "head_moved",
    installationId: 2,
    requestId: request.id,
    dedupeKey: "head:queued",
    payload: { headSha: "head222", pusher: "alice" },
  });
  suite.recorder.watch(nock(API).get(PULL).reply(200, livePull("head222", 10)));
  await refreshRequest(suite.harness.services, github, request.id);
  expect((await suite.harness.store.get(request.id))?.status).toBe("pending");
  expect(suite.recorder.writes()).toEqual([]);
});

test("only pending requests with a pull request are swept", async () => {
  const approved = await seedOpenRequest(suite.harness.services, { sourceCommentId: 1 });
  await suite.harness.store.transition(approved.id, "pending", "approved", { actor: "bob" });
  expect(await sweepPendingRequests(suite.harness.store, suite.harness.jobs)).toBe(0);
});
