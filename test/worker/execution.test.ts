/**
 * The execution worker end to end: GitHub simulated by nock (every call asserted, nothing
 * else allowed), the app's store on the embedded PGlite and on a real PostgreSQL, and the
 * commands run on the real PostgreSQL at TEST_DATABASE_URL (a scratch schema per test).
 * Without TEST_DATABASE_URL these tests are skipped, loudly: there is nothing to run on.
 */
import nock from "nock";
import type { Database } from "../../src/store/database.js";
import { TEST_SERVER_URL, describeEachStoreWithServer } from "../helpers/real-server.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  API,
  FILE_PATH,
  HEAD,
  OWNER,
  PR_URL,
  REPO,
  mockPublish,
  mockRecheck,
  mockRefusalWrites,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";

const TARGET = TEST_SERVER_URL;
const describeWithTarget = describeEachStoreWithServer("the execution worker tests");

const DUAL = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
  guardrails: { deny: ["drop", "truncate"], max_affected_rows: 1000 },
});
const NONE = resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } });

const APPROVALS = {
  reviews: [
    { id: 1, login: "bob", state: "APPROVED" },
    { id: 2, login: "carol", state: "APPROVED" },
  ],
  teams: { dba: ["bob"], security: ["carol"] },
};

interface GraphqlBody {
  query: string;
  variables: { pr: string; body: string; thread?: string; link?: string };
}

describeWithTarget("execution worker with the store on $name", ({ open }) => {
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
      `CREATE TABLE ${table} (id int primary key, status text, runs int not null default 0);
       INSERT INTO ${table} VALUES (123, 'active', 0), (124, 'active', 0)`,
    );
    world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET });
  });
  afterEach(async () => {
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  const update = () => `UPDATE ${table} SET status = 'inactive', runs = runs + 1 WHERE id = 123;`;

  test("approval → claim → re-check → execute → output comment → audit merge with the exact trailers", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: update() });
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, update()), ...APPROVALS }));
    recorder.watch(mockPublish());

    const executor = world.executor();
    expect(await executor.runOnce()).toBe(request.id);

    // It ran, once, on the real database.
    expect(await scratch.query(`SELECT status, runs FROM ${table} WHERE id = 123`)).toEqual([
      { status: "inactive", runs: 1 },
    ]);

    // Exactly these calls: the re-check's reads first (they go out together, so in any
    // order), then the four content-creating ones, in this order.
    const calls = recorder.calls.map((call) => `${call.method} ${call.path.split("?")[0]}`);
    const reads = 13;
    expect(calls[0]).toBe("POST /app/installations/2/access_tokens");
    expect(calls.slice(1, reads).sort()).toEqual(
      [
        // The policy in force now: the repository's file (none here, nor an org default) and
        // the requester's permission.
        "GET /repos/acme/ops/contents/.github/countersign.yml",
        "GET /repos/acme/.github/contents/.github/countersign.yml",
        "GET /repos/acme/ops/collaborators/alice/permission",
        // The pull request, its files and the command at its head.
        `GET /repos/acme/ops/pulls/42`,
        `GET /repos/acme/ops/pulls/42/files`,
        `GET /repos/acme/ops/contents/${FILE_PATH}`,
        // The approval, read fresh: head, reviews, pushers and both teams.
        `GET /repos/acme/ops/pulls/42`,
        `GET /repos/acme/ops/pulls/42/reviews`,
        `GET /repos/acme/ops/pulls/42/commits`,
        `GET /repos/acme/ops/activity`,
        `GET /orgs/acme/teams/dba/members`,
        `GET /orgs/acme/teams/security/members`,
      ].sort(),
    );
    expect(calls.slice(reads)).toEqual([
      "POST /graphql",
      "PATCH /repos/acme/ops/check-runs/9001",
      "PATCH /repos/acme/ops/pulls/42",
      // The base, read right before the merge: it could have been edited during the run.
      "GET /repos/acme/ops/pulls/42",
      "PUT /repos/acme/ops/pulls/42/merge",
    ]);
    expect(recorder.writes()).toHaveLength(4);

    // The result comment on the PR and the link on the source thread: one GraphQL request.
    const graphql = recorder.calls.find((call) => call.path === "/graphql")?.body as GraphqlBody;
    expect(graphql.variables.pr).toBe("PR_node_42");
    expect(graphql.variables.thread).toBe("I_node_7");
    expect(graphql.variables.body).toContain("### ✅ Succeeded on `prod-db`");
    expect(graphql.variables.body).toContain("approved by bob (dba), carol (security)");
    expect(graphql.variables.body).toContain("**1 row affected**");
    // Then the hidden marker a retry looks for before posting it again (issue #15).
    expect(graphql.variables.link).toBe(
      `Countersign request ${request.id} on \`prod-db\` **succeeded**: 1 row affected. Output and audit record: ${PR_URL}\n\n<!-- countersign:PR_node_42:result-link -->`,
    );

    const check = recorder.calls.find((call) => call.path.includes("check-runs"))?.body;
    expect(check).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: "Succeeded: 1 row affected" },
    });

    // The audit commit: squash, guarded by the approved head, with the DESIGN §1.6 trailers.
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      merge_method: string;
      sha: string;
      commit_title: string;
      commit_message: string;
    };
    expect(merge.merge_method).toBe("squash");
    expect(merge.sha).toBe(HEAD);
    expect(merge.commit_title).toBe(
      `countersign: prod-db request ${request.id} by alice succeeded`,
    );
    const stored = await world.store.get(request.id);
    const result = stored?.result as { outputSha256: string; durationMs: number };
    const lines = merge.commit_message.trimEnd().split("\n");
    const trailers = lines.slice(lines.lastIndexOf("") + 1);
    expect(trailers).toEqual([
      `Countersign-Request: ${request.id}`,
      "Resource: prod-db",
      "Requested-by: alice",
      "Approved-by: bob (dba), carol (security)",
      expect.stringMatching(/^Result: succeeded; 1 row affected; \d+(\.\d+)? (ms|s)$/),
      `Output-SHA256: ${result.outputSha256}`,
    ]);
    expect(result.outputSha256).toMatch(/^[0-9a-f]{64}$/);

    // The store holds the truth: succeeded, lease released, counts (no rows), every move.
    expect(stored).toMatchObject({ status: "succeeded", leaseOwner: null, leaseExpiresAt: null });
    expect(stored?.result).toMatchObject({
      status: "succeeded",
      affectedRows: 1,
      approvedBy: ["bob (dba)", "carol (security)"],
      mergeSha: "merge999",
      commentUrl: `${PR_URL}#issuecomment-777`,
    });
    const events = await world.store.events(request.id);
    expect(events.map((event) => `${event.fromStatus}→${event.toStatus}`)).toEqual([
      "null→pending",
      "pending→approved",
      "approved→running",
      "running→succeeded",
    ]);
  });

  test("two workers race for the same request: it runs once", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: update() });
    mockRecheck({ fileContent: requestFile(request.id, update()), ...APPROVALS });
    mockPublish();

    const first = world.executor({ workerId: "worker-a" });
    const second = world.executor({ workerId: "worker-b" });
    const claimed = await Promise.all([first.runOnce(), second.runOnce(), first.runOnce()]);

    expect(claimed.filter((id) => id === request.id)).toHaveLength(1);
    expect(await scratch.query(`SELECT runs FROM ${table} WHERE id = 123`)).toEqual([{ runs: 1 }]);
    const events = await world.store.events(request.id);
    expect(events.filter((event) => event.toStatus === "running")).toHaveLength(1);
    expect((await world.store.get(request.id))?.status).toBe("succeeded");
  });

  test("the approval no longer holds just before execution: back to pending, nothing runs", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: update() });
    const recorder = recordCalls();
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, update()),
        reviews: [
          { id: 1, login: "bob", state: "APPROVED" },
          { id: 2, login: "carol", state: "DISMISSED" },
        ],
        teams: APPROVALS.teams,
      }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    expect(await scratch.query(`SELECT runs FROM ${table} WHERE id = 123`)).toEqual([{ runs: 0 }]);
    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("pending");
    expect(stored?.statusDetail).toContain("the approval rule no longer holds (dba 1/1");
    const comment = recorder.calls.find((call) => call.path.endsWith("/comments"))?.body as {
      body: string;
    };
    expect(comment.body).toContain("was **not run**");
    expect(comment.body).toContain("security 0/1");
    const check = recorder.calls.find((call) => call.path.includes("check-runs"))?.body;
    expect(check).toMatchObject({ output: { title: "Waiting for approval" } });
    expect(recorder.writes().some((call) => call.endsWith("/merge"))).toBe(false);
  });

  test("a PR that changes another file is rejected and closed before anything runs", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: update() });
    const recorder = recordCalls();
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, update()),
        files: [FILE_PATH, ".github/workflows/deploy.yml"],
      }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    expect(await scratch.query(`SELECT runs FROM ${table} WHERE id = 123`)).toEqual([{ runs: 0 }]);
    expect((await world.store.get(request.id))?.status).toBe("rejected");
    const pull = recorder.calls.find((call) => call.method === "PATCH" && call.path.endsWith("/42"))
      ?.body as { state: string };
    expect(pull.state).toBe("closed");
    const check = recorder.calls.find((call) => call.path.includes("check-runs"))?.body;
    expect(check).toMatchObject({ conclusion: "failure" });
    const comment = recorder.calls.find((call) => call.path.endsWith("/comments"))?.body as {
      body: string;
    };
    expect(comment.body).toContain(".github/workflows/deploy.yml");
  });

  test("the file at the approved commit is what runs, and the guardrails check it again", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: update() });
    // The stored command says UPDATE; the file at the head holds a DROP: refused, never run.
    mockRecheck({
      fileContent: requestFile(request.id, `DROP TABLE ${table};`),
      reviewsRead: false,
    });
    nock(API)
      .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`)
      .reply(200, {})
      .patch(`/repos/${OWNER}/${REPO}/pulls/42`)
      .reply(200, {})
      .post(`/repos/${OWNER}/${REPO}/issues/42/comments`, (body: { body: string }) =>
        body.body.includes("guardrails deny the command (drop:"),
      )
      .reply(201, { id: 1, html_url: `${PR_URL}#issuecomment-1` });

    await world.executor().runOnce();

    expect((await world.store.get(request.id))?.status).toBe("rejected");
    expect(await scratch.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 2 }]);
  });

  test("a failed execution is merged too, with Result: failed; a refused merge is explained and kept", async () => {
    const command = `UPDATE ${table} SET runs = runs + 1;`; // 2 rows, over max_affected_rows: 1
    const policy = resourcePolicy({
      approvals: "none",
      guardrails: { deny: ["drop"], max_affected_rows: 1 },
    });
    const request = await seedApproved(world, { policy, command });
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command) }));
    recorder.watch(
      mockPublish({
        merge: { status: 405, body: { message: 'Required status check "ci" is expected.' } },
      }),
    );
    recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
        .reply(201, { id: 2, html_url: `${PR_URL}#issuecomment-2` }),
    );

    await world.executor().runOnce();

    // Rolled back: nothing changed.
    expect(await scratch.query(`SELECT sum(runs)::int AS n FROM ${table}`)).toEqual([{ n: 0 }]);
    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("failed");
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      commit_message: string;
    };
    expect(merge.commit_message).toContain("Approved-by: none (no approval required)");
    expect(merge.commit_message).toMatch(/Result: failed; 2 rows affected; [^\n]+; rolled back\n/);
    const refused = recorder.calls.find((call) => call.path.endsWith("/comments"))?.body as {
      body: string;
    };
    expect(refused.body).toContain("ended **failed**, but GitHub refused to merge");
    expect(refused.body).toContain("HTTP 405");
    expect(refused.body).toContain("Countersign-Request: ");
    const events = await world.store.events(request.id);
    expect(events.at(-1)).toMatchObject({
      fromStatus: "failed",
      toStatus: "failed",
      detail: 'audit merge refused (HTTP 405): Required status check "ci" is expected.',
    });
  });

  test("credentials never appear in comments, logs or stored errors; a missing URL connects nowhere", async () => {
    const secret = "s3cret-Pa55word";
    // Port 1: the connection is refused; the URL (with its password) must not leak anywhere.
    world = workerWorld(database, {
      COUNTERSIGN_RESOURCE_PROD_DB_URL: `postgres://admin:${secret}@127.0.0.1:1/prod`,
    });
    const command = "SELECT 1;";
    const request = await seedApproved(world, { policy: NONE, command });
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command) }));
    recorder.watch(mockPublish());

    await world.executor().runOnce();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("failed");
    const everything = JSON.stringify([
      recorder.calls,
      world.log.lines,
      stored,
      await world.store.events(request.id),
    ]);
    expect(everything).toContain("Could not connect to PostgreSQL");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain("admin:");

    // No URL at all: failed with a clear comment, no connection attempted.
    nock.cleanAll();
    world = workerWorld(database, {});
    const second = await seedApproved(world, { policy: NONE, command, sourceCommentId: 5002 });
    const recorder2 = recordCalls();
    recorder2.watch(mockRecheck({ fileContent: requestFile(second.id, command) }));
    recorder2.watch(mockPublish());
    await world.executor().runOnce();
    expect((await world.store.get(second.id))?.result).toMatchObject({
      status: "failed",
      error: { code: "COUNTERSIGN_NOT_CONFIGURED" },
    });
    const graphql = recorder2.calls.find((call) => call.path === "/graphql")?.body as GraphqlBody;
    expect(graphql.variables.body).toContain("COUNTERSIGN_RESOURCE_PROD_DB_URL");
  });

  test("graceful stop: no new claims, the running command finishes", async () => {
    const command = `SELECT pg_sleep(0.5); ${update()}`;
    const policy = resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } });
    const request = await seedApproved(world, { policy, command });
    mockRecheck({ fileContent: requestFile(request.id, command) });
    mockPublish();
    const executor = world.executor({ pollMs: 20 });
    executor.start();
    await new Promise<void>((resolve, reject) => {
      const until = Date.now() + 5_000;
      const poll = async () => {
        const current = await world.store.get(request.id);
        if (current?.status === "running") return resolve();
        if (Date.now() > until) return reject(new Error("never claimed"));
        setTimeout(() => void poll(), 10);
      };
      void poll();
    });
    // A second approved request arrives while stopping: it must stay approved.
    const later = await seedApproved(world, { policy, command, sourceCommentId: 5003 });
    const stopped = await executor.stop(10_000);
    expect(stopped).toEqual({ aborted: 0, abandoned: 0 });
    expect((await world.store.get(request.id))?.status).toBe("succeeded");
    expect((await world.store.get(later.id))?.status).toBe("approved");
  });
});
