/**
 * The audit merge's read of the pull request right before it merges (mergeRequest): the
 * audit commit goes only into the base the request was approved for, and only Countersign's
 * own merge, found on a retry, counts as the audit merge. A real ProbotOctokit against nock.
 */
import nock from "nock";
import { ProbotOctokit } from "probot";
import type { GitHub } from "../../src/github/client.js";
import { mergeRequest } from "../../src/github/execution.js";
import { withWriteAttempt } from "../../src/github/idempotent.js";
import { withoutProcessThrottle } from "../../src/github/write-guard.js";
import { API } from "../helpers/github.js";

const PULL = "/repos/acme/ops/pulls/42";
const repo = { owner: "acme", repo: "ops" };
const commit = { sha: "head111", title: "Countersign request 7", message: "…", base: "main" };

function octokit(): GitHub {
  const Octokit = ProbotOctokit.defaults(withoutProcessThrottle);
  return new Octokit({ auth: { token: "t" }, retry: { enabled: false } }) as GitHub;
}

function pullNow(fields: { base: string; merged?: boolean; mergedBy?: string }): object {
  return {
    number: 42,
    state: fields.merged ? "closed" : "open",
    merged: fields.merged ?? false,
    merge_commit_sha: fields.merged ? "hand999" : null,
    merged_by: fields.mergedBy ? { login: fields.mergedBy } : null,
    base: { ref: fields.base },
  };
}

const attempt = (retry: boolean) => ({ origin: "job-9", retry, waitedMs: 0 });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

test("the approved base: merged with the audit commit", async () => {
  let sent: Record<string, unknown> = {};
  nock(API)
    .get(PULL)
    .reply(200, pullNow({ base: "main" }))
    .put(`${PULL}/merge`, (body: Record<string, unknown>) => ((sent = body), true))
    .reply(200, { merged: true, sha: "audit1", message: "Pull Request successfully merged" });
  const merged = await withWriteAttempt(attempt(false), () =>
    mergeRequest(octokit(), repo, 42, commit),
  );
  expect(merged).toEqual({ merged: true, sha: "audit1" });
  expect(sent).toMatchObject({ sha: "head111", merge_method: "squash" });
});

test("a base edited while the command ran: not merged, and nothing is asked of GitHub", async () => {
  nock(API)
    .get(PULL)
    .reply(200, pullNow({ base: "hotfix" }));
  const merged = await withWriteAttempt(attempt(false), () =>
    mergeRequest(octokit(), repo, 42, commit),
  );
  expect(merged).toEqual({
    merged: false,
    status: null,
    message:
      "its base was changed to hotfix, and the audit record belongs on main; change the base back before merging it",
  });
});

test("merged by hand before Countersign could: not taken for the audit merge", async () => {
  for (const base of ["main", "hotfix"]) {
    nock(API)
      .get(PULL)
      .reply(200, pullNow({ base, merged: true, mergedBy: "mallory" }));
    const merged = await withWriteAttempt(attempt(false), () =>
      mergeRequest(octokit(), repo, 42, commit),
    );
    expect(merged).toEqual({
      merged: false,
      status: null,
      message: `it was already merged by mallory into ${base}, without the audit commit`,
    });
  }
});

test("on a retry, the earlier try's merge into the approved base is found, not made twice", async () => {
  nock(API)
    .get(PULL)
    .reply(200, pullNow({ base: "main", merged: true, mergedBy: "cs[bot]" }));
  const merged = await withWriteAttempt(attempt(true), () =>
    mergeRequest(octokit(), repo, 42, commit),
  );
  expect(merged).toEqual({ merged: true, sha: "hand999" });
});
