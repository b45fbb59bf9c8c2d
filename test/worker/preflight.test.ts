import type { CommandCheck } from "../../src/requests/command-check.js";
import type { RequestRecord } from "../../src/store/requests.js";
import {
  approvalFromReviews,
  approvalWithoutReviews,
  checkCommandFile,
  checkPullRequest,
  othersPushed,
  grantCovers,
} from "../../src/worker/preflight.js";
import { resourcePolicy } from "../helpers/worker.js";

const request = {
  headSha: "abc1234def",
  filePath: "requests/prod-db/2026/11/1.sql",
  baseBranch: "main",
};
const added = { path: request.filePath, status: "added" };
const open = { state: "open", headSha: "abc1234def", baseRef: "main", files: [added] };

function check(overrides: Partial<CommandCheck> = {}): CommandCheck {
  return {
    dialect: "postgres",
    ok: true,
    error: null,
    statements: [{ number: 1, kind: "write", summary: "UPDATE t", tables: ["t"] }],
    denied: [],
    warnings: [],
    readOnly: false,
    ...overrides,
  };
}

describe("re-check decisions", () => {
  test("the pull request: open, at the approved commit, only the request file", () => {
    expect(checkPullRequest(request, open)).toBeNull();
    expect(checkPullRequest(request, { ...open, state: "closed" })).toMatchObject({
      to: "rejected",
    });
    expect(checkPullRequest(request, { ...open, headSha: "fff9999" })).toEqual({
      to: "pending",
      reason:
        "the request branch moved to fff9999 after abc1234 was approved; only approvals of the current commit count.",
    });
    expect(
      checkPullRequest(request, {
        ...open,
        files: [added, { path: "src/app.ts", status: "modified" }],
      }),
    ).toMatchObject({ to: "rejected", reason: expect.stringContaining("(`src/app.ts`)") });
    expect(checkPullRequest(request, { ...open, files: [] })).toMatchObject({ to: "rejected" });
    // A rename away from the request file: the old path is the request file, the new one a stray.
    expect(
      checkPullRequest(request, {
        ...open,
        files: [{ path: "x.sql", status: "renamed", previousPath: request.filePath }],
      }),
    ).toMatchObject({ to: "rejected", reason: expect.stringContaining("`x.sql`") });
    expect(checkPullRequest(request, { ...open, baseRef: "release" })).toEqual({
      to: "rejected",
      reason: "the pull request's base was changed to release; it must merge into main.",
    });
  });

  // The base gained a file at the request's path (another request's record, merged since, and
  // the branch brought up to date): the request PR now modifies it, and its audit merge would
  // overwrite that record. Only an added file passes.
  test.each(["modified", "changed", "removed"])("a request file the PR %s is refused", (status) => {
    expect(
      checkPullRequest(request, { ...open, files: [{ path: request.filePath, status }] }),
    ).toMatchObject({
      to: "rejected",
      reason: expect.stringContaining(`no longer adds \`${request.filePath}\``),
    });
  });

  test("a grant covers only the grantee's own commits", () => {
    expect(othersPushed(["countersign[bot]", "alice", "web-flow"], "Alice")).toBe(false);
    expect(othersPushed(["countersign[bot]", "mallory"], "alice")).toBe(true);
  });

  test("the file: readable, allowed by the guardrails, parsed", () => {
    const policy = resourcePolicy({ approvals: "none" });
    expect(checkCommandFile("UPDATE t SET a = 1 WHERE id = 1", check(), policy)).toBeNull();
    expect(checkCommandFile(null, null, policy)).toMatchObject({ to: "rejected" });
    expect(
      checkCommandFile(
        "DROP TABLE t",
        check({ denied: [{ rule: "drop", statement: "DROP TABLE t", message: "drops a table" }] }),
        policy,
      ),
    ).toEqual({ to: "rejected", reason: "the guardrails deny the command (drop: drops a table)." });
    expect(
      checkCommandFile("SELEC", check({ ok: false, error: "syntax error" }), policy),
    ).toMatchObject({
      to: "rejected",
      reason: expect.stringContaining("could not be parsed (syntax error)"),
    });
    expect(checkCommandFile("-- nothing", check({ statements: [] }), policy)).toMatchObject({
      to: "rejected",
    });
  });

  test("approval without reviews: none, read-only auto-approval, a covering grant", () => {
    const none = resourcePolicy({ approvals: "none" });
    const reads = resourcePolicy({
      approvals: { any_of: [{ team: "dba" }] },
      auto_approve: ["read"],
    });
    expect(approvalWithoutReviews(none, check(), null)).toEqual({
      approvedBy: [],
      note: "no approval required",
    });
    expect(approvalWithoutReviews(reads, check({ readOnly: true }), null)).toMatchObject({
      note: "auto-approved: read-only command",
    });
    // A write fetched now is not auto-approved, whatever intake thought.
    expect(approvalWithoutReviews(reads, check({ readOnly: false }), null)).toBeNull();
    expect(approvalWithoutReviews(reads, check(), { id: 7, covers: true })).toMatchObject({
      note: "under grant 7",
    });
    expect(approvalWithoutReviews(reads, check(), { id: 7, covers: false })).toBeNull();
  });

  test("a grant covers only its grantee's commands on its resource while it is open", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    const grant = {
      kind: "grant",
      status: "approved",
      owner: "acme",
      repo: "ops",
      resource: "prod-db",
      requester: "Alice",
      grantEndsAt: new Date("2026-11-22T12:30:00Z"),
    } as RequestRecord;
    const command = { owner: "acme", repo: "ops", resource: "prod-db", requester: "alice" };
    expect(grantCovers(grant, command, now)).toBe(true);
    expect(grantCovers({ ...grant, grantEndsAt: now }, command, now)).toBe(false);
    expect(grantCovers({ ...grant, status: "cancelled" }, command, now)).toBe(false);
    expect(grantCovers(grant, { ...command, requester: "bob" }, now)).toBe(false);
    expect(grantCovers(grant, { ...command, resource: "replica" }, now)).toBe(false);
    expect(grantCovers(null, command, now)).toBe(false);
  });

  test("the fresh evaluation decides the rest", () => {
    const base = { mode: "all_of" as const, stale: [], ignored: [], surplus: [] };
    expect(
      approvalFromReviews({
        ...base,
        status: "approved",
        groups: [],
        rejections: [],
        approvers: [
          { login: "bob", group: "dba" },
          { login: "carol", group: "security" },
        ],
      }),
    ).toEqual({ approvedBy: ["bob (dba)", "carol (security)"], note: null });
    expect(
      approvalFromReviews({
        ...base,
        status: "rejected",
        groups: [],
        approvers: [],
        rejections: [{ login: "dave", body: "no", groups: ["dba"], onCurrentHead: true }],
      }),
    ).toEqual({ to: "rejected", reason: "changes were requested by dave." });
    expect(
      approvalFromReviews({
        ...base,
        status: "pending",
        rejections: [],
        approvers: [],
        groups: [{ key: "dba", min: 1, approvers: [], satisfied: false, missing: 1, eligible: 2 }],
      }),
    ).toEqual({ to: "pending", reason: "the approval rule no longer holds (dba 0/1)." });
  });
});
