/**
 * The write guard on a real ProbotOctokit with Probot's retry plugin on (as in production):
 * which calls count as writes, that a write is never resent by Octokit while a read still
 * is, that each write takes a token, and what a rate-limit answer asks to wait.
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import type { GitHub } from "../../src/github/client.js";
import { withWriteAttempt } from "../../src/github/idempotent.js";
import { rateLimitWait, RetryLater } from "../../src/github/rate-limits.js";
import {
  isContentCreating,
  withoutProcessThrottle,
  writeGuard,
  type WriteBudgetPort,
} from "../../src/github/write-guard.js";
import { API } from "../helpers/github.js";

/** A budget in memory: counts takes, grants `tokens`, remembers pauses. */
function fakeBudget(tokens = Infinity) {
  const state = { taken: 0, left: tokens, pauses: [] as number[] };
  const port: WriteBudgetPort = {
    take: async () => {
      if (state.left <= 0) return { granted: false, waitMs: 45_000 };
      state.left -= 1;
      state.taken += 1;
      return { granted: true, waitMs: 0 };
    },
    pause: async (_installation, forMs) => {
      state.pauses.push(forMs);
    },
  };
  return { state, port };
}

/** Probot's Octokit as the app builds it: retry on (fast here), throttling off. */
function octokit(): GitHub {
  const Octokit = ProbotOctokit.defaults(withoutProcessThrottle);
  return new Octokit({ auth: { token: "t" }, retry: { retryAfterBaseValue: 1 } }) as GitHub;
}

const comment = { owner: "acme", repo: "ops", issue_number: 7, body: "hi" };

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

test("without the guard, Octokit resends a POST that answered 502 (the duplicate of #15)", async () => {
  const scope = nock(API)
    .post("/repos/acme/ops/issues/7/comments")
    .reply(502, {})
    .post("/repos/acme/ops/issues/7/comments")
    .reply(201, { id: 1 });
  await octokit().rest.issues.createComment(comment);
  expect(scope.isDone()).toBe(true);
});

test("with it, a POST is sent once; a GET is still retried; each write takes one token", async () => {
  const budget = fakeBudget();
  const github = writeGuard(budget.port)(octokit(), 2);
  nock(API).post("/repos/acme/ops/issues/7/comments").reply(502, {});
  await expect(github.rest.issues.createComment(comment)).rejects.toMatchObject({ status: 502 });
  nock(API)
    .get("/repos/acme/ops/pulls/42")
    .reply(502, {})
    .get("/repos/acme/ops/pulls/42")
    .reply(200, { number: 42 });
  await github.rest.pulls.get({ owner: "acme", repo: "ops", pull_number: 42 });
  expect(budget.state.taken).toBe(1);
});

test("a spent budget fails the write before it reaches GitHub, with the wait", async () => {
  const budget = fakeBudget(0);
  const github = writeGuard(budget.port, { maxWaitMs: 30_000 })(octokit(), 2);
  const refused = github.rest.issues.createComment(comment);
  await expect(refused).rejects.toBeInstanceOf(RetryLater);
  await expect(refused).rejects.toMatchObject({ retryAfterMs: 45_000, kind: "budget" });
});

test("a job attempt sleeps for the budget at most 60 s in all, then is rescheduled", async () => {
  const slept: number[] = [];
  const taken: number[] = [];
  // Every token is 25 s away.
  const port: WriteBudgetPort = {
    take: async (_installation, maxWaitMs) => {
      if (25_000 > maxWaitMs) return { granted: false, waitMs: 25_000 };
      taken.push(maxWaitMs);
      return { granted: true, waitMs: 25_000 };
    },
    pause: async () => undefined,
  };
  const sleep = async (ms: number) => {
    slept.push(ms);
  };
  const github = writeGuard(port, { sleep })(octokit(), 2);
  nock(API).post("/repos/acme/ops/issues/7/comments").times(2).reply(201, { id: 1 });
  const attempt = { origin: "job-1", retry: false, waitedMs: 0 };
  const third = withWriteAttempt(attempt, async () => {
    await github.rest.issues.createComment(comment);
    await github.rest.issues.createComment(comment);
    await github.rest.issues.createComment(comment);
  });
  await expect(third).rejects.toMatchObject({ kind: "budget", retryAfterMs: 25_000 });
  expect(slept).toEqual([25_000, 25_000]);
  // The first two could wait up to 30 s each; the third only the 10 s left of the 60.
  expect(taken).toEqual([30_000, 30_000]);
});

test("a secondary limit and GraphQL's RATE_LIMITED pause the installation's writes", async () => {
  const budget = fakeBudget();
  const github = writeGuard(budget.port)(octokit(), 2);
  nock(API)
    .post("/repos/acme/ops/issues/7/comments")
    .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "30" })
    .post("/graphql")
    .reply(
      200,
      { data: null, errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Date.now() / 1000 + 60) },
    );
  await expect(github.rest.issues.createComment(comment)).rejects.toMatchObject({ status: 403 });
  await expect(github.graphql("query { viewer { login } }")).rejects.toBeInstanceOf(RetryLater);
  expect(budget.state.pauses[0]).toBe(30_000);
  expect(budget.state.pauses[1]).toBeGreaterThan(59_000);
  // The query took no token; the comment did.
  expect(budget.state.taken).toBe(1);
});

test.each([
  ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", undefined, true],
  ["PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", undefined, true],
  ["PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", undefined, true],
  ["DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", undefined, true],
  ["GET", "/repos/{owner}/{repo}/pulls", undefined, false],
  ["POST", "/graphql", "mutation Announce($pr: ID!) { x }", true],
  ["POST", "/graphql", "# a note\nmutation { x }", true],
  ["POST", "/graphql", "query Marked($t0: ID!) { x }", false],
  ["POST", "/graphql", "{ viewer { login } }", false],
  ["POST", "https://ghe.example/api/graphql", "mutation { x }", true],
  ["POST", "/app/installations/{installation_id}/access_tokens", undefined, false],
])("%s %s (%s) is content-creating: %s", (method, url, query, expected) => {
  expect(isContentCreating({ method, url, query })).toBe(expected);
});

test.each([
  [
    "retry-after in seconds",
    403,
    { "retry-after": "30" },
    "",
    { waitMs: 30_000, kind: "secondary" },
  ],
  ["429 without headers", 429, {}, "", { waitMs: 60_000, kind: "secondary" }],
  [
    "the message alone",
    403,
    {},
    "You have exceeded a secondary rate limit",
    { waitMs: 60_000, kind: "secondary" },
  ],
  [
    "a primary limit",
    403,
    { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1100" },
    "",
    { waitMs: 101_000, kind: "primary" },
  ],
  [
    "a missing permission",
    403,
    { "x-ratelimit-remaining": "4000" },
    "Resource not accessible by integration",
    null,
  ],
  ["a server error", 502, { "retry-after": "30" }, "", null],
])("rate-limit wait of %s", (_name, status, headers, message, expected) => {
  const error = Object.assign(new Error(message), {
    status,
    response: { headers, data: { message } },
  });
  expect(rateLimitWait(error, 1_000_000)).toEqual(expected);
});
