/**
 * Review of /schedule (issue 17): who may schedule, and that a schedule only ever delays.
 * - a person who pushed to the request branch is refused, whether the push is already
 *   recorded in `pushers` or not yet (pushers is null until the first warm evaluation);
 * - a second /schedule by another approver cannot bring the command forward of the time
 *   the first one chose; the one who chose it may move it earlier.
 * Same harness as test/handlers/schedule-command.test.ts: real payload shapes, nock, PGlite.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import { issueCommentCreated, OWNER, REPO } from "../helpers/payloads.js";
import { resourcePolicy, seedOpenRequest } from "../helpers/seed.js";
import { API } from "../helpers/github.js";
import type { RequestRecord } from "../../src/store/requests.js";

const suite = handlerSuite({ optionalToken: true });

/** Monday 7 December 2026, 09:30 in Berlin. */
const CLOCK = new Date("2026-12-07T08:30:00Z");
const POLICY = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }] },
  timeout: "30d",
  window: {
    days: ["mon", "tue", "wed", "thu", "fri"],
    hours: "09:00-17:00",
    time_zone: "Europe/Berlin",
  },
});

beforeEach(() => {
  suite.harness.services.now = () => CLOCK;
});

/** An approved request on PR 42 (bob's approval cached); `pushers` as given. */
async function approved(pushers: string[] | null): Promise<RequestRecord> {
  const request = await seedOpenRequest(suite.harness.services, {
    policy: POLICY,
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
  await suite.harness.store.patch(request.id, { reviews: [review], pushers });
  await suite.harness.store.transition(request.id, "pending", "approved", { actor: "test" });
  return (await suite.harness.store.get(request.id)) as RequestRecord;
}

function schedule(login: string, time: string, commentId: number) {
  return issueCommentCreated({
    body: `/schedule ${time}`,
    login,
    issueNumber: 42,
    onPullRequest: true,
    commentId,
  });
}

function mockDba(members: string[]): nock.Scope {
  return nock(API)
    .get(`/orgs/${OWNER}/teams/dba/members`)
    .query(true)
    .optionally()
    .reply(
      200,
      members.map((login) => ({ login })),
    );
}

/**
 * The request branch: `author` wrote its one commit (GitHub's listCommits shape), and
 * GitHub's record of its pushes names Countersign, which created it, and `pushedBy`
 * (listActivities).
 */
function mockCommits(author: string, pushedBy: string[] = []): nock.Scope {
  const actors = [
    { login: "countersign[bot]", type: "Bot" },
    ...pushedBy.map((login) => ({ login, type: "User" })),
  ];
  return nock(API)
    .get(`/repos/${OWNER}/${REPO}/activity`)
    .query(true)
    .optionally()
    .times(5)
    .reply(
      200,
      actors.map((actor, index) => ({
        id: index + 1,
        ref: "refs/heads/countersign/1",
        activity_type: index === 0 ? "branch_creation" : "push",
        actor,
      })),
    )
    .get(`/repos/${OWNER}/${REPO}/pulls/42/commits`)
    .query(true)
    .optionally()
    .times(5)
    .reply(200, [
      {
        sha: "head111",
        commit: { message: "tweak the WHERE clause" },
        author: { login: author, type: "User" },
        committer: { login: "web-flow", type: "User" },
      },
    ]);
}

function mockReply(bodies: string[]): nock.Scope {
  return nock(API)
    .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (sent: { body: string }) => {
      bodies.push(sent.body);
      return true;
    })
    .reply(201, { id: 1, html_url: `https://github.com/${OWNER}/${REPO}/pull/42#issuecomment-1` });
}

/** The PR's status, written when a schedule lands (optional: a refusal writes none). */
function mockStatus(times: number): nock.Scope {
  return nock(API)
    .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`)
    .optionally()
    .times(times)
    .reply(200, { id: 9001 })
    .patch(`/repos/${OWNER}/${REPO}/pulls/42`)
    .optionally()
    .times(times)
    .reply(200, { number: 42 });
}

async function scheduleEvents(id: number) {
  return (await suite.harness.store.events(id)).filter((event) =>
    event.detail?.startsWith("scheduled by"),
  );
}

test("a pusher recorded in pushers cannot schedule, even as a member of the rule's team", async () => {
  const request = await approved(["bob"]);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob"]));
  suite.recorder.watch(mockCommits("alice"));
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00", 77));

  expect(replies[0]).toContain("Sorry bob");
  expect(replies[0]).toContain("you pushed to request");
  const stored = await suite.harness.store.get(request.id);
  expect(stored?.notBefore).toBeNull();
  expect(stored?.scheduledBy).toBeNull();
});

// bob pushed a commit whose author he set to alice; his push's webhook is still queued.
test("a pusher GitHub's push record names, under a commit he made out to be alice's, cannot schedule", async () => {
  const request = await approved(["alice"]);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob"]));
  suite.recorder.watch(mockCommits("alice", ["bob"]));
  suite.recorder.watch(mockReply(replies));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00", 77));

  expect(replies[0]).toContain("you pushed to request");
  expect((await suite.harness.store.get(request.id))?.notBefore).toBeNull();
  expect(await scheduleEvents(request.id)).toEqual([]);
});

test("a pusher not yet in pushers (null before the first evaluation) cannot schedule either", async () => {
  // bob, a dba member, wrote a commit on the request branch; no push webhook or warm
  // evaluation has recorded it yet (pushers is null, as at intake).
  const request = await approved(null);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob"]));
  suite.recorder.watch(mockCommits("bob"));
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(1));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T15:00+01:00", 77));

  const stored = await suite.harness.store.get(request.id);
  expect(stored?.scheduledBy).toBeNull();
  expect(stored?.notBefore).toBeNull();
  expect(await scheduleEvents(request.id)).toEqual([]);
  expect(replies[0]).toContain("Sorry bob");
});

test("a second approver's /schedule cannot bring the command forward of the first one's", async () => {
  const request = await approved([]);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob", "dave"]));
  suite.recorder.watch(mockCommits("alice"));
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(2));

  // bob holds it until 16:00 Berlin (15:00Z); dave then asks for 10:00 Berlin (09:00Z).
  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T16:00+01:00", 77));
  expect((await suite.harness.store.get(request.id))?.notBefore).toEqual(
    new Date("2026-12-07T15:00:00Z"),
  );
  await suite.deliverAndDrain("issue_comment", schedule("dave", "2026-12-07T10:00+01:00", 78));

  const stored = await suite.harness.store.get(request.id);
  expect(stored?.notBefore).toEqual(new Date("2026-12-07T15:00:00Z"));
  expect(stored?.scheduledBy).toBe("bob");
  expect(replies[1]).toContain("Sorry dave");
  expect(await scheduleEvents(request.id)).toHaveLength(1);
});

test("whoever chose the time may bring their own schedule forward", async () => {
  const request = await approved([]);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob"]));
  suite.recorder.watch(mockCommits("alice"));
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(2));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T16:00+01:00", 77));
  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T10:00+01:00", 78));

  const stored = await suite.harness.store.get(request.id);
  expect(stored?.notBefore).toEqual(new Date("2026-12-07T09:00:00Z"));
  expect(stored?.scheduledBy).toBe("bob");
  expect(replies[1]).not.toContain("Sorry");
  expect(await scheduleEvents(request.id)).toHaveLength(2);
});

// dave first takes bob's time over (the same time, or a minute later: both only delay), then
// tries to bring it forward as if it were his own.
test.each([
  ["the same time", "2026-12-07T16:00+01:00"],
  ["a minute later", "2026-12-07T16:01+01:00"],
])("taking a colleague's time over with %s does not let one bring it forward", async (_, first) => {
  const request = await approved([]);
  const replies: string[] = [];
  suite.recorder.watch(mockDba(["bob", "dave"]));
  suite.recorder.watch(mockCommits("alice"));
  for (let reply = 0; reply < 3; reply += 1) suite.recorder.watch(mockReply(replies));
  suite.recorder.watch(mockStatus(3));

  await suite.deliverAndDrain("issue_comment", schedule("bob", "2026-12-07T16:00+01:00", 77));
  await suite.deliverAndDrain("issue_comment", schedule("dave", first, 78));
  const taken = await suite.harness.store.get(request.id);
  expect(taken?.scheduledBy).toBe("dave");
  await suite.deliverAndDrain("issue_comment", schedule("dave", "2026-12-07T10:00+01:00", 79));

  const stored = await suite.harness.store.get(request.id);
  expect(stored?.notBefore).toEqual(taken?.notBefore);
  expect(replies[2]).toContain("Sorry dave");
  expect(await scheduleEvents(request.id)).toHaveLength(2);
});
