/**
 * What a finished command publishes (succeeded, failed, unknown): the result comment on the
 * PR and a link on the source thread (one GraphQL request), the completed check run and PR
 * status, and the squash merge with the audit trailers. Each step is attempted even if an
 * earlier one failed; failures are logged and kept as events. Publishing never changes the
 * recorded outcome: a refused merge is explained on the PR and kept in `request_events`.
 */
import { httpStatus, type GitHub, type RepoRef } from "../github/client.js";
import { isAmbiguous } from "../github/idempotent.js";
import { RetryLater } from "../github/rate-limits.js";
import { postComment } from "../github/comments.js";
import { mergeRequest, postResultComments } from "../github/execution.js";
import { auditCommit, type AuditResult } from "../render/commit-message.js";
import { requestReviewsAgain, reviewersOf } from "../github/reviews.js";
import { MAX_COMMENT_LENGTH, renderResultComment, type ResultView } from "../render/result.js";
import type { StatusView } from "../render/status-view.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import { APP_ACTOR, type FinishedStatus } from "./moves.js";
import { publishStatus } from "./publish-status.js";
import type { RequestRecord } from "./records.js";

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** Who or what approved the command, as the audit trailer and the status say it. */
export interface ApprovalShown {
  approvedBy: string[];
  note: string | null;
}

export interface PublishInput {
  request: RequestRecord;
  status: FinishedStatus;
  /** The result comment (already rendered and scrubbed). */
  body: string;
  linkSummary: string;
  statusView: StatusView;
  audit: AuditResult;
  basis: ApprovalShown;
  headSha: string;
  prUrl: string;
}

export interface Published {
  commentUrl: string | null;
  mergeSha: string | null;
}

/** Records a failed step; `retry` (default: a transport failure or a limit) fails the job. */
type Problem = (step: string, error: unknown, retry?: boolean) => Promise<void>;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function publishOutcome(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  input: PublishInput,
): Promise<Published> {
  const { request } = input;
  // A step GitHub may answer later (5xx, a rate limit, the write budget) fails the job after
  // every step was tried, so the job retries; its writes look for what the last attempt made.
  let retryable: unknown = undefined;
  const problem: Problem = async (step, error, retry = worthRetrying(error)) => {
    const message = errorText(error).slice(0, 500);
    deps.log.warn({ requestId: request.id, step, err: message }, "publishing the outcome failed");
    await deps.store.note(request.id, APP_ACTOR, `${step} failed: ${message}`);
    if (retryable === undefined && retry) retryable = error;
  };
  const commentUrl = await postOutcomeComments(github, input, problem);
  try {
    await publishStatus(deps.store, github, request, input.statusView, {
      conclusion:
        input.status === "succeeded"
          ? "success"
          : input.status === "failed"
            ? "failure"
            : "neutral",
    });
  } catch (error) {
    await problem("status", error);
  }
  const mergeSha = await mergeAuditCommit(deps, github, input, problem);
  await askForFollowUp(github, request, problem);
  if (retryable !== undefined) throw retryable;
  return { commentUrl, mergeSha };
}

/**
 * A break-glass command bypassed the usual rule: once it has run, the usual reviewers are asked
 * to review it after the fact (issue 17). A review request is idempotent on GitHub.
 */
async function askForFollowUp(
  github: GitHub,
  request: PublishInput["request"],
  problem: Problem,
): Promise<void> {
  const normal = request.policy.breakGlass?.normal;
  if (normal === undefined || request.prNumber === null) return;
  try {
    await requestReviewsAgain(
      github,
      repoOf(request),
      request.prNumber,
      reviewersOf(normal, request.owner),
    );
  } catch (error) {
    await problem("follow-up review request", error);
  }
}

/** Transport failures and rate limits pass; a 4xx (the write was refused as such) does not. */
function worthRetrying(error: unknown): boolean {
  const status = httpStatus(error);
  return error instanceof RetryLater || isAmbiguous(error) || status === 403 || status === 429;
}

/** The result comment, and a link to it on the thread that held the /run (unless the PR). */
async function postOutcomeComments(
  github: GitHub,
  input: PublishInput,
  problem: Problem,
): Promise<string | null> {
  const { request } = input;
  const prNumber = request.prNumber as number;
  try {
    const linkThread =
      request.sourceType === "pull_request" && request.sourceNumber === prNumber
        ? null
        : request.sourceNodeId;
    const linkBody = renderTemplate("execution-link", {
      id: request.id,
      resource: request.resource,
      status: input.status,
      summary: input.linkSummary,
      prUrl: input.prUrl,
    });
    if (request.prNodeId === null) {
      return (await postComment(github, repoOf(request), prNumber, input.body)).url;
    }
    const posted = await postResultComments(github, {
      pullRequestId: request.prNodeId,
      body: input.body,
      sourceThreadId: linkThread,
      linkBody,
    });
    // Per-field GraphQL errors (a locked thread…) would fail again: recorded, not retried.
    if (posted.failures.length > 0) await problem("comments", posted.failures.join("; "), false);
    return posted.resultUrl;
  } catch (error) {
    await problem("result comment", error);
    return null;
  }
}

/** The squash merge with the audit trailers; a refusal is explained on the PR. */
async function mergeAuditCommit(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  input: PublishInput,
  problem: Problem,
): Promise<string | null> {
  const { request } = input;
  const prNumber = request.prNumber as number;
  const commit = auditCommit({
    requestId: request.id,
    resource: request.resource,
    requester: request.requester,
    approvedBy: input.basis.approvedBy,
    approvalNote: input.basis.note,
    grantId: request.grantId,
    breakGlass: request.policy.breakGlass !== undefined,
    filePath: request.filePath ?? "",
    sourceUrl: request.sourceUrl,
    result: input.audit,
  });
  try {
    const merged = await mergeRequest(github, repoOf(request), prNumber, {
      sha: input.headSha,
      title: commit.title,
      message: commit.message,
      base: request.baseBranch,
    });
    if (merged.merged) {
      deps.log.info({ requestId: request.id, mergeSha: merged.sha }, "audit commit merged");
      return merged.sha;
    }
    deps.log.warn(
      { requestId: request.id, httpStatus: merged.status },
      "GitHub refused the audit merge",
    );
    await deps.store.note(
      request.id,
      APP_ACTOR,
      `audit merge refused (${merged.status === null ? "not asked" : `HTTP ${merged.status}`}): ${merged.message}`,
    );
    await postComment(
      github,
      repoOf(request),
      prNumber,
      renderTemplate("merge-refused", {
        id: request.id,
        status: input.status,
        httpStatus: merged.status,
        message: merged.message,
        commit: `${commit.title}\n\n${commit.message}`,
      }),
    );
  } catch (error) {
    await problem("audit merge", error);
  }
  return null;
}

const repoOf = (request: RequestRecord): RepoRef => ({ owner: request.owner, repo: request.repo });

/** `1 row affected` / `2 rows affected, rolled back (CODE)`: check title and source link. */
export function outcomeLine(
  status: FinishedStatus,
  outcome: { affectedRows: number; rolledBack: boolean; error?: { code?: string | null } } | null,
): string {
  if (outcome === null || status === "unknown") return "outcome unknown";
  const rows = `${outcome.affectedRows} ${outcome.affectedRows === 1 ? "row" : "rows"} affected`;
  const rolled = outcome.rolledBack && status === "failed" ? ", rolled back" : "";
  const code = outcome.error?.code ? ` (${outcome.error.code})` : "";
  return `${rows}${rolled}${code}`;
}

/** The status of a finished command, for the check run and the PR body alike. */
export function finishedStatusView(
  status: FinishedStatus,
  line: string,
  basis: ApprovalShown,
  reasons: string[],
): StatusView {
  const headline =
    status === "succeeded"
      ? `Succeeded: ${line}`
      : status === "failed"
        ? `Failed: ${line}`
        : "Outcome unknown: check the database";
  const progress =
    basis.approvedBy.length > 0 ? `approved by ${basis.approvedBy.join(", ")}` : (basis.note ?? "");
  return { headline, progress, reasons };
}

/**
 * The result comment; for `unknown`, the warning that the command may or may not have run
 * comes first, and the whole still fits GitHub's comment limit. Credentials are scrubbed
 * while the values are raw text, before escaping, measuring and cutting.
 */
export function outcomeComment(
  view: ResultView,
  status: FinishedStatus,
  why: string,
  redact: (text: string) => string,
): string {
  if (status !== "unknown") return renderResultComment(view, { redact });
  const warning = renderTemplate("execution-unknown", {
    id: view.requestId,
    resource: view.resource,
    why,
  });
  const maxLength = MAX_COMMENT_LENGTH - warning.length - 1;
  return `${warning}\n${renderResultComment(view, { maxLength, redact })}`;
}
