/**
 * GitOps intake (DESIGN §1.1 item 3, issue 17 item 4): a person's pull request that adds one
 * `requests/<resource>/….sql` is itself the request PR (its author the requester, the file
 * the command); one that touches `requests/` any other way is told why and is not a request;
 * one that touches nothing there costs one read and no write. Real payload shapes
 * (@octokit/webhooks-examples), GitHub by nock, the store embedded.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import { API, mockConfig, mockPermission } from "../helpers/github.js";
import { OWNER, REPO, REPO_ID, gitopsPullRequest } from "../helpers/payloads.js";
import type { NewRequest } from "../../src/lifecycle/records.js";

const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of:
        - { team: dba, min: 1 }
        - { team: security, min: 1 }
    guardrails:
      deny: [drop, truncate, delete_without_where, update_without_where]
`;
const FILE = "requests/prod-db/2026/12/deactivate-123.sql";
const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";
const PR = 77;
const HEAD = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

const suite = handlerSuite({ optionalToken: true });

type Change = { filename: string; status: string; previous_filename?: string };

/**
 * GitHub's "list pull request files", twice: the configuration check (config-check.ts) reads
 * them for every pull request too.
 */
function mockFiles(files: Change[], times = 2, scope = nock(API)): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/files`)
    .query(true)
    .times(times)
    .reply(200, files);
}

/** Runs the jobs a pull request event queued: the configuration check, then the look. */
async function runLooks(): Promise<void> {
  expect(await suite.harness.runner.runOnce()).toBe(true);
  expect(await suite.harness.runner.runOnce()).toBe(true);
}

function mockContent(path: string, content: string, sha = HEAD, scope = nock(API)): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(path)}`)
    .query({ ref: sha })
    .reply(200, {
      type: "file",
      encoding: "base64",
      path,
      content: Buffer.from(content).toString("base64"),
    });
}

/**
 * Who pushed to the branch before the look: GitHub's activity for the ref (the real pushers)
 * and the pull request's commits (GitHub's listActivities and listCommits shapes).
 */
type Actor = { login: string; type: string } | null;

function mockBranchHistory(
  {
    pushers = ["alice"],
    authors = ["alice"],
    actors = pushers.map((login): Actor => ({ login, type: "User" })),
  }: { pushers?: string[]; authors?: string[]; actors?: Actor[] } = {},
  scope = nock(API),
): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/activity`)
    .query({ ref: "refs/heads/alice/deactivate-123", per_page: "100" })
    .reply(
      200,
      actors.map((actor, index) => ({
        id: index + 1,
        node_id: `RA_${index + 1}`,
        before: "0".repeat(40),
        after: HEAD,
        ref: "refs/heads/alice/deactivate-123",
        timestamp: "2026-12-04T10:00:00Z",
        activity_type: index === 0 ? "branch_creation" : "push",
        actor: actor === null ? null : { ...actor, id: 100 + index },
      })),
    )
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/commits`)
    .query(true)
    .reply(
      200,
      authors.map((login) => ({
        sha: HEAD,
        author: { login },
        committer: { login: "web-flow" },
      })),
    );
}

/** The reads of intake proper: the branch's pushers, the author's permission, the file. */
function mockIntakeReads(permission = "write", scope = nock(API)): nock.Scope {
  return mockPermission(
    mockConfig(mockBranchHistory({}, scope), OWNER, REPO, CONFIG),
    OWNER,
    REPO,
    "alice",
    permission,
  );
}

function comments(): string[] {
  return suite.recorder.calls
    .filter((call) => call.method === "POST" && call.path.endsWith(`/issues/${PR}/comments`))
    .map((call) => (call.body as { body: string }).body);
}

async function openedWithOneFile(content = COMMAND): Promise<void> {
  suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }]));
  suite.recorder.watch(mockContent(FILE, content));
  suite.recorder.watch(mockIntakeReads());
  await suite.deliver(
    "pull_request",
    gitopsPullRequest({ action: "opened", headSha: HEAD }),
    "d-opened",
  );
  // The look alone: it reads, records, and queues the rest.
  await runLooks();
}

/**
 * Everything the open_request and first evaluate jobs do on an adopted pull request, with
 * the reviews GitHub lists for it.
 */
function mockOpened(scope = nock(API), reviews: object[] = []): nock.Scope {
  return scope
    .post(`/repos/${OWNER}/${REPO}/check-runs`)
    .reply(201, { id: 9001 })
    .get(`/orgs/${OWNER}/teams/dba`)
    .reply(200, { id: 1, slug: "dba", node_id: "T_dba" })
    .get(`/orgs/${OWNER}/teams/security`)
    .reply(200, { id: 2, slug: "security", node_id: "T_security" })
    .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
    .reply(200, { name: "countersign", node_id: "L_countersign" })
    .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:prod-db")}`)
    .reply(200, { name: "countersign:prod-db", node_id: "L_prod" })
    .post("/graphql")
    .reply(200, { data: { reviews: {}, labels: {}, link: {}, eyes: {} } })
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/reviews`)
    .query(true)
    .reply(200, reviews)
    .get(`/orgs/${OWNER}/teams/dba/members`)
    .query(true)
    .reply(200, [{ login: "bob" }])
    .get(`/orgs/${OWNER}/teams/security/members`)
    .query(true)
    .reply(200, [{ login: "carol" }])
    .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`)
    .reply(200, {})
    .patch(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
    .reply(200, {});
}

describe("a pull request that adds one request file", () => {
  test("is the request PR: nothing new is made, the author is the requester", async () => {
    await openedWithOneFile();
    const request = await suite.harness.store.findBySource(
      `repo:${REPO_ID}:pull_request:${PR}:${HEAD}`,
    );
    expect(request).toMatchObject({
      status: "pending",
      requester: "alice",
      resource: "prod-db",
      command: COMMAND,
      reason: "INC-42",
      sourceType: "pull_request",
      sourceNumber: PR,
      prNumber: PR,
      prNodeId: `PR_node_${PR}`,
      prUrl: `https://github.com/${OWNER}/${REPO}/pull/${PR}`,
      branch: "alice/deactivate-123",
      filePath: FILE,
      headSha: HEAD,
      baseBranch: "main",
    });
    expect(suite.recorder.writes()).toEqual([]);

    suite.recorder.watch(mockOpened());
    await suite.harness.drain();
    // No branch, no file, no pull request: the check run, the announcement, the status.
    expect(suite.recorder.writes()).toEqual([
      `POST /repos/${OWNER}/${REPO}/check-runs`,
      "POST /graphql",
      `PATCH /repos/${OWNER}/${REPO}/check-runs/9001`,
      `PATCH /repos/${OWNER}/${REPO}/pulls/${PR}`,
    ]);
    const graphql = suite.recorder.calls.find((call) => call.path === "/graphql")?.body as {
      variables: Record<string, unknown>;
    };
    expect(graphql.variables).toMatchObject({
      pr: `PR_node_${PR}`,
      teams: ["T_dba", "T_security"],
      thread: `PR_node_${PR}`,
      subject: `PR_node_${PR}`,
    });
    expect(String(graphql.variables.body)).toContain(
      `Countersign took this pull request in as request ${request?.id} for \`prod-db\``,
    );
    const body = (
      suite.recorder.calls.find((call) => call.path === `/repos/${OWNER}/${REPO}/pulls/${PR}`)
        ?.body as { body: string }
    ).body;
    expect(body).toContain("**Waiting for approval**: dba 0/1 · security 0/1");
    expect(body).toContain(COMMAND);
    expect(await suite.harness.store.get(request?.id as number)).toMatchObject({
      checkRunId: 9001,
      pushers: ["alice", "web-flow"],
    });
    expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  });

  // The same commit can have shown another diff before: against another base (retargeted
  // since) or while it added more files. Approvals of that are not approvals of the request.
  test("approvals given before it became a request do not count; one given after does", async () => {
    await openedWithOneFile();
    const review = (id: number, login: string, submittedAt: string) => ({
      id,
      user: { login, type: "User" },
      state: "APPROVED",
      commit_id: HEAD,
      submitted_at: submittedAt,
      body: "",
    });
    suite.recorder.watch(
      mockOpened(nock(API), [
        review(501, "bob", "2026-12-01T09:00:00Z"),
        review(502, "carol", new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, "Z")),
      ]),
    );
    await suite.harness.drain();

    const request = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
    expect(request?.status).toBe("pending");
    const body = (
      suite.recorder.calls.find((call) => call.path === `/repos/${OWNER}/${REPO}/pulls/${PR}`)
        ?.body as { body: string }
    ).body;
    expect(body).toContain("**Waiting for approval**: dba 0/1 · security 1/1");
    const graphql = suite.recorder.calls.find((call) => call.path === "/graphql")?.body as {
      variables: { body: string };
    };
    expect(graphql.variables.body).toContain("approvals given before this comment do not count");
  });

  // with commits that name alice as their author: no webhook of a request reported it.
  test("who pushed before the look is recorded from GitHub's activity, not commit authors", async () => {
    suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }]));
    suite.recorder.watch(mockContent(FILE, COMMAND));
    suite.recorder.watch(
      mockPermission(
        mockConfig(mockBranchHistory({ pushers: ["alice", "bob"] }), OWNER, REPO, CONFIG),
        OWNER,
        REPO,
        "alice",
        "write",
      ),
    );
    await suite.deliver("pull_request", gitopsPullRequest({ action: "opened", headSha: HEAD }));
    await runLooks();
    const request = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
    expect(request?.requester).toBe("alice");
    expect(request?.pushers).toEqual(["alice", "bob", "web-flow"]);
  });

  test("a redelivery, or a reopen at the same commit, makes no second request", async () => {
    await openedWithOneFile();
    const payload = gitopsPullRequest({ action: "opened", headSha: HEAD });
    await suite.deliver("pull_request", payload, "d-opened");
    await suite.deliver("pull_request", gitopsPullRequest({ action: "reopened", headSha: HEAD }));
    const kinds = async () =>
      (await suite.database
        .knex("jobs")
        .whereNull("done_at")
        .orderBy("id")
        .pluck("kind")) as string[];
    expect(await kinds()).toEqual(["open_request", "gitops_intake"]);
    // The reopen's look finds the open request and reads nothing.
    await suite.database.knex("jobs").where({ kind: "open_request" }).delete();
    expect(await suite.harness.runner.runOnce()).toBe(true);
    expect(await kinds()).toEqual([]);
    expect(await suite.database.knex("requests").count({ n: "*" })).toEqual([{ n: 1 }]);
    expect(suite.recorder.writes()).toEqual([]);
  });

  test("a draft is taken in when it is marked ready for review", async () => {
    suite.recorder.watch(
      nock(API)
        .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/files`)
        .query(true)
        .reply(200, [{ filename: FILE, status: "added" }]),
    );
    await suite.deliverAndDrain(
      "pull_request",
      gitopsPullRequest({ action: "opened", headSha: HEAD, draft: true }),
    );
    // Only the configuration check looked at it.
    const paths = suite.recorder.calls.map((call) => call.path);
    expect(paths.filter((path) => !path.endsWith("/access_tokens"))).toEqual([
      `/repos/${OWNER}/${REPO}/pulls/${PR}/files?per_page=100`,
    ]);
    expect(await suite.harness.store.findByPullRequest(OWNER, REPO, PR)).toBeNull();
    // Made ready: no configuration check, the look alone.
    suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }], 1));
    suite.recorder.watch(mockContent(FILE, COMMAND));
    suite.recorder.watch(mockIntakeReads());
    await suite.deliver(
      "pull_request",
      gitopsPullRequest({ action: "ready_for_review", headSha: HEAD }),
    );
    expect(await suite.harness.runner.runOnce()).toBe(true);
    expect(await suite.harness.store.findByPullRequest(OWNER, REPO, PR)).toMatchObject({
      status: "pending",
      requester: "alice",
    });
  });
});

/** Delivers a pull request event whose look refuses it, and returns what it was told. */
async function refusedWith(
  files: Change[],
  payload = gitopsPullRequest({ action: "opened", headSha: HEAD }),
  reads: (scope: nock.Scope) => nock.Scope = (scope) => scope,
): Promise<string> {
  suite.recorder.watch(mockFiles(files));
  suite.recorder.watch(reads(nock(API)));
  suite.recorder.watch(
    nock(API).post(`/repos/${OWNER}/${REPO}/issues/${PR}/comments`).reply(201, { id: 1 }),
  );
  await suite.deliverAndDrain("pull_request", payload);
  expect(await suite.database.knex("requests").count({ n: "*" })).toEqual([{ n: 0 }]);
  expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  const told = comments();
  expect(told).toHaveLength(1);
  return told[0] as string;
}

describe("a pull request that is not a request", () => {
  test("touches nothing under requests/: read once by each look, no write", async () => {
    suite.recorder.watch(
      mockFiles([
        { filename: "src/app.ts", status: "modified" },
        { filename: "docs/requests/howto.md", status: "added" },
      ]),
    );
    await suite.deliverAndDrain(
      "pull_request",
      gitopsPullRequest({ action: "opened", headSha: HEAD }),
    );
    expect(suite.recorder.writes()).toEqual([]);
    expect(await suite.database.knex("requests").count({ n: "*" })).toEqual([{ n: 0 }]);
    expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  });

  test("a request file and anything else: told which files, no request", async () => {
    const told = await refusedWith([
      { filename: FILE, status: "added" },
      { filename: ".github/workflows/deploy.yml", status: "modified" },
    ]);
    expect(told).toContain("Countersign does not take this pull request as a request");
    expect(told).toContain("it changes 2 files");
    expect(told).toContain(".github/workflows/deploy.yml");
  });

  test("an edit of an earlier request's file (the audit record): told, no request", async () => {
    const told = await refusedWith([
      { filename: "requests/prod-db/2026/11/4.sql", status: "modified" },
    ]);
    expect(told).toContain("are the audit record of requests made before");
  });

  test("a pull request from a fork", async () => {
    const told = await refusedWith(
      [{ filename: FILE, status: "added" }],
      gitopsPullRequest({ action: "opened", headSha: HEAD, headRepoId: 999 }),
    );
    expect(told).toContain("it comes from a fork");
  });

  test("a pull request by a bot or an app", async () => {
    const told = await refusedWith(
      [{ filename: FILE, status: "added" }],
      gitopsPullRequest({
        action: "opened",
        headSha: HEAD,
        author: "deploy-bot[bot]",
        authorType: "Bot",
      }),
    );
    expect(told).toContain("is a bot or an app; a request is made by a person");
  });

  test("a file that is not readable as one (a symlink)", async () => {
    const told = await refusedWith([{ filename: FILE, status: "added" }], undefined, (scope) =>
      scope
        .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(FILE)}`)
        .query({ ref: HEAD })
        .reply(200, { type: "symlink", target: "/etc/passwd", path: FILE }),
    );
    expect(told).toContain("cannot be read as a file");
  });

  test("a symlink GitHub followed to another file of the repository is not that file's SQL", async () => {
    // The contents API follows a link to a file in the repository and answers with the
    // target's path and content: the reviewers' diff would show only the link.
    const told = await refusedWith([{ filename: FILE, status: "added" }], undefined, (scope) =>
      scope
        .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(FILE)}`)
        .query({ ref: HEAD })
        .reply(200, {
          type: "file",
          encoding: "base64",
          path: "db/maintenance/purge-inactive.sql",
          content: Buffer.from("DELETE FROM users WHERE status = 'inactive';").toString("base64"),
        }),
    );
    expect(told).toContain("cannot be read as a file");
    expect(await suite.harness.store.findByPullRequest(OWNER, REPO, PR)).toBeNull();
  });

  // A workflow or an app pushed a reviewer's SQL to the branch before it was taken in, under
  // the author's name; or a deploy key did, which GitHub names nobody for.
  test.each([
    { who: "a workflow's token", actor: { login: "github-actions[bot]", type: "Bot" } },
    { who: "an app", actor: { login: "deployer", type: "Bot" } },
    { who: "a deploy key", actor: null },
  ])("a branch $who pushed to is not taken in", async ({ actor }) => {
    const told = await refusedWith([{ filename: FILE, status: "added" }], undefined, (scope) =>
      mockBranchHistory(
        { actors: [{ login: "alice", type: "User" }, actor] },
        mockContent(FILE, COMMAND, HEAD, scope),
      ),
    );
    // The comment escapes Markdown (github-actions\\[bot\\]); read it as shown.
    expect(told.replaceAll("\\", "")).toContain(actor?.login ?? "an account GitHub does not name");
    expect(told).toContain("the person behind the command is unknown");
  });

  test("an author without write permission learns nothing of the configuration", async () => {
    const told = await refusedWith([{ filename: FILE, status: "added" }], undefined, (scope) =>
      mockPermission(
        mockBranchHistory({}, mockContent(FILE, COMMAND, HEAD, scope)),
        OWNER,
        REPO,
        "alice",
        "read",
      ),
    );
    expect(told).toContain("only people with write access");
  });

  test("a pull request into another branch than the audit branch", async () => {
    const told = await refusedWith(
      [{ filename: FILE, status: "added" }],
      gitopsPullRequest({ action: "opened", headSha: HEAD, baseRef: "release" }),
      (scope) => mockIntakeReads("write", mockContent(FILE, COMMAND, HEAD, scope)),
    );
    expect(told).toContain("it merges into `release`");
    expect(told).toContain("merge into `main`");
  });

  test("a refusal answers once when the webhook is redelivered", async () => {
    await refusedWith([
      { filename: FILE, status: "added" },
      { filename: "README.md", status: "modified" },
    ]);
    // Reopened at the same commit: the configuration check of that commit was made already.
    const payload = gitopsPullRequest({ action: "reopened", headSha: HEAD });
    suite.recorder.watch(
      mockFiles(
        [
          { filename: FILE, status: "added" },
          { filename: "README.md", status: "modified" },
        ],
        1,
      ),
    );
    await suite.deliverAndDrain("pull_request", payload);
    expect(comments()).toHaveLength(1);
  });
});

describe("guardrails, and asking again with a push", () => {
  test("a denied command is told to push a fix; the fixed commit is a new request", async () => {
    suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }]));
    suite.recorder.watch(mockContent(FILE, "DELETE FROM users;"));
    suite.recorder.watch(mockIntakeReads());
    suite.recorder.watch(
      nock(API).post(`/repos/${OWNER}/${REPO}/issues/${PR}/comments`).reply(201, { id: 1 }),
    );
    await suite.deliverAndDrain(
      "pull_request",
      gitopsPullRequest({ action: "opened", headSha: HEAD }),
    );
    const [told] = comments();
    expect(told).toContain("the guardrails of `prod-db` deny it");
    expect(told).toContain("this pull request is not a request. Push a changed file to ask again");
    const denied = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
    expect(denied).toMatchObject({ status: "denied", command: "DELETE FROM users;" });

    const FIXED = "b".repeat(40);
    suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }]));
    suite.recorder.watch(mockContent(FILE, "DELETE FROM users WHERE id = 123;", FIXED));
    suite.recorder.watch(mockIntakeReads());
    await suite.deliver(
      "pull_request",
      gitopsPullRequest({ action: "synchronize", headSha: FIXED }),
    );
    await runLooks();
    const asked = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
    expect(asked).toMatchObject({
      status: "pending",
      headSha: FIXED,
      command: "DELETE FROM users WHERE id = 123;",
    });
    expect(asked?.id).not.toBe(denied?.id);
  });

  test.each(["cancelled", "rejected", "expired"] as const)(
    "after a %s request, a new commit is refused: the pull request's reviews would count for it",
    async (ended) => {
      await openedWithOneFile();
      await suite.database.knex("jobs").whereNull("done_at").delete();
      const first = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
      await suite.harness.store.transition(first?.id as number, "pending", ended, {
        actor: "dan",
      });

      // A new commit and a reopen: GitHub still lists the approvals given to HEAD, and a push
      // of HEAD back would make them count for a second request.
      const NEXT = "b".repeat(40);
      // Read by the look alone: a reopen is no new configuration to check.
      suite.recorder.watch(mockFiles([{ filename: FILE, status: "added" }], 1));
      suite.recorder.watch(
        nock(API).post(`/repos/${OWNER}/${REPO}/issues/${PR}/comments`).reply(201, { id: 1 }),
      );
      await suite.deliverAndDrain(
        "pull_request",
        gitopsPullRequest({ action: "reopened", headSha: NEXT }),
      );
      const [told] = comments();
      expect(told).toContain(`this pull request already held request ${first?.id} (${ended})`);
      expect(told).toContain("open a new pull request to ask again");
      const latest = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
      expect(latest?.id).toBe(first?.id);
      expect(await suite.database.knex("requests").count({ n: "*" })).toEqual([{ n: 1 }]);
    },
  );
});

describe("a push to a GitOps request", () => {
  test("goes to the request (head_moved), once, and makes no second request", async () => {
    await openedWithOneFile();
    await suite.database.knex("jobs").whereNull("done_at").delete();
    const PUSHED = "c".repeat(40);
    await suite.deliver(
      "pull_request",
      gitopsPullRequest({ action: "synchronize", headSha: PUSHED, sender: "alice" }),
      "d-push",
    );
    const pending = async () =>
      (await suite.database
        .knex("jobs")
        .whereNull("done_at")
        .orderBy("id")
        .select("kind", "dedupe_key")) as { kind: string; dedupe_key: string }[];
    expect((await pending()).map((job) => job.kind).sort()).toEqual([
      "check_config",
      "gitops_intake",
      "head_moved",
    ]);
    // The look hands the push over under the same key as the webhook's own: nothing new.
    await suite.database.knex("jobs").whereIn("kind", ["check_config"]).delete();
    const look = await suite.database.knex("jobs").where({ kind: "gitops_intake" }).first("id");
    await suite.database
      .knex("jobs")
      .where({ kind: "head_moved" })
      .update({ run_after: new Date(Date.now() + 3_600_000) });
    expect(look).toBeDefined();
    expect(await suite.harness.runner.runOnce()).toBe(true);
    expect((await pending()).map((job) => job.kind)).toEqual(["head_moved"]);
    expect(await suite.database.knex("requests").count({ n: "*" })).toEqual([{ n: 1 }]);
  });
});

test("a push while the pull request was being taken in still reaches the request", async () => {
  await openedWithOneFile();
  await suite.database.knex("jobs").whereNull("done_at").delete();
  const PUSHED = "d".repeat(40);
  await suite.deliver(
    "pull_request",
    gitopsPullRequest({ action: "synchronize", headSha: PUSHED, sender: "bob" }),
    "d-early-push",
  );
  // As if the webhook had come before the request was recorded: its own head_moved found
  // nothing, so only the configuration check and the look were queued.
  await suite.database.knex("jobs").whereIn("kind", ["head_moved", "check_config"]).delete();
  expect(await suite.harness.runner.runOnce()).toBe(true);
  const queued = (await suite.database
    .knex("jobs")
    .whereNull("done_at")
    .select("kind", "payload")) as { kind: string; payload: unknown }[];
  expect(queued).toHaveLength(1);
  expect(queued[0]?.kind).toBe("head_moved");
  const payload = queued[0]?.payload;
  expect(typeof payload === "string" ? JSON.parse(payload) : payload).toEqual({
    headSha: PUSHED,
    pusher: "bob",
    pusherIsBot: false,
  });
});

test("two open requests on one pull request cannot be recorded (two looks racing)", async () => {
  await openedWithOneFile();
  const first = await suite.harness.store.findByPullRequest(OWNER, REPO, PR);
  // The stored request as a new one: everything but its id and times.
  const copy: Record<string, unknown> = { ...first };
  for (const key of ["id", "createdAt", "updatedAt"]) delete copy[key];
  const again = () =>
    suite.harness.store.create(
      { ...(copy as unknown as NewRequest), sourceKey: `repo:${REPO_ID}:pull_request:${PR}:other` },
      "alice",
    );
  await expect(again()).rejects.toThrow(/requests_one_open_per_pull/);
  // Once it ended, a new commit may be a new request.
  await suite.harness.store.transition(first?.id as number, "pending", "cancelled", {
    actor: "alice",
  });
  expect((await again()).created).toBe(true);
  await suite.database.knex("jobs").whereNull("done_at").delete();
});
