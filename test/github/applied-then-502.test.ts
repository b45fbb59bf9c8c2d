/**
 * Issue #15 item 2: GitHub applies a write and then answers 502 (or times out). Octokit
 * must not send it again, and Countersign looks before writing again: afterwards exactly one
 * request PR, one check run, one link comment, one comment on the PR and one result comment
 * exist. "GitHub" here is nock plus a record of what each answered write applied.
 */
import nock from "nock";
import { publishOutcome, type PublishInput } from "../../src/lifecycle/outcome.js";
import { openServerConfig } from "../helpers/server-floor.js";
import { API, createHarness, INSTALLATION_ID, mockInstallationToken } from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  backoffPassed,
  mockBranchAndFile,
  mockNodeIds,
  ourPull,
  PR_URL,
  takeRun,
  Threads,
  type GraphqlBody,
} from "./fake-github.js";

const suite = handlerSuite();
const BAD_GATEWAY = { message: "Bad Gateway" };
const isAnnounce = (body: GraphqlBody) => body.query.startsWith("mutation Announce");

describe("open_request: each write GitHub applied before answering 502 exists once", () => {
  test("the pull request is looked for on our branch, found, and adopted", async () => {
    await takeRun(suite.harness);
    const pulls: object[] = [];
    const scope = suite.recorder.watch(mockNodeIds(mockBranchAndFile(nock(API))));
    scope
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(() => {
        pulls.push(ourPull());
        return [502, BAD_GATEWAY];
      })
      .get(`/repos/${OWNER}/${REPO}/pulls`)
      .query({ head: `${OWNER}:countersign/1`, state: "open" })
      .reply(() => [200, pulls])
      .post("/graphql", (body: GraphqlBody) => body.query.includes("viewer"))
      .reply(200, { data: { viewer: { login: "countersign[bot]" } } })
      .post(`/repos/${OWNER}/${REPO}/check-runs`)
      .reply(201, { id: 9001 })
      .post("/graphql", isAnnounce)
      .reply(200, { data: {} });

    await suite.harness.drain();

    expect(pulls).toHaveLength(1);
    expect(suite.recorder.writes().filter((call) => call.endsWith("/pulls"))).toEqual([
      `POST /repos/${OWNER}/${REPO}/pulls`,
    ]);
    expect(await suite.harness.store.get(1)).toMatchObject({
      status: "pending",
      prNumber: 42,
      prNodeId: "PR_node_42",
      checkRunId: 9001,
    });
    expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  });

  test("a PR from our branch that another app opened is not adopted", async () => {
    await takeRun(suite.harness);
    const scope = mockBranchAndFile(nock(API));
    scope
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(422, { message: "A pull request already exists for acme:countersign/1." })
      .get(`/repos/${OWNER}/${REPO}/pulls`)
      .query({ head: `${OWNER}:countersign/1`, state: "open" })
      .reply(200, [ourPull("impostor[bot]")])
      .post("/graphql", (body: GraphqlBody) => body.query.includes("viewer"))
      .reply(200, { data: { viewer: { login: "countersign[bot]" } } });

    await suite.harness.drain();

    expect(await suite.harness.store.get(1)).toMatchObject({ prNumber: null });
    const [failed] = await suite.harness.jobs.failedJobs();
    expect(failed).toMatchObject({ kind: "open_request" });
    expect(failed?.lastError).toContain("A pull request already exists");
  });

  test("the check run is looked for by name on the commit, found, and kept", async () => {
    await takeRun(suite.harness);
    const checkRuns: object[] = [];
    const scope = suite.recorder.watch(mockNodeIds(mockBranchAndFile(nock(API))));
    scope
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(201, ourPull())
      .post(`/repos/${OWNER}/${REPO}/check-runs`)
      .reply(() => {
        checkRuns.push({ id: 9001, name: "countersign/approval", status: "in_progress" });
        return [502, BAD_GATEWAY];
      })
      .get(`/repos/${OWNER}/${REPO}/commits/head111/check-runs`)
      .query({ check_name: "countersign/approval" })
      .reply(() => [200, { total_count: checkRuns.length, check_runs: checkRuns }])
      .post("/graphql", isAnnounce)
      .reply(200, { data: {} });

    await suite.harness.drain();

    expect(checkRuns).toHaveLength(1);
    expect(suite.recorder.writes().filter((call) => call.endsWith("/check-runs"))).toHaveLength(1);
    expect(await suite.harness.store.get(1)).toMatchObject({ checkRunId: 9001 });
    expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  });

  test("the link comment: the retried job finds its marker and announces without it", async () => {
    const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
      runner: { maxAttempts: 3 },
    });
    await takeRun(harness);
    const threads = new Threads();
    const announcements: GraphqlBody[] = [];
    const scope = suite.recorder.watch(mockNodeIds(mockBranchAndFile(nock(API))));
    scope
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(201, ourPull())
      .post(`/repos/${OWNER}/${REPO}/check-runs`)
      .reply(201, { id: 9001 })
      .post("/graphql", isAnnounce)
      .reply((_, body) => {
        announcements.push(body as GraphqlBody);
        threads.add("I_node_7", String((body as GraphqlBody).variables.body));
        return [502, BAD_GATEWAY];
      });

    await harness.drain();
    // The job waits for its retry; nothing was sent twice.
    expect(await harness.jobs.pendingCount()).toBe(1);
    expect(announcements).toHaveLength(1);

    await backoffPassed(harness);
    suite.recorder.watch(
      nock(API)
        .post("/graphql", (body: GraphqlBody) => body.query.startsWith("query Marked"))
        .reply((_, body) => [200, threads.graphql((body as GraphqlBody).variables)])
        .post("/graphql", isAnnounce)
        .reply((_, body) => {
          announcements.push(body as GraphqlBody);
          return [200, { data: {} }];
        }),
    );
    await harness.drain();

    expect(threads.on("I_node_7")).toHaveLength(1);
    expect(threads.on("I_node_7")[0]?.body).toContain(`is open for review: ${PR_URL}`);
    expect(threads.on("I_node_7")[0]?.body).toContain("<!-- countersign:PR_node_42:link -->");
    // The retry still asks for the reviews, labels and 👀 (GitHub keeps one of each).
    expect(announcements[1]?.query).not.toContain("addComment");
    expect(announcements[1]?.query).toContain("requestReviews");
    expect(announcements[1]?.variables).not.toHaveProperty("body");
    expect(await harness.jobs.pendingCount()).toBe(0);
    expect(await harness.jobs.failedJobs()).toEqual([]);
  });
});

describe("comments and the outcome: each exists once", () => {
  test("a comment on the request PR is found by its marker on the thread", async () => {
    mockInstallationToken(nock(API));
    const seeded = await seedOpenRequest(suite.harness.services);
    await suite.harness.jobs.enqueue({
      kind: "source_edited",
      payload: { editor: "mallory" },
      installationId: INSTALLATION_ID,
      requestId: seeded.id,
    });
    const threads = new Threads();
    suite.recorder.watch(
      nock(API)
        .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
        .reply((_, body) => {
          threads.add(42, (body as { body: string }).body);
          return [502, BAD_GATEWAY];
        })
        .get(`/repos/${OWNER}/${REPO}/issues/42/comments`)
        .query({ per_page: 100 })
        .reply(() => [200, threads.rest(42)]),
    );

    await suite.harness.drain();

    expect(threads.on(42)).toHaveLength(1);
    expect(threads.on(42)[0]?.body).toContain("edited by mallory");
    expect(threads.on(42)[0]?.body).toMatch(/\n\n<!-- countersign:job-1:[0-9a-f]{16} -->$/);
    const events = await suite.harness.store.events(seeded.id);
    expect(events.at(-1)?.detail).toBe("source comment edited by mallory; ignored");
    expect(await suite.harness.jobs.failedJobs()).toEqual([]);
  });

  test("the result comment, its link and the audit merge", async () => {
    mockInstallationToken(nock(API));
    const request = await seedOpenRequest(suite.harness.services);
    const threads = new Threads();
    let merged = false;
    suite.recorder.watch(
      nock(API)
        .post("/graphql", (body: GraphqlBody) => body.query.startsWith("mutation Result"))
        .reply((_, body) => {
          const { variables } = body as GraphqlBody;
          threads.add("PR_node_42", String(variables.body));
          threads.add("I_node_7", String(variables.link));
          return [502, BAD_GATEWAY];
        })
        .post("/graphql", (body: GraphqlBody) => body.query.startsWith("query Marked"))
        .reply((_, body) => [200, threads.graphql((body as GraphqlBody).variables)])
        .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`)
        .reply(200, {})
        .patch(`/repos/${OWNER}/${REPO}/pulls/42`)
        .reply(200, {})
        .put(`/repos/${OWNER}/${REPO}/pulls/42/merge`)
        .reply(() => {
          merged = true;
          return [504, { message: "Gateway Timeout" }];
        })
        // Read before the merge (its base) and after the 504 (was it merged?).
        .get(`/repos/${OWNER}/${REPO}/pulls/42`)
        .times(2)
        .reply(() => [
          200,
          {
            number: 42,
            merged,
            merge_commit_sha: merged ? "merge777" : null,
            base: { ref: "main" },
          },
        ]),
    );

    const published = await publishOutcome(
      { store: suite.harness.store, log: { info: () => undefined, warn: () => undefined } },
      await suite.harness.githubFor(INSTALLATION_ID),
      outcome(request),
    );

    expect(threads.on("PR_node_42")).toHaveLength(1);
    expect(threads.on("I_node_7")).toHaveLength(1);
    expect(published).toEqual({
      commentUrl: threads.on("PR_node_42")[0]?.url,
      mergeSha: "merge777",
    });
    // Nothing is recorded as failed: GitHub shows both comments and the merge.
    const events = await suite.harness.store.events(request.id);
    expect(events.map((event) => event.detail)).not.toContainEqual(
      expect.stringContaining("failed"),
    );
    // Each write sent once; each 502 followed by a look, never by the same write again.
    expect(suite.recorder.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      "POST /graphql",
      "POST /graphql",
      `PATCH /repos/${OWNER}/${REPO}/check-runs/9001`,
      `PATCH /repos/${OWNER}/${REPO}/pulls/42`,
      `GET /repos/${OWNER}/${REPO}/pulls/42`,
      `PUT /repos/${OWNER}/${REPO}/pulls/42/merge`,
      `GET /repos/${OWNER}/${REPO}/pulls/42`,
    ]);
    const [mutation, look] = suite.recorder.calls.map((call) => call.body as GraphqlBody);
    expect(mutation?.query).toMatch(/^mutation Result/);
    expect(look?.query).toMatch(/^query Marked/);
  });

  test("a link GitHub did not post after the 502 is recorded on the request", async () => {
    mockInstallationToken(nock(API));
    const request = await seedOpenRequest(suite.harness.services);
    const threads = new Threads();
    nock(API)
      .post("/graphql", (body: GraphqlBody) => body.query.startsWith("mutation Result"))
      .reply((_, body) => {
        threads.add("PR_node_42", String((body as GraphqlBody).variables.body));
        return [502, BAD_GATEWAY];
      })
      .post("/graphql", (body: GraphqlBody) => body.query.startsWith("query Marked"))
      .reply((_, body) => [200, threads.graphql((body as GraphqlBody).variables)])
      .patch(`/repos/${OWNER}/${REPO}/check-runs/9001`)
      .reply(200, {})
      .patch(`/repos/${OWNER}/${REPO}/pulls/42`)
      .reply(200, {})
      .get(`/repos/${OWNER}/${REPO}/pulls/42`)
      .reply(200, { number: 42, merged: false, merge_commit_sha: null, base: { ref: "main" } })
      .put(`/repos/${OWNER}/${REPO}/pulls/42/merge`)
      .reply(200, { merged: true, sha: "merge777" });

    await publishOutcome(
      { store: suite.harness.store, log: { info: () => undefined, warn: () => undefined } },
      await suite.harness.githubFor(INSTALLATION_ID),
      outcome(request),
    );

    const events = await suite.harness.store.events(request.id);
    expect(events.at(-1)?.detail).toMatch(/^comments failed: link: not posted \(.*Bad Gateway/);
  });
});

function outcome(request: PublishInput["request"]): PublishInput {
  return {
    request,
    status: "succeeded",
    body: "### ✅ Succeeded on `prod-db`\n\n**1 row affected**\n",
    linkSummary: "1 row affected",
    statusView: { headline: "Succeeded: 1 row affected", progress: "approved by bob", reasons: [] },
    audit: {
      status: "succeeded",
      affectedRows: 1,
      durationMs: 12,
      rolledBack: false,
      outputSha256: "0".repeat(64),
    },
    basis: { approvedBy: ["bob (dba)"], note: null },
    headSha: "head111",
    prUrl: PR_URL,
  };
}
