import nock from "nock";
import type { Database } from "../../src/store/database.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  API,
  createHarness,
  mockConfig,
  mockInstallationToken,
  mockPermission,
  type Harness,
} from "../helpers/github.js";
import {
  OWNER,
  REPO,
  issueCommentCreated,
  issueCommentEdited,
  issueOpened,
} from "../helpers/payloads.js";
import { recordCalls } from "../helpers/recorder.js";
import { serverConfig } from "../helpers/server-floor.js";

const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of:
        - { team: dba, min: 1 }
        - { team: security, min: 1 }
    timeout: 24h
    guardrails:
      deny: [drop, truncate, delete_without_where, update_without_where, grant]
      max_affected_rows: 1000
  staging-db:
    approvals: none
`;

const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";

const suite = handlerSuite();
// Through the harness of the moment: a test may swap in one with another environment.
let deliveries = 0;
const deliver = (name: string, payload: object) =>
  harness.probot.receive({ id: `d-${++deliveries}`, name, payload } as Parameters<
    Harness["probot"]["receive"]
  >[0]);
let database: Database;
let harness: Harness;
beforeEach(() => {
  ({ database, harness } = suite);
});

/**
 * Runs the intake job the delivery queued, and nothing else: intake's reads (permission,
 * configuration) and checks happen there, not while the webhook is being answered.
 */
async function takeIn(): Promise<void> {
  const next = (await database.knex("jobs").whereNull("done_at").orderBy("id").first("kind")) as
    { kind: string } | undefined;
  expect(next?.kind).toBe("intake");
  expect(await harness.runner.runOnce()).toBe(true);
}

/** The calls the intake job makes: reads only. */
function mockIntakeReads(login = "alice", permission = "write"): nock.Scope {
  const scope = mockInstallationToken(nock(API));
  mockConfig(scope, OWNER, REPO, CONFIG);
  return mockPermission(scope, OWNER, REPO, login, permission);
}

/** Every call the open_request job makes, answered as GitHub would. */
function mockOpenRequest(
  requestId: number,
  options: { reviewers: boolean; graphqlReply?: object },
): nock.Scope {
  const scope = nock(API)
    .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
    .reply(200, { ref: "refs/heads/main", object: { sha: "base000", type: "commit" } })
    .post(`/repos/${OWNER}/${REPO}/git/refs`, {
      ref: `refs/heads/countersign/${requestId}`,
      sha: "base000",
    })
    .reply(201, { ref: `refs/heads/countersign/${requestId}`, object: { sha: "base000" } })
    .put((path) => path.startsWith(`/repos/${OWNER}/${REPO}/contents/`))
    .reply(201, { content: {}, commit: { sha: "head111" } })
    .post(`/repos/${OWNER}/${REPO}/pulls`)
    .reply(201, {
      number: 42,
      node_id: "PR_node_42",
      html_url: `https://github.com/${OWNER}/${REPO}/pull/42`,
    })
    .post(`/repos/${OWNER}/${REPO}/check-runs`)
    .reply(201, { id: 9001 });
  if (options.reviewers) {
    scope
      .get(`/orgs/${OWNER}/teams/dba`)
      .reply(200, { id: 1, slug: "dba", node_id: "T_dba" })
      .get(`/orgs/${OWNER}/teams/security`)
      .reply(200, { id: 2, slug: "security", node_id: "T_security" });
  }
  scope
    .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
    .reply(200, { name: "countersign", node_id: "L_countersign" })
    .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:prod-db")}`)
    .reply(404, { message: "Not Found" })
    .post(`/repos/${OWNER}/${REPO}/labels`, { name: "countersign:prod-db", color: "5319e7" })
    .reply(201, { name: "countersign:prod-db", node_id: "L_prod" })
    .post("/graphql")
    .reply(200, options.graphqlReply ?? { data: { reviews: {}, labels: {}, link: {}, eyes: {} } });
  return scope;
}

describe("intake from an issue comment", () => {
  test("a /run comment becomes a request PR in five content-creating calls", async () => {
    const recorder = recordCalls();
    recorder.watch(mockIntakeReads());
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: `/run prod-db\n\`\`\`sql\n${COMMAND}\n\`\`\`\nReason: INC-7` }),
    );
    await takeIn();
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request).toMatchObject({ status: "pending", resource: "prod-db", reason: "INC-7" });
    expect(recorder.writes()).toEqual([]);

    recorder.watch(mockOpenRequest(request?.id as number, { reviewers: true }));
    await harness.drain();

    expect(recorder.writes()).toEqual([
      "POST /repos/acme/ops/git/refs",
      "PUT /repos/acme/ops/contents/requests/prod-db/2026/11/1.sql".replace(
        "2026/11",
        `${new Date().getUTCFullYear()}/${String(new Date().getUTCMonth() + 1).padStart(2, "0")}`,
      ),
      "POST /repos/acme/ops/pulls",
      "POST /repos/acme/ops/check-runs",
      "POST /repos/acme/ops/labels",
      "POST /graphql",
    ]);
    // The label is created once per repository; a steady-state intake makes five writes.
    expect(recorder.writes().filter((call) => !call.endsWith("/labels"))).toHaveLength(5);

    const file = recorder.calls.find((call) => call.method === "PUT")?.body as {
      content: string;
      branch: string;
      message: string;
    };
    expect(file.branch).toBe("countersign/1");
    const content = Buffer.from(file.content, "base64").toString("utf8");
    expect(content).toContain("-- Countersign request #1");
    expect(content).toContain("-- Requested by: alice");
    expect(content).toContain("-- Reason:       INC-7");
    expect(content.trimEnd().endsWith(COMMAND)).toBe(true);

    const pull = recorder.calls.find((call) => call.path.endsWith("/pulls"))?.body as {
      title: string;
      body: string;
      head: string;
      base: string;
    };
    expect(pull).toMatchObject({
      title: "countersign: prod-db request 1 by alice",
      head: "countersign/1",
      base: "main",
    });
    expect(pull.body).toContain("Every group below must approve");
    expect(pull.body).toContain("- dba: 1 approval");
    expect(pull.body).toContain("**Waiting for approval**: dba 0/1 · security 0/1");
    expect(pull.body).toContain("- dba: 0/1, 1 more approval needed.");
    expect(pull.body).toContain(COMMAND);
    expect(pull.body).toContain("| 1 | write |");

    const check = recorder.calls.find((call) => call.path.endsWith("/check-runs"))?.body as {
      output: { summary: string };
    };
    expect(check).toMatchObject({
      name: "countersign/approval",
      head_sha: "head111",
      status: "in_progress",
      output: { title: "Waiting for approval" },
    });
    // The check run alone tells a reviewer why: progress, per-group reasons, statements.
    expect(check.output.summary).toContain("**dba 0/1 · security 0/1**");
    expect(check.output.summary).toContain("- security: 0/1, 1 more approval needed.");
    expect(check.output.summary).toContain("- 1. write on users: `UPDATE users SET");

    const graphql = recorder.calls.find((call) => call.path === "/graphql")?.body as {
      query: string;
      variables: Record<string, unknown>;
    };
    expect(graphql.query).toContain("requestReviews");
    expect(graphql.query).toContain("addReaction");
    expect(graphql.variables).toMatchObject({
      pr: "PR_node_42",
      teams: ["T_dba", "T_security"],
      users: [],
      labels: ["L_countersign", "L_prod"],
      thread: "I_node_7",
      subject: "IC_node_5001",
    });
    expect(String(graphql.variables.body)).toContain(
      "Countersign request 1 for `prod-db` is open for review: https://github.com/acme/ops/pull/42",
    );

    expect(await harness.store.get(request?.id as number)).toMatchObject({
      status: "pending",
      prNumber: 42,
      headSha: "head111",
      checkRunId: 9001,
      branch: "countersign/1",
      filePath: expect.stringMatching(/^requests\/prod-db\/\d{4}\/\d{2}\/1\.sql$/),
    });
    expect(await harness.jobs.pendingCount()).toBe(0);
    expect(await harness.jobs.failedJobs()).toEqual([]);
  });

  test("under a server floor, the PR shows both rules and asks every team of both", async () => {
    harness = createHarness(
      database,
      {},
      serverConfig({
        "prod-db": { repos: ["acme/ops"], approvals: { all_of: [{ team: "dba" }] } },
      }),
    );
    const recorder = recordCalls();
    recorder.watch(mockIntakeReads());
    await deliver("issue_comment", issueCommentCreated({ body: `/run prod-db ${COMMAND}` }));
    await takeIn();
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    recorder.watch(mockOpenRequest(request?.id as number, { reviewers: true }));
    await harness.drain();
    const pull = recorder.calls.find((call) => call.path.endsWith("/pulls"))?.body as {
      body: string;
    };
    expect(pull.body).toContain(
      "The server's floor for `prod-db` requires dba; this repository's `.github/countersign.yml` asks for dba and security; both must hold.",
    );
    expect(pull.body).toContain("**Waiting for approval**: dba 0/1 · security 0/1");
  });

  test("a repository file that says approvals: none under a dba floor still waits for dba", async () => {
    harness = createHarness(
      database,
      {},
      serverConfig({
        "prod-db": { repos: ["acme/ops"], approvals: { all_of: [{ team: "dba" }] } },
      }),
    );
    const scope = mockInstallationToken(nock(API));
    mockConfig(
      scope,
      OWNER,
      REPO,
      "resources:\n  prod-db:\n    approvals: none\n    guardrails: { deny: [] }\n",
    );
    mockPermission(scope, OWNER, REPO, "alice", "write");
    const lax = "resources:\n  prod-db:\n    approvals: none\n    guardrails: { deny: [] }\n";
    mockPermission(mockConfig(scope, OWNER, REPO, lax), OWNER, REPO, "alice", "write");
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db DELETE FROM users" }));
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: "/run prod-db SELECT 1", commentId: 5002 }),
    );
    // Both intake jobs, before the denial's reply that the first one queues.
    await takeIn();
    await takeIn();
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    // The floor's default denies still hold: deny: [] in the repository lowers nothing.
    expect(request).toMatchObject({ status: "denied", statusDetail: "delete_without_where" });
    const second = await harness.store.findBySource("repo:186853002:comment:5002");
    expect(second?.status).toBe("pending");
    expect(second?.policy).toMatchObject({
      approvals: { mode: "all_of", groups: [{ key: "dba" }] },
      origin: { floor: "dba", repository: "no approval" },
    });
  });

  test("a redelivered webhook makes no second request and no second call", async () => {
    mockIntakeReads();
    const payload = issueCommentCreated({ body: `/run prod-db ${COMMAND}` });
    await deliver("issue_comment", payload);
    await takeIn();
    // The redelivery: no config read, no permission check, no job.
    await deliver("issue_comment", payload);
    const count = await database.knex("requests").count({ n: "*" }).first();
    expect(Number(count?.n)).toBe(1);
    expect(await harness.jobs.pendingCount()).toBe(1);
  });

  test("a resource with approvals: none is approved once its PR is open, without reviewers", async () => {
    mockIntakeReads();
    await deliver("issue_comment", issueCommentCreated({ body: "/run staging-db SELECT 1" }));
    const scope = nock(API)
      .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
      .reply(200, { object: { sha: "base000" } })
      .post(`/repos/${OWNER}/${REPO}/git/refs`)
      .reply(201, {})
      .put((path) => path.includes("/contents/"))
      .reply(201, { commit: { sha: "head222" } })
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(201, { number: 43, node_id: "PR_43", html_url: "https://github.com/acme/ops/pull/43" })
      .post(
        `/repos/${OWNER}/${REPO}/check-runs`,
        (body: { output: { title: string } }) =>
          body.output.title === "Approved: queued for execution",
      )
      .reply(201, { id: 9002 })
      .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
      .reply(200, { node_id: "L_countersign" })
      .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:staging-db")}`)
      .reply(200, { node_id: "L_staging" })
      .post("/graphql", (body: { query: string }) => !body.query.includes("requestReviews"))
      .reply(200, { data: {} });
    await harness.drain();
    expect(scope.isDone()).toBe(true);
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request?.status).toBe("approved");
    const events = await harness.store.events(request?.id as number);
    expect(events.map((event) => event.toStatus)).toEqual(["pending", "approved"]);
    expect(events[1]?.detail).toBe("no approval is required for staging-db");
  });

  test("a branch someone created in advance with other content is not adopted", async () => {
    mockIntakeReads();
    await deliver("issue_comment", issueCommentCreated({ body: `/run prod-db ${COMMAND}` }));
    let comment = "";
    nock(API)
      .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
      .reply(200, { object: { sha: "base000" } })
      .post(`/repos/${OWNER}/${REPO}/git/refs`)
      .reply(422, { message: "Reference already exists" })
      .put((path) => path.includes("/contents/"))
      .reply(422, { message: 'Invalid request. "sha" wasn\'t supplied.' })
      .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/countersign/1")}`)
      .reply(200, { object: { sha: "evil999" } })
      .get((path) => path.includes("/contents/"))
      .query({ ref: "evil999" })
      .reply(200, (uri) => ({
        type: "file",
        // The path asked for: the file is there, with other content.
        path: decodeURIComponent(uri.split("/contents/")[1]?.split("?")[0] ?? ""),
        encoding: "base64",
        content: Buffer.from("DROP TABLE users;").toString("base64"),
      }))
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`, (body: { body: string }) => {
        comment = body.body;
        return true;
      })
      .reply(201, {});
    await harness.drain();
    expect(await harness.store.get(1)).toMatchObject({ status: "rejected", prNumber: null });
    expect(comment).toContain("the branch `countersign/1` already exists with other content");
  });

  test("partial GraphQL failures keep the request open and are recorded", async () => {
    mockIntakeReads();
    await deliver("issue_comment", issueCommentCreated({ body: `/run prod-db ${COMMAND}` }));
    mockOpenRequest(1, {
      reviewers: true,
      graphqlReply: {
        data: { reviews: null, labels: {}, link: {}, eyes: {} },
        errors: [{ path: ["reviews"], message: "Team dba has no access to this repository" }],
      },
    });
    await harness.drain();
    const events = await harness.store.events(1);
    expect(events.at(-1)?.detail).toBe(
      "announcement partly failed: reviews: Team dba has no access to this repository",
    );
    expect((await harness.store.get(1))?.status).toBe("pending");
  });
});

describe("intake refusals: a clear comment and no request", () => {
  async function expectRefusal(expected: RegExp): Promise<void> {
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`, (sent: { body: string }) =>
        expected.test(sent.body),
      )
      .reply(201, { id: 1, html_url: "https://github.com/acme/ops/issues/7#issuecomment-1" });
    await harness.drain();
    const count = await database.knex("requests").count({ n: "*" }).first();
    expect(Number(count?.n)).toBe(0);
  }

  test("a resource the server does not declare lists the ones available here", async () => {
    // The server decides before the repository's file is read: no configuration read.
    mockPermission(mockInstallationToken(nock(API)), OWNER, REPO, "alice", "write");
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod SELECT 1" }));
    await expectRefusal(
      /`prod` is not available to this repository.*Available here: `no-jit-db`, `prod-db`, `replica`, `staging-db`/,
    );
  });

  test("a resource the server keeps for other repositories is not available, and not named", async () => {
    harness = createHarness(
      database,
      {},
      serverConfig({ "prod-db": { repos: ["acme/infra"], approvals: "none" } }),
    );
    mockPermission(mockInstallationToken(nock(API)), OWNER, REPO, "alice", "write");
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    await expectRefusal(
      /`prod-db` is not available to this repository.*No resource is available here yet/,
    );
  });

  test("an empty command", async () => {
    mockInstallationToken(nock(API));
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db\n```sql\n```" }));
    await expectRefusal(/could not read this `\/run` command: the command is empty/);
  });

  test("a command over 64 KiB", async () => {
    mockInstallationToken(nock(API));
    const big = `SELECT '${"x".repeat(70_000)}'`;
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: `/run prod-db\n\`\`\`\n${big}\n\`\`\`` }),
    );
    await expectRefusal(/the limit is 65,536 bytes/);
  });

  test("a requester without write permission learns nothing of the configuration", async () => {
    const scope = mockInstallationToken(nock(API));
    // No configuration read: permission is checked first.
    mockPermission(scope, OWNER, REPO, "mallory", "read");
    await deliver(
      "issue_comment",
      issueCommentCreated({ body: "/run prod-db SELECT 1", login: "mallory" }),
    );
    await expectRefusal(/only people with write access .* \(you have `read`\)/);
  });

  test("a configuration error names the file, the path and the problem", async () => {
    const scope = mockInstallationToken(nock(API));
    mockPermission(scope, OWNER, REPO, "alice", "write");
    mockConfig(scope, OWNER, REPO, "resources:\n  prod-db:\n    aprovals: none\n");
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    await expectRefusal(
      /`\.github\/countersign\.yml`[\s\S]*`resources\.prod-db`: Unrecognized key: "aprovals"/,
    );
  });

  test("a configuration file that is not YAML", async () => {
    const scope = mockInstallationToken(nock(API));
    mockPermission(scope, OWNER, REPO, "alice", "write");
    mockConfig(scope, OWNER, REPO, "resources: [unclosed\n");
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    await expectRefusal(/`\(file\)`: the file is not valid YAML/);
  });

  test("no repository file (and no organisation default): the server's floor alone governs", async () => {
    harness = createHarness(
      database,
      {},
      serverConfig({
        "prod-db": {
          repos: ["acme/*"],
          approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
        },
      }),
    );
    const scope = mockInstallationToken(nock(API));
    mockPermission(scope, OWNER, REPO, "alice", "write");
    scope
      .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(".github/countersign.yml")}`)
      .reply(404, { message: "Not Found" })
      .get(`/repos/${OWNER}/.github/contents/${encodeURIComponent(".github/countersign.yml")}`)
      .reply(404, { message: "Not Found" });
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    await takeIn();
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request?.status).toBe("pending");
    expect(request?.policy).toMatchObject({
      approvals: { mode: "all_of", groups: [{ key: "dba" }, { key: "security" }] },
      autoApprove: [],
    });
  });

  test("a denied command is recorded as denied and explained, with no PR", async () => {
    mockIntakeReads();
    await deliver("issue_comment", issueCommentCreated({ body: "/run prod-db DELETE FROM users" }));
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`, (sent: { body: string }) =>
        /guardrails of `prod-db` deny it[\s\S]*delete\\_without\\_where/.test(sent.body),
      )
      .reply(201, { id: 1 });
    await harness.drain();
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request).toMatchObject({ status: "denied", prNumber: null });
  });

  test("a refusal answers once even when the webhook is redelivered", async () => {
    mockInstallationToken(nock(API));
    const payload = issueCommentCreated({ body: "/run" });
    await deliver("issue_comment", payload);
    await deliver("issue_comment", payload);
    await expectRefusal(/name the resource/);
    expect(await harness.jobs.pendingCount()).toBe(0);
  });
});

describe("what intake ignores", () => {
  test("comments by bots, Countersign's own included, make no call at all", async () => {
    await deliver(
      "issue_comment",
      issueCommentCreated({
        body: "/run prod-db SELECT 1",
        login: "countersign[bot]",
        userType: "Bot",
      }),
    );
    expect(await harness.jobs.pendingCount()).toBe(0);
  });

  test("comments without a slash command make no call", async () => {
    await deliver("issue_comment", issueCommentCreated({ body: "LGTM, thanks" }));
    expect(await harness.jobs.pendingCount()).toBe(0);
  });

  test("an edit of the source comment changes nothing and says so on the request PR", async () => {
    mockIntakeReads();
    await deliver("issue_comment", issueCommentCreated({ body: `/run prod-db ${COMMAND}` }));
    await takeIn();
    await harness.store.patch(1, { prNumber: 42 });
    // Its open_request job is not the subject here.
    await database.knex("jobs").update({ done_at: new Date() });
    await deliver("issue_comment", issueCommentEdited({ body: "/run prod-db DROP TABLE users" }));
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (sent: { body: string }) =>
        sent.body.includes("That changes nothing here"),
      )
      .reply(201, { id: 2 });
    await harness.drain();
    expect(await harness.store.get(1)).toMatchObject({ command: COMMAND, status: "pending" });
  });
});

describe("intake from an issue", () => {
  test("an issue whose body holds a /run block makes a request", async () => {
    mockIntakeReads();
    await deliver(
      "issues",
      issueOpened({
        body: `### Command\n\n/run prod-db\n\`\`\`sql\n${COMMAND}\n\`\`\`\nReason: audit`,
      }),
    );
    await takeIn();
    const request = await harness.store.findBySource("repo:186853002:issue:9");
    expect(request).toMatchObject({
      status: "pending",
      sourceType: "issue",
      sourceCommentNodeId: null,
      sourceNodeId: "I_node_9",
      reason: "audit",
    });
  });

  test("an issue without a /run is ignored", async () => {
    await deliver("issues", issueOpened({ body: "The database is slow" }));
    expect(await harness.jobs.pendingCount()).toBe(0);
  });
});
