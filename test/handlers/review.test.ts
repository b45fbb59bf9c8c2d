import nock from "nock";
import { sweepExpired } from "../../src/requests/expiry.js";
import { API, type Harness } from "../helpers/github.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  OWNER,
  REPO,
  issueCommentCreated,
  membershipEvent,
  pullRequestEvent,
  pullRequestReview,
} from "../helpers/payloads.js";
import type { Recorder } from "../helpers/recorder.js";
import { FILE_PATH, seedOpenRequest } from "../helpers/seed.js";

const PULL = `/repos/${OWNER}/${REPO}/pulls/42`;
const CHECK = `/repos/${OWNER}/${REPO}/check-runs/9001`;
const TEAMS = { dba: ["bob", "dan"], security: ["carol", "bob"] };

const suite = handlerSuite({ optionalToken: true });
const deliver = (name: string, payload: object, id?: string) =>
  suite.deliverAndDrain(name, payload, id);
// Bound per test by the suite's beforeEach.
let harness: Harness;
let recorder: Recorder;
beforeEach(() => {
  ({ harness, recorder } = suite);
});

interface ApiReview {
  id: number;
  user: { login: string; type: string };
  state: string;
  commit_id: string;
  submitted_at: string;
  body: string;
}

function apiReview(
  id: number,
  login: string,
  state: string,
  commit = "head111",
  at = id,
): ApiReview {
  return {
    id,
    user: { login, type: "User" },
    state,
    commit_id: commit,
    submitted_at: new Date(Date.UTC(2026, 10, 22, 10, 0, at)).toISOString(),
    body: "",
  };
}

/** The reads of a first (cold) evaluation: reviews, commits, both teams. */
function mockColdReads(reviews: ApiReview[]): void {
  recorder.watch(
    nock(API)
      .get(`${PULL}/reviews`)
      .query(true)
      .reply(200, reviews)
      .get(`${PULL}/commits`)
      .query(true)
      .reply(200, [{ sha: "head111", author: { login: "countersign[bot]" }, committer: null }])
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .reply(200, [])
      .get(`/orgs/${OWNER}/teams/dba/members`)
      .query(true)
      .reply(
        200,
        TEAMS.dba.map((login) => ({ login })),
      )
      .get(`/orgs/${OWNER}/teams/security/members`)
      .query(true)
      .reply(
        200,
        TEAMS.security.map((login) => ({ login })),
      ),
  );
}

/** The two in-place status writes; resolves the bodies for assertions. */
function mockStatusWrites(): {
  check: () => Record<string, unknown>;
  pull: () => Record<string, unknown>;
} {
  let check: Record<string, unknown> = {};
  let pull: Record<string, unknown> = {};
  recorder.watch(
    nock(API)
      .patch(CHECK, (body: Record<string, unknown>) => ((check = body), true))
      .reply(200, { id: 9001 })
      .patch(PULL, (body: Record<string, unknown>) => ((pull = body), true))
      .reply(200, { number: 42 }),
  );
  return { check: () => check, pull: () => pull };
}

/** The four writes that end a request that will not run: check, PR, final comment, label. */
function mockCloseWrites(): void {
  recorder.watch(
    nock(API)
      .patch(CHECK)
      .reply(200, {})
      .patch(PULL)
      .reply(200, {})
      .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
      .reply(201, {})
      .post(`/repos/${OWNER}/${REPO}/issues/42/labels`)
      .reply(200, []),
  );
}

function reads(): string[] {
  return recorder.calls
    .filter((call) => call.method === "GET")
    .map((call) => call.path.replace(/\?.*$/, ""));
}

function review(
  id: number,
  login: string,
  state: "approved" | "changes_requested" | "commented" | "dismissed",
  extra: object = {},
) {
  return pullRequestReview({ reviewId: id, login, state, commitId: "head111", ...extra });
}

describe("re-evaluation after reviews", () => {
  test("cold then warm: an all_of rule approves after dba and security, counting calls", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "dan", "APPROVED")]);
    const first = mockStatusWrites();
    await deliver("pull_request_review", review(1, "dan", "approved"));

    expect(reads()).toEqual([
      `${PULL}/reviews`,
      `${PULL}/commits`,
      `/repos/${OWNER}/${REPO}/activity`,
      `/orgs/${OWNER}/teams/dba/members`,
      `/orgs/${OWNER}/teams/security/members`,
    ]);
    expect(recorder.writes()).toEqual([`PATCH ${CHECK}`, `PATCH ${PULL}`]);
    expect(first.check()).toMatchObject({ output: { title: "Waiting for approval" } });
    expect(String((first.check().output as { summary: string }).summary)).toContain(
      "dba 1/1 ✓ (dan) · security 0/1",
    );
    expect(String(first.pull().body)).toContain(
      "**Waiting for approval**: dba 1/1 ✓ (dan) · security 0/1",
    );
    expect((await harness.store.get(request.id))?.status).toBe("pending");

    // Warm: the review comes from the webhook, memberships from the cache.
    recorder.calls.length = 0;
    const second = mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect(reads()).toEqual([]);
    expect(recorder.writes()).toEqual([`PATCH ${CHECK}`, `PATCH ${PULL}`]);
    expect(second.check()).toMatchObject({ output: { title: "Approved: queued for execution" } });
    expect(String(second.pull().body)).toContain("dba 1/1 ✓ (dan) · security 1/1 ✓ (carol)");
    const approved = await harness.store.get(request.id);
    expect(approved?.status).toBe("approved");
    const events = await harness.store.events(request.id);
    expect(events.map((event) => event.toStatus)).toEqual(["pending", "approved"]);
  });

  test("an approval delivered twice is evaluated once; the same review under a new delivery writes nothing", async () => {
    await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "dan", "APPROVED")]);
    mockStatusWrites();
    const payload = review(1, "dan", "approved");
    await deliver("pull_request_review", payload, "same-delivery");
    await deliver("pull_request_review", payload, "same-delivery");
    expect(recorder.writes()).toHaveLength(2);
    // GitHub sent it again under a new id: the status is unchanged, so no write.
    await deliver("pull_request_review", payload, "another-delivery");
    expect(recorder.writes()).toHaveLength(2);
  });

  test.each([
    ["dba first", ["dan", "carol"]],
    ["security first", ["carol", "dan"]],
  ])("reviews in either order end approved (%s)", async (_name, order) => {
    const request = await seedOpenRequest(harness.services);
    const [firstLogin, secondLogin] = order as [string, string];
    mockColdReads([apiReview(1, firstLogin, "APPROVED")]);
    mockStatusWrites();
    await deliver("pull_request_review", review(1, firstLogin, "approved"));
    mockStatusWrites();
    await deliver("pull_request_review", review(2, secondLogin, "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("approved");
  });

  test("bob, in both teams, cannot approve alone; with dan he fills security", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "bob", "APPROVED")]);
    mockStatusWrites();
    await deliver("pull_request_review", review(1, "bob", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("pending");
    const writes = mockStatusWrites();
    await deliver("pull_request_review", review(2, "dan", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("approved");
    expect(String(writes.pull().body)).toContain("dba 1/1 ✓ (dan) · security 1/1 ✓ (bob)");
  });

  test("changes requested by a member reject the request: PR closed, reason shown, labelled", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([
      { ...apiReview(1, "dan", "CHANGES_REQUESTED"), body: "Wrong table, use accounts" },
    ]);
    let comment = "";
    let check: Record<string, unknown> = {};
    let pull: Record<string, unknown> = {};
    recorder.watch(
      nock(API)
        .patch(CHECK, (body: Record<string, unknown>) => ((check = body), true))
        .reply(200, {})
        .patch(PULL, (body: Record<string, unknown>) => ((pull = body), true))
        .reply(200, {})
        .post(
          `/repos/${OWNER}/${REPO}/issues/42/comments`,
          (body: { body: string }) => ((comment = body.body), true),
        )
        .reply(201, { id: 1 })
        .post(`/repos/${OWNER}/${REPO}/issues/42/labels`, { labels: ["countersign:rejected"] })
        .reply(200, []),
    );
    await deliver(
      "pull_request_review",
      review(1, "dan", "changes_requested", { body: "Wrong table, use accounts" }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("rejected");
    expect(check).toMatchObject({
      status: "completed",
      conclusion: "failure",
      output: { title: "Rejected: changes requested by dan" },
    });
    expect(pull).toMatchObject({ state: "closed" });
    expect(comment).toContain("is **rejected** and will not run");
    expect(comment).toContain("dan requested changes");
    expect(comment).toContain("> Wrong table, use accounts");
  });

  test("changes requested by someone outside the rule's teams are ignored", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "eve", "CHANGES_REQUESTED")]);
    const writes = mockStatusWrites();
    await deliver("pull_request_review", review(1, "eve", "changes_requested"));
    expect((await harness.store.get(request.id))?.status).toBe("pending");
    expect(String(writes.pull().body)).toContain("eve");
  });

  test("a dismissed approval takes an approved request back to pending", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "dan", "APPROVED"), apiReview(2, "carol", "APPROVED")]);
    mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("approved");
    const writes = mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "dismissed", { action: "dismissed" }));
    expect((await harness.store.get(request.id))?.status).toBe("pending");
    expect(String(writes.pull().body)).toContain("security 0/1");
  });

  test("a review GitHub's list did not show yet still counts (list and webhook race)", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([]);
    const writes = mockStatusWrites();
    await deliver("pull_request_review", review(1, "dan", "approved"));
    expect(String(writes.pull().body)).toContain("dba 1/1 ✓ (dan)");
    expect((await harness.store.get(request.id))?.reviews).toEqual([
      expect.objectContaining({ id: 1, login: "dan", state: "APPROVED" }),
    ]);
  });

  test("a request past its timeout is not approved, however late the sweep", async () => {
    const request = await seedOpenRequest(harness.services, {
      expiresAt: new Date(Date.now() - 1000),
    });
    mockColdReads([apiReview(1, "dan", "APPROVED"), apiReview(2, "carol", "APPROVED")]);
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("pending");
  });

  test("the requester's own approval never counts", async () => {
    const request = await seedOpenRequest(harness.services, { requester: "bob" });
    mockColdReads([apiReview(1, "bob", "APPROVED"), apiReview(2, "carol", "APPROVED")]);
    const writes = mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("pending");
    expect(String(writes.pull().body)).toContain("is the requester");
  });

  test("a review on a pull request that is not a request is ignored without a call", async () => {
    await deliver(
      "pull_request_review",
      pullRequestReview({
        reviewId: 9,
        login: "dan",
        state: "approved",
        commitId: "x",
        pullNumber: 77,
      }),
    );
    expect(recorder.calls).toEqual([]);
  });
});

describe("pushes to the request branch", () => {
  /** The job reads the branch as it is now, whatever sha the webhook named. */
  function mockLiveHead(sha = "head222"): void {
    recorder.watch(
      nock(API)
        .get(PULL)
        .reply(200, {
          number: 42,
          state: "open",
          merged: false,
          head: { sha },
          base: { ref: "main" },
        }),
    );
  }

  function mockHeadMovedReads(files: string[], content: string): void {
    mockLiveHead();
    recorder.watch(
      nock(API)
        .get(`${PULL}/files`)
        .query(true)
        .reply(
          200,
          files.map((filename) => ({ filename, status: "added" })),
        )
        .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(FILE_PATH)}`)
        .query({ ref: "head222" })
        .reply(200, {
          type: "file",
          path: FILE_PATH,
          content: Buffer.from(content).toString("base64"),
          encoding: "base64",
        }),
    );
  }

  test("a push makes earlier approvals stale and the pusher ineligible; the new head gets a check run", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "dan", "APPROVED"), apiReview(2, "carol", "APPROVED")]);
    mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("approved");

    mockHeadMovedReads(
      [FILE_PATH],
      "-- Countersign request #1\n\nUPDATE users SET status = 'gone' WHERE id = 124;\n",
    );
    let pull: Record<string, unknown> = {};
    recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/check-runs`, {
          name: "countersign/approval",
          head_sha: "head222",
          status: "in_progress",
          output: {
            title: "Waiting for approval",
            summary: "The command changed; evaluating reviews of the new commit.",
          },
        })
        .reply(201, { id: 9002 })
        .patch(`/repos/${OWNER}/${REPO}/check-runs/9002`)
        .reply(200, {})
        .patch(PULL, (body: Record<string, unknown>) => ((pull = body), true))
        .reply(200, {}),
    );
    await deliver(
      "pull_request",
      pullRequestEvent({ action: "synchronize", headSha: "head222", sender: "dan" }),
    );
    const moved = await harness.store.get(request.id);
    expect(moved).toMatchObject({
      status: "pending",
      headSha: "head222",
      checkRunId: 9002,
      command: "UPDATE users SET status = 'gone' WHERE id = 124;",
    });
    expect(moved?.pushers).toContain("dan");
    expect(String(pull.body)).toContain(
      "dan pushed head222: approvals of earlier commits are stale",
    );
    expect(String(pull.body)).toContain("UPDATE users SET status = 'gone' WHERE id = 124;");
  });

  // Another file beside the request file; or the request file no longer added but modified:
  // main gained a file at its path (say another request's, merged since) and the branch was
  // brought up to date, so merging would overwrite that record, whatever the command says.
  test.each([
    {
      what: "touches another file",
      files: [
        { filename: FILE_PATH, status: "added" },
        { filename: ".github/workflows/deploy.yml", status: "modified" },
      ],
      detail:
        "the pull request changes files other than the request file (`.github/workflows/deploy.yml`); what merges must be exactly the command that ran",
    },
    {
      what: "leaves the request file modified, no longer added",
      files: [{ filename: FILE_PATH, status: "modified" }],
      detail: `the pull request no longer adds \`${FILE_PATH}\` but changes a file of that name on the base branch; merging it would overwrite that file, so a request file is always new`,
    },
  ])("a push that $what rejects the request", async ({ files, detail }) => {
    const request = await seedOpenRequest(harness.services);
    mockLiveHead();
    recorder.watch(nock(API).get(`${PULL}/files`).query(true).reply(200, files));
    mockCloseWrites();
    await deliver(
      "pull_request",
      pullRequestEvent({ action: "synchronize", headSha: "head222", sender: "mallory" }),
    );
    const events = await harness.store.events(request.id);
    expect(events.at(-1)).toMatchObject({ toStatus: "rejected", actor: "mallory", detail });
    const closed = recorder.calls.find((call) => call.method === "PATCH" && call.path === PULL);
    expect(closed?.body).toMatchObject({
      state: "closed",
      body: expect.stringContaining("Rejected"),
    });
  });

  test("a push by a bot or an app (github-actions[bot]) rejects the request: the human behind it is unknown", async () => {
    const request = await seedOpenRequest(harness.services);
    mockLiveHead();
    mockCloseWrites();
    await deliver(
      "pull_request",
      pullRequestEvent({
        action: "synchronize",
        headSha: "head222",
        sender: "github-actions[bot]",
        senderType: "Bot",
      }),
    );
    const stored = await harness.store.get(request.id);
    expect(stored).toMatchObject({ status: "rejected", headSha: "head222" });
    expect(stored?.pushers).toContain("github-actions[bot]");
    expect((await harness.store.events(request.id)).at(-1)).toMatchObject({
      toStatus: "rejected",
      actor: "github-actions[bot]",
      detail: expect.stringContaining("the person behind it is unknown") as string,
    });
    // Nothing else was read: not the files, not the command.
    expect(reads()).toEqual([PULL]);
  });

  test("a push that turns the command into one the guardrails deny rejects the request", async () => {
    const request = await seedOpenRequest(harness.services);
    mockHeadMovedReads([FILE_PATH], "DROP TABLE users;");
    mockCloseWrites();
    await deliver(
      "pull_request",
      pullRequestEvent({ action: "synchronize", headSha: "head222", sender: "mallory" }),
    );
    expect((await harness.store.events(request.id)).at(-1)).toMatchObject({
      toStatus: "rejected",
      detail: "guardrails deny the edited command: drop",
    });
  });
});

describe("cancelling", () => {
  test.each([
    ["closed", false],
    ["merged before it ran", true],
  ])("a request PR %s by a person is cancelled", async (_how, merged) => {
    const request = await seedOpenRequest(harness.services);
    let check: Record<string, unknown> = {};
    let pull: Record<string, unknown> = {};
    recorder.watch(
      nock(API)
        .patch(CHECK, (body: Record<string, unknown>) => ((check = body), true))
        .reply(200, {})
        .patch(PULL, (body: Record<string, unknown>) => ((pull = body), true))
        .reply(200, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
          body.body.includes("was **cancelled** by carol"),
        )
        .reply(201, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/labels`, { labels: ["countersign:cancelled"] })
        .reply(200, []),
    );
    await deliver(
      "pull_request",
      pullRequestEvent({ action: "closed", headSha: "head111", sender: "carol", merged }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("cancelled");
    expect(check).toMatchObject({
      conclusion: "cancelled",
      output: { title: "Cancelled by carol" },
    });
    expect(pull.state).toBeUndefined();
  });

  test("Countersign's own merge or close does not cancel", async () => {
    const request = await seedOpenRequest(harness.services);
    await deliver(
      "pull_request",
      pullRequestEvent({
        action: "closed",
        headSha: "head111",
        sender: "countersign[bot]",
        senderType: "Bot",
        merged: true,
      }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("pending");
    expect(recorder.calls).toEqual([]);
  });

  test("/cancel by the requester on the request PR closes it", async () => {
    const request = await seedOpenRequest(harness.services);
    recorder.watch(
      nock(API)
        .patch(CHECK)
        .reply(200, {})
        .patch(PULL, (body: Record<string, unknown>) => body.state === "closed")
        .reply(200, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
        .reply(201, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/labels`)
        .reply(200, []),
    );
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/cancel",
        login: "alice",
        issueNumber: 42,
        onPullRequest: true,
        commentId: 6001,
      }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("cancelled");
  });

  test("/cancel by the requester on the source thread works too", async () => {
    const request = await seedOpenRequest(harness.services);
    mockCloseWrites();
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: "/cancel", login: "alice", issueNumber: 7, commentId: 6002 }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("cancelled");
  });

  test("/cancel by anyone else gets a polite refusal and changes nothing", async () => {
    const request = await seedOpenRequest(harness.services);
    recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
          body.body.startsWith(
            "Sorry mallory, only the person who asked can cancel a request: request 1 was requested by alice",
          ),
        )
        .reply(201, {}),
    );
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/cancel",
        login: "mallory",
        issueNumber: 42,
        onPullRequest: true,
        commentId: 6003,
      }),
    );
    expect((await harness.store.get(request.id))?.status).toBe("pending");
  });
});

describe("team changes and expiry", () => {
  test("a membership webhook drops the cached team and re-evaluates open requests", async () => {
    const request = await seedOpenRequest(harness.services);
    mockColdReads([apiReview(1, "dan", "APPROVED"), apiReview(2, "carol", "APPROVED")]);
    mockStatusWrites();
    await deliver("pull_request_review", review(2, "carol", "approved"));
    expect((await harness.store.get(request.id))?.status).toBe("approved");

    // carol leaves security: only that team is read again, and the request goes back.
    recorder.calls.length = 0;
    recorder.watch(
      nock(API)
        .get(`/orgs/${OWNER}/teams/security/members`)
        .query(true)
        .reply(200, [{ login: "bob" }]),
    );
    mockStatusWrites();
    await deliver(
      "membership",
      membershipEvent({ team: "security", member: "carol", action: "removed" }),
    );
    expect(reads()).toEqual([`/orgs/${OWNER}/teams/security/members`]);
    expect((await harness.store.get(request.id))?.status).toBe("pending");
  });

  test("a pending request past its timeout expires: closed, explained, labelled", async () => {
    const request = await seedOpenRequest(harness.services, {
      expiresAt: new Date(Date.now() - 1000),
    });
    let check: Record<string, unknown> = {};
    recorder.watch(
      nock(API)
        .patch(CHECK, (body: Record<string, unknown>) => ((check = body), true))
        .reply(200, {})
        .patch(PULL, (body: Record<string, unknown>) => body.state === "closed")
        .reply(200, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
          body.body.includes("**expired**: it was not approved within 1d"),
        )
        .reply(201, {})
        .post(`/repos/${OWNER}/${REPO}/issues/42/labels`, { labels: ["countersign:expired"] })
        .reply(200, []),
    );
    expect(await sweepExpired(harness.store, harness.jobs)).toBe(1);
    // A second sweep (another replica) queues nothing new.
    await sweepExpired(harness.store, harness.jobs);
    await harness.drain();
    expect((await harness.store.get(request.id))?.status).toBe("expired");
    expect(check).toMatchObject({ conclusion: "timed_out" });
  });
});
