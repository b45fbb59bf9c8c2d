/**
 * `/schedule <ISO time>` on a request PR (issue 17), from the webhook to the PR: an approver
 * (a member of one of the rule's teams) sets when the command runs at the earliest, inside
 * its execution window; the requester, a non-member, a time outside the window, a time that
 * is not one, or a request that no longer waits get a polite reply and change nothing. A
 * redelivered webhook acts once. Real payload shapes, nock for GitHub, an injected clock.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import { issueCommentCreated, OWNER, REPO } from "../helpers/payloads.js";
import { resourcePolicy, seedOpenRequest } from "../helpers/seed.js";
import { API, createHarness, mockInstallationToken } from "../helpers/github.js";
import { serverConfig } from "../helpers/server-floor.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
import type { RequestRecord } from "../../src/store/requests.js";

const suite = handlerSuite({ optionalToken: true });

/** Monday 7 December 2026, 09:30 in Berlin. */
const CLOCK = new Date("2026-12-07T08:30:00Z");
const OFFICE = {
  days: ["mon", "tue", "wed", "thu", "fri"],
  hours: "09:00-17:00",
  time_zone: "Europe/Berlin",
};
const IN_OFFICE_HOURS = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }] },
  timeout: "30d",
  window: OFFICE,
});

beforeEach(() => {
  suite.harness.services.now = () => CLOCK;
  // The request branch's commits, read to exclude whoever pushed (alice alone here). Not
  // read when the comment is refused before that (a bot, the requester).
  suite.recorder.watch(
    nock(API)
      .get(`/repos/${OWNER}/${REPO}/pulls/42/commits`)
      .query(true)
      .optionally()
      .times(5)
      .reply(200, [
        { sha: "head111", author: { login: "alice" }, committer: { login: "web-flow" } },
      ])
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .optionally()
      .times(5)
      .reply(200, []),
  );
});

/** A request on PR 42 as the review webhooks leave it: bob's approval cached, `status`. */
async function seeded(
  status: "pending" | "approved",
  policy: ResourcePolicy = IN_OFFICE_HOURS,
): Promise<RequestRecord> {
  const request = await seedOpenRequest(suite.harness.services, {
    policy,
    expiresAt: new Date(CLOCK.getTime() + 7 * 86_400_000),
  });
  const review = {
    id: 1,
    login: "bob",
    isBot: false,
    state: "APPROVED" as const,
    commitId: "head111",
    submittedAt: "2026-12-07T08:00:00Z",
  };
  await suite.harness.store.patch(request.id, {
    reviews: status === "approved" ? [review] : [],
    pushers: [],
  });
  if (status === "approved") {
    await suite.harness.store.transition(request.id, "pending", "approved", { actor: "test" });
  }
  return (await suite.harness.store.get(request.id)) as RequestRecord;
}

function schedule(login: string, time: string, commentId = 77) {
  return issueCommentCreated({
    body: `/schedule ${time}`,
    login,
    issueNumber: 42,
    onPullRequest: true,
    commentId,
  });
}

/** The dba team's members, read once (then cached). */
function mockDba(scope: nock.Scope = nock(API)): nock.Scope {
  return scope
    .get(`/orgs/${OWNER}/teams/dba/members`)
    .query(true)
    .reply(200, [{ login: "bob" }]);
}

/** The reply on PR 42; its body is kept for the test. */
function mockReply(bodies: string[], scope: nock.Scope = nock(API)): nock.Scope {
  return scope
    .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (sent: { body: string }) => {
      bodies.push(sent.body);
      return true;
    })
    .reply(201, { id: 1, html_url: `https://github.com/${OWNER}/${REPO}/pull/42#issuecomment-1` });
}

/** The status shown on the PR: the check run's title and the PR body. */
function mockStatus(shown: { title?: string; body?: string }, scope = nock(API)): nock.Scope {
  return scope
    .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`, (sent: { output: { title: string } }) => {
      shown.title = sent.output.title;
      return true;
    })
    .reply(200, { id: 9001 })
    .patch(`/repos/${OWNER}/${REPO}/pulls/42`, (sent: { body: string }) => {
      shown.body = sent.body;
      return true;
    })
    .reply(200, { number: 42 });
}

async function unchanged(id: number): Promise<void> {
  const stored = await suite.harness.store.get(id);
  expect(stored?.notBefore).toBeNull();
  expect(stored?.scheduledBy).toBeNull();
  const notes = (await suite.harness.store.events(id)).filter((event) =>
    event.detail?.startsWith("scheduled by"),
  );
  expect(notes).toEqual([]);
}

test("an approver schedules an approved command inside the window: recorded, answered, shown", async () => {
  const request = await seeded("approved");
  const replies: string[] = [];
  const shown: { title?: string; body?: string } = {};
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(shown));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00"));

  const stored = await suite.harness.store.get(request.id);
  expect(stored?.status).toBe("approved");
  expect(stored?.notBefore).toEqual(new Date("2026-12-07T14:00:00Z"));
  expect(stored?.scheduledBy).toBe("bob");
  const events = await suite.harness.store.events(request.id);
  expect(events.at(-1)).toMatchObject({
    actor: "bob",
    detail: "scheduled by bob to run at 2026-12-07T14:00:00.000Z at the earliest",
  });
  expect(replies).toHaveLength(1);
  expect(replies[0]).toContain(
    "runs at Mon 2026-12-07 15:00 Europe/Berlin (2026-12-07 14:00 UTC) at the earliest.",
  );
  expect(replies[0]).toContain("inside its execution window");
  expect(shown.title).toBe(
    "Approved — scheduled by bob; runs at Mon 2026-12-07 15:00 Europe/Berlin (2026-12-07 14:00 UTC) (execution window Mon–Fri 09:00–17:00 Europe/Berlin)",
  );
  expect(await suite.harness.jobs.failedJobs()).toEqual([]);

  // GitHub delivers it again: nothing is queued, nothing is written, nothing is noted twice.
  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00"));
  const schedules = await suite.database.knex("jobs").where({ kind: "schedule" });
  expect(schedules).toHaveLength(1);
  expect(await suite.harness.store.events(request.id)).toHaveLength(events.length);
});

test("a pending command can be scheduled too: the PR says it runs then once approved", async () => {
  const request = await seeded("pending");
  const replies: string[] = [];
  const shown: { title?: string; body?: string } = {};
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(shown));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-08T08:30Z"));

  expect((await suite.harness.store.get(request.id))?.notBefore).toEqual(
    new Date("2026-12-08T08:30:00Z"),
  );
  expect(replies[0]).toContain(", once it is approved.");
  expect(shown.title).toBe("Waiting for approval");
  expect(shown.body).toContain("Scheduled by bob: once approved, it runs at Tue 2026-12-08 09:30");
});

test("the requester cannot schedule their own command", async () => {
  const request = await seeded("approved");
  const replies: string[] = [];
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("alice", "2026-12-07T15:00+01:00"));

  expect(replies[0]).toContain("Sorry alice");
  expect(replies[0]).toContain("when it runs is for one of its approvers to choose");
  expect(replies[0]).toContain("Nothing was changed.");
  await unchanged(request.id);
});

test("someone outside the rule's teams cannot schedule it", async () => {
  const request = await seeded("approved");
  const replies: string[] = [];
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("carol", "2026-12-07T15:00+01:00"));

  expect(replies[0]).toContain("only a person who could approve request");
  expect(replies[0]).toContain("(dba)");
  await unchanged(request.id);
});

test("a time outside the window is refused with the next opening", async () => {
  const request = await seeded("approved");
  const replies: string[] = [];
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-12T10:00Z"));

  expect(replies[0]).toContain("is outside the execution window");
  expect(replies[0]).toContain("it next opens Mon 2026-12-14 09:00 Europe/Berlin");
  await unchanged(request.id);
});

test("the server floor's window counts too, even when the request was frozen without one", async () => {
  suite.harness = createHarness(
    suite.database,
    {},
    serverConfig({
      "prod-db": {
        repos: ["acme/*"],
        approvals: "none",
        window: { hours: "09:00-12:00", time_zone: "Europe/Berlin" },
      },
    }),
  );
  suite.harness.services.now = () => CLOCK;
  suite.recorder.watch(mockInstallationToken(nock(API), { optional: true }));
  const request = await seeded(
    "approved",
    resourcePolicy({ approvals: { all_of: [{ team: "dba" }] }, timeout: "30d" }),
  );
  const replies: string[] = [];
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00"));

  expect(replies[0]).toContain("outside the execution window, every day 09:00–12:00");
  await unchanged(request.id);
});

test("a time that is not one, or has no offset, is explained", async () => {
  const request = await seeded("approved");
  const replies: string[] = [];
  // The team is read once: the second /schedule finds it in the shared team cache.
  suite.recorder.watch(mockDba());
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "tomorrow @carol", 78));
  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00", 79));

  expect(replies[0]).toContain("that is not a time");
  expect(replies[0]).not.toContain("@carol");
  expect(replies[1]).toContain("has no UTC offset");
  await unchanged(request.id);
});

test("a request that no longer waits to run gets a polite reply at once, and no job", async () => {
  const request = await seeded("approved");
  await suite.harness.store.transition(request.id, "approved", "cancelled", { actor: "alice" });
  const replies: string[] = [];
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00"));

  expect(replies[0]).toContain(`request ${request.id} is cancelled`);
  expect(await suite.database.knex("jobs").where({ kind: "schedule" })).toEqual([]);
  await unchanged(request.id);
});

test("a bot's /schedule, or one outside a request PR, means nothing", async () => {
  const request = await seeded("approved");
  await suite.deliverAndDrain(
    "issue_comment",
    issueCommentCreated({
      body: "/schedule 2026-12-07T15:00+01:00",
      login: "helper[bot]",
      userType: "Bot",
      issueNumber: 42,
      onPullRequest: true,
    }),
  );
  await suite.deliverAndDrain(
    "issue_comment",
    issueCommentCreated({ body: "/schedule 2026-12-07T15:00+01:00", login: "bob", issueNumber: 7 }),
  );
  expect(await suite.database.knex("jobs")).toEqual([]);
  await unchanged(request.id);
});
