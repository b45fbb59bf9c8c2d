import nock from "nock";
import type { Database } from "../../src/store/database.js";
import { sweepGrants } from "../../src/requests/expiry.js";
import { API, mockConfig, mockPermission, type Harness } from "../helpers/github.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  OWNER,
  REPO,
  issueCommentCreated,
  pullRequestEvent,
  pullRequestReview,
} from "../helpers/payloads.js";
import type { Recorder } from "../helpers/recorder.js";
import { resourcePolicy, seedOpenRequest } from "../helpers/seed.js";

const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of: [{ team: dba }, { team: security }]
    jit:
      max_duration: 2h
      approvals: { all_of: [{ team: dba }] }
  no-jit-db:
    approvals: { any_of: [{ team: dba }] }
    jit: false
`;
const POLICY = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
  jit: { max_duration: "2h", approvals: { all_of: [{ team: "dba" }] } },
});
const PULL = `/repos/${OWNER}/${REPO}/pulls/42`;
const CHECK = `/repos/${OWNER}/${REPO}/check-runs/9001`;

const suite = handlerSuite({ optionalToken: true });
const deliver = (name: string, payload: object) => suite.deliverAndDrain(name, payload);
let harness: Harness;
let recorder: Recorder;
let database: Database;
beforeEach(() => {
  ({ harness, recorder, database } = suite);
});

function mockReads(login: string): void {
  const scope = nock(API);
  mockConfig(scope, OWNER, REPO, CONFIG);
  mockPermission(scope, OWNER, REPO, login, "write");
  recorder.watch(scope);
}

/** Seeds grant 1 (30m, alice) and approves it with bob's review (bob is in dba). */
async function activeGrant(): Promise<number> {
  const grant = await seedOpenRequest(harness.services, {
    policy: POLICY,
    grantDurationMs: 30 * 60_000,
    command: "time-boxed access",
  });
  recorder.watch(
    nock(API)
      .get(`${PULL}/reviews`)
      .query(true)
      .reply(200, [
        {
          id: 1,
          user: { login: "bob", type: "User" },
          state: "APPROVED",
          commit_id: "head111",
          submitted_at: new Date().toISOString(),
          body: "",
        },
      ])
      .get(`${PULL}/commits`)
      .query(true)
      .reply(200, [])
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .reply(200, [])
      .get(`/orgs/${OWNER}/teams/dba/members`)
      .query(true)
      .reply(200, [{ login: "bob" }])
      .patch(CHECK, (body: { output: { title: string } }) =>
        /^Active: 30m left, until /.test(body.output.title),
      )
      .reply(200, {})
      .patch(PULL)
      .reply(200, {}),
  );
  await deliver(
    "pull_request_review",
    pullRequestReview({ reviewId: 1, login: "bob", state: "approved", commitId: "head111" }),
  );
  const approved = await harness.store.get(grant.id);
  expect(approved?.status).toBe("approved");
  return grant.id;
}

describe("grant requests", () => {
  test("/jit opens a grant request: a file under grants/ stating who, what, how long and why", async () => {
    mockReads("alice");
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: '/jit prod-db 30m --reason "incident 123"' }),
    );
    const grant = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(grant).toMatchObject({
      kind: "grant",
      status: "pending",
      grantDurationMs: 1_800_000,
      reason: "incident 123",
    });
    // Its open_request job is the one intake tests cover; here only the file matters.
    const { requestFileContent, requestFilePath, requestTitle } =
      await import("../../src/render/request-pr-text.js");
    if (grant === null) throw new Error("no grant");
    expect(requestFilePath(grant)).toMatch(/^grants\/prod-db\/\d{4}\/\d{2}\/1\.yml$/);
    expect(requestTitle(grant)).toBe("countersign: JIT 30m on prod-db for alice (grant 1)");
    const file = requestFileContent(grant);
    expect(file).toContain(
      'granted_to: alice\nresource: prod-db\nduration: 30m\nreason: "incident 123"',
    );
    await database.knex("jobs").update({ done_at: new Date() });
  });

  test.each([
    [
      "longer than jit.max_duration",
      "/jit prod-db 3h",
      /at most 2h of access to `prod-db`.*you asked for 3h/,
    ],
    ["on a resource with jit: false", "/jit no-jit-db 10m", /turned off for `no-jit-db`/],
  ])("a grant %s is refused with a clear comment and no request", async (_name, body, expected) => {
    mockReads("alice");
    recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/issues/7/comments`, (sent: { body: string }) =>
          expected.test(sent.body),
        )
        .reply(201, {}),
    );
    await deliver("issue_comment", issueCommentCreated({ body }));
    const count = await database.knex("requests").count({ n: "*" }).first();
    expect(Number(count?.n)).toBe(0);
  });

  test("approval under the jit rule starts the window; the check run shows the time left", async () => {
    const before = Date.now();
    const id = await activeGrant();
    const grant = await harness.store.get(id);
    const endsAt = grant?.grantEndsAt?.getTime() ?? 0;
    expect(endsAt).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(endsAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  });
});

describe("commands during a grant", () => {
  test("the grantee's /run is approved under the grant; another user's waits for approval", async () => {
    const grantId = await activeGrant();
    mockReads("alice");
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/run prod-db UPDATE users SET x = 1 WHERE id = 2",
        commentId: 7001,
        issueNumber: 8,
      }),
    );
    mockReads("carol");
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/run prod-db UPDATE users SET x = 1 WHERE id = 3",
        login: "carol",
        commentId: 7002,
        issueNumber: 8,
      }),
    );
    const mine = await harness.store.findBySource("repo:186853002:comment:7001");
    const theirs = await harness.store.findBySource("repo:186853002:comment:7002");
    expect(mine).toMatchObject({ grantId, status: "pending" });
    expect(theirs).toMatchObject({ grantId: null, status: "pending" });
    await database.knex("jobs").update({ done_at: new Date() });
  });

  test("someone else's push to a granted command's branch takes the grant away", async () => {
    const grantId = await activeGrant();
    const command = await seedOpenRequest(harness.services, {
      policy: POLICY,
      grantId,
      prNumber: 43,
      sourceCommentId: 7010,
    });
    const pull43 = `/repos/${OWNER}/${REPO}/pulls/43`;
    const file = command.filePath as string;
    recorder.watch(
      nock(API)
        .get(pull43)
        .reply(200, { number: 43, state: "open", head: { sha: "head999" }, base: { ref: "main" } })
        .get(`${pull43}/files`)
        .query(true)
        .reply(200, [{ filename: file, status: "added" }])
        .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(file)}`)
        .query({ ref: "head999" })
        .reply(200, {
          type: "file",
          path: file,
          content: Buffer.from("UPDATE users SET admin = true WHERE id = 666;").toString("base64"),
          encoding: "base64",
        })
        .post(`/repos/${OWNER}/${REPO}/check-runs`)
        .reply(201, { id: 9003 })
        .get(`${pull43}/reviews`)
        .query(true)
        .reply(200, [])
        .get(`/orgs/${OWNER}/teams/security/members`)
        .query(true)
        .reply(200, [{ login: "carol" }])
        .patch(`/repos/${OWNER}/${REPO}/check-runs/9003`)
        .reply(200, {})
        .patch(pull43)
        .reply(200, {}),
    );
    await deliver(
      "pull_request",
      pullRequestEvent({
        action: "synchronize",
        pullNumber: 43,
        headSha: "head999",
        sender: "mallory",
      }),
    );
    expect(await harness.store.get(command.id)).toMatchObject({
      grantId: null,
      status: "pending",
      command: "UPDATE users SET admin = true WHERE id = 666;",
    });
  });

  test("a denied command during a grant is still denied", async () => {
    await activeGrant();
    mockReads("alice");
    recorder.watch(nock(API).post(`/repos/${OWNER}/${REPO}/issues/8/comments`).reply(201, {}));
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/run prod-db DELETE FROM users",
        commentId: 7003,
        issueNumber: 8,
      }),
    );
    expect(await harness.store.findBySource("repo:186853002:comment:7003")).toMatchObject({
      status: "denied",
      grantId: null,
    });
  });
});

describe("the end of a grant", () => {
  function mockEnd(
    expectedTrailers: RegExp,
    commentPattern: RegExp,
    conclusion: "success" | "neutral" = "success",
  ): { merge: () => Record<string, unknown> } {
    let merge: Record<string, unknown> = {};
    recorder.watch(
      nock(API)
        .patch(CHECK, (body: Record<string, unknown>) => body.conclusion === conclusion)
        .reply(200, {})
        .patch(PULL)
        .reply(200, {})
        .get(PULL)
        .reply(200, { number: 42, state: "open", merged: false, base: { ref: "main" } })
        .put(
          `${PULL}/merge`,
          (body: Record<string, unknown>) => (
            (merge = body),
            expectedTrailers.test(String(body.commit_message))
          ),
        )
        .reply(200, { merged: true, sha: "audit1", message: "Pull Request successfully merged" })
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
          commentPattern.test(body.body),
        )
        .reply(201, {}),
    );
    return { merge: () => merge };
  }

  test("the window closes: the grant ends and its PR is merged with the grant trailers", async () => {
    const id = await activeGrant();
    const grant = await harness.store.get(id);
    await harness.store.patch(id, { grantEndsAt: new Date(Date.now() - 1000) });
    const calls = mockEnd(
      /Grant: 1\nResource: prod-db\nGranted-to: alice\nApproved-by: bob \(dba\)\nWindow: \S+\/\S+; the window closed\nCommands: 0/,
      /grant 1 has ended: the window closed\. 0 commands ran/,
    );
    await sweepGrants(harness.store, harness.jobs);
    await harness.drain();
    expect(await harness.jobs.failedJobs()).toEqual([]);
    expect((await harness.store.get(id))?.status).toBe("expired");
    expect(calls.merge()).toMatchObject({
      merge_method: "squash",
      sha: "head111",
      commit_title: "countersign: grant 1 on prod-db for alice (the window closed)",
    });
    expect(grant?.grantEndsAt).not.toBeNull();
  });

  test("/revoke by the grantee on the grant PR ends it early", async () => {
    const id = await activeGrant();
    mockEnd(/Window: \S+; revoked by alice/, /revoked by alice/, "neutral");
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/revoke",
        issueNumber: 42,
        onPullRequest: true,
        commentId: 8001,
      }),
    );
    expect((await harness.store.get(id))?.status).toBe("cancelled");
    // Her next command needs approval again.
    expect(
      await harness.store.findActiveGrant(OWNER, REPO, "prod-db", "alice", new Date()),
    ).toBeNull();
  });

  test("/revoke by someone who is neither the grantee nor an approver is refused", async () => {
    const id = await activeGrant();
    recorder.watch(
      nock(API)
        .get(`/orgs/${OWNER}/teams/dba/members`)
        .query(true)
        .reply(200, [{ login: "bob" }])
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
          body.body.startsWith("Sorry mallory, only alice (the grantee)"),
        )
        .reply(201, {}),
    );
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/revoke",
        login: "mallory",
        issueNumber: 42,
        onPullRequest: true,
        commentId: 8002,
      }),
    );
    expect((await harness.store.get(id))?.status).toBe("approved");
  });

  test("an approver may revoke someone else's grant", async () => {
    const id = await activeGrant();
    recorder.watch(
      nock(API)
        .get(`/orgs/${OWNER}/teams/dba/members`)
        .query(true)
        .reply(200, [{ login: "bob" }]),
    );
    mockEnd(/revoked by bob/, /revoked by bob/, "neutral");
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/revoke",
        login: "bob",
        issueNumber: 42,
        onPullRequest: true,
        commentId: 8003,
      }),
    );
    expect((await harness.store.get(id))?.status).toBe("cancelled");
  });
});
