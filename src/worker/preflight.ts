/**
 * The decisions of the re-check made just before a command executes (DESIGN §1.3, §1.5),
 * as pure functions over what was just read from GitHub. Every doubt means "do not run":
 * `pending` when approvals could still make it runnable, `rejected` when nothing can.
 */
import type { ResourcePolicy } from "../policy/config.js";
import { isBotLogin, type Evaluation } from "../policy/evaluate.js";
import { formatProgress } from "../policy/progress.js";
import type { CommandCheck } from "../lifecycle/records.js";
import type { RequestRecord } from "../store/requests.js";
import { approverLabels } from "../render/commit-message.js";
import { requestFileProblem, type PullFileChange } from "../commands/gitops-files.js";

export interface Refusal {
  to: "pending" | "rejected" | "expired";
  reason: string;
  /** The command's check as it stands now, kept with the request (a new plan after drift). */
  check?: CommandCheck;
  /** The approvals were dismissed: ask the rule's reviewers again. */
  askAgain?: boolean;
}

/** Who or what approved the command, as the audit commit and result comment show it. */
export interface ApprovalBasis {
  approvedBy: string[];
  /** Why no person had to approve (auto-approval, `approvals: none`, a grant). */
  note: string | null;
}

export interface PullRequestFacts {
  state: string;
  headSha: string;
  /** The branch the PR merges into, when known. */
  baseRef?: string;
  /** Every file the PR changes, with GitHub's status. */
  files: readonly PullFileChange[];
}

const short = (sha: string) => sha.slice(0, 7);

/** Sentences end with a period; reasons are shown as "…found that <reason>". */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The pull request must be open, at the approved commit, and change only the request file. */
export function checkPullRequest(
  request: Pick<RequestRecord, "headSha" | "filePath" | "baseBranch">,
  pull: PullRequestFacts,
): Refusal | null {
  if (pull.state !== "open") {
    return { to: "rejected", reason: "the request pull request was closed before it ran." };
  }
  // The audit commit must land on the audit branch, not on a base someone edited.
  if (
    request.baseBranch !== null &&
    pull.baseRef !== undefined &&
    pull.baseRef !== request.baseBranch
  ) {
    return {
      to: "rejected",
      reason: sentence(
        `the pull request's base was changed to ${pull.baseRef}; it must merge into ${request.baseBranch}`,
      ),
    };
  }
  if (request.headSha === null || pull.headSha !== request.headSha) {
    return {
      to: "pending",
      reason: sentence(
        `the request branch moved to ${short(pull.headSha)} after ${
          request.headSha === null ? "approval" : `${short(request.headSha)} was approved`
        }; only approvals of the current commit count`,
      ),
    };
  }
  const problem = requestFileProblem(pull.files, request.filePath);
  return problem === null ? null : { to: "rejected", reason: sentence(problem) };
}

/** The command file as fetched at the approved commit, checked by the guardrails again. */
export function checkCommandFile(
  content: string | null,
  check: CommandCheck | null,
  policy: ResourcePolicy,
): Refusal | null {
  if (content === null || check === null) {
    return {
      to: "rejected",
      reason: "the request file could not be read at the approved commit.",
    };
  }
  if (check.denied.length > 0) {
    const hits = check.denied.map((hit) => `${hit.rule}: ${hit.message}`).join("; ");
    return { to: "rejected", reason: sentence(`the guardrails deny the command (${hits})`) };
  }
  if (!check.ok && !policy.guardrails.allowUnparsed) {
    return {
      to: "rejected",
      reason: sentence(`the command could not be parsed (${check.error ?? "unknown error"})`),
    };
  }
  if (check.statements.length === 0 && check.ok) {
    return { to: "rejected", reason: "the request file holds no statement to run." };
  }
  return null;
}

/**
 * A JIT grant covers a command when it is the same requester's grant on the same resource and
 * repository, it was approved (and not revoked, which ends it), and its window is still open.
 */
export function grantCovers(
  grant: RequestRecord | null,
  request: Pick<RequestRecord, "owner" | "repo" | "resource" | "requester">,
  now: Date,
): boolean {
  if (grant === null || grant.kind !== "grant") return false;
  // An active grant stays `approved` while its window is open (store.findActiveGrant).
  if (grant.status !== "approved") return false;
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return (
    same(grant.owner, request.owner) &&
    same(grant.repo, request.repo) &&
    same(grant.resource, request.resource) &&
    same(grant.requester, request.requester) &&
    grant.grantEndsAt !== null &&
    grant.grantEndsAt.getTime() > now.getTime()
  );
}

/**
 * Whether anyone but the requester (and bots, Countersign's own commit included) pushed to
 * the request branch. A grant covers only its grantee's own command: a command someone else
 * wrote into the branch is theirs, whoever asked first.
 */
export function othersPushed(pushers: readonly string[], requester: string): boolean {
  return pushers.some(
    (login) =>
      login.toLowerCase() !== requester.toLowerCase() &&
      !isBotLogin(login) &&
      // GitHub's committer for commits made in its web editor, not a pusher of its own.
      login !== "web-flow",
  );
}

/** Approval without reviews: `approvals: none`, `auto_approve: [read]` or a covering grant. */
export function approvalWithoutReviews(
  policy: ResourcePolicy,
  check: CommandCheck,
  grant: { id: number; covers: boolean } | null,
): ApprovalBasis | null {
  if (grant !== null && grant.covers) {
    return { approvedBy: [], note: `under grant ${grant.id}` };
  }
  if (policy.approvals.mode === "none") return { approvedBy: [], note: "no approval required" };
  // Same rule as requests/auto-approval.ts, applied to the file as fetched just now.
  if (policy.autoApprove.includes("read") && check.ok && check.readOnly) {
    return { approvedBy: [], note: "auto-approved: read-only command" };
  }
  return null;
}

/** The fresh evaluation of the reviews: approved, or why not. */
export function approvalFromReviews(evaluation: Evaluation): ApprovalBasis | Refusal {
  if (evaluation.status === "approved") {
    return { approvedBy: approverLabels(evaluation.approvers), note: null };
  }
  if (evaluation.status === "rejected") {
    const who = evaluation.rejections.map((rejection) => rejection.login).join(", ");
    return { to: "rejected", reason: sentence(`changes were requested by ${who}`) };
  }
  return {
    to: "pending",
    reason: sentence(`the approval rule no longer holds (${formatProgress(evaluation)})`),
  };
}

export function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return "to" in value && "reason" in value;
}
