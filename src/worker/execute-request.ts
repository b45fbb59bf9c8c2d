/**
 * One claimed request, from the re-check to the audit commit (DESIGN §1.3, §1.5, §1.6):
 *
 * 1. re-check against fresh GitHub data (no cache): the PR is open, at the approved commit,
 *    changes only the request file; the file at that commit passes the guardrails again;
 *    the approval still holds. Otherwise → `pending` or `rejected`, and the PR says why;
 * 2. record "executing" (only while this worker holds the lease), then run the file's
 *    content on the resource's engine, read-only when the command only reads;
 * 3. record the true outcome (`succeeded`, `failed`, or `unknown` when the connection died
 *    during COMMIT) by compare-and-set;
 * 4. publish: the result comment on the PR and a link on the source thread (one GraphQL
 *    request), the check run and PR status, and the squash merge with the audit trailers.
 *
 * Publishing never changes the recorded outcome: a refused merge is explained on the PR and
 * kept in `request_events`.
 */
import type { ExecutionOutcome } from "../engines/types.js";
import { credentialRedactor, openEngine } from "../engines/index.js";
import type { GitHub, RepoRef } from "../github/client.js";
import { postComment } from "../github/comments.js";
import {
  fileAtRef,
  listPullFiles,
  mergeRequest,
  postResultComments,
  pullRequestState,
} from "../github/execution.js";
import { CONFIG_PATH, resourceUrlVariable, type ResourcePolicy } from "../policy/config.js";
import { effectivePolicy, stricterPolicy } from "../policy/effective-policy.js";
import { resourceFor, type ServerConfig } from "../policy/server-config.js";
import { canRequest, getRepositoryPermission } from "../github/permissions.js";
import { readRepositoryRules } from "../github/repository-config.js";
import { auditCommit, resultTrailer, type AuditResult } from "../render/commit-message.js";
import { outputDigest, renderResultComment, type ResultView } from "../render/result.js";
import { renderTemplate } from "../render/templates.js";
import { evaluateRequest } from "../requests/approval-inputs.js";
import type { CheckCommand, CommandCheck } from "../requests/command-check.js";
import { APP_ACTOR } from "../requests/intake.js";
import { publishStatus } from "../requests/publish-status.js";
import { statusView, type StatusView } from "../requests/status-view.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import type { ResultSummary } from "../lifecycle/records.js";

export type { ResultSummary } from "../lifecycle/records.js";
import type { TeamCache } from "../store/team-cache.js";
import {
  approvalFromReviews,
  approvalWithoutReviews,
  checkCommandFile,
  checkPullRequest,
  grantCovers,
  othersPushed,
  isRefusal,
  type ApprovalBasis,
  type Refusal,
} from "./preflight.js";

export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ExecutionLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Rows of each result set kept for the comment (all are counted). */
  keepRows: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  statementTimeoutMs: 15 * 60_000,
  lockTimeoutMs: 10_000,
  keepRows: 50,
};

export interface ExecuteDeps {
  store: RequestStore;
  teams: TeamCache;
  checkCommand: CheckCommand;
  env: NodeJS.ProcessEnv;
  serverConfig: ServerConfig;
  log: Logger;
  limits: ExecutionLimits;
  now(): Date;
}

export interface Claim {
  workerId: string;
  /** Aborted when the lease is lost or the shutdown deadline passes. */
  signal: AbortSignal;
}

export type ExecutionEnd =
  /** Nothing was executed. */
  | { executed: false; status: "pending" | "rejected" | "expired" | "approved" | "lost" }
  | { executed: true; status: "succeeded" | "failed" | "unknown"; recorded: boolean };

type Passed = {
  /** The policy the request is held to now: the stricter of frozen and current. */
  policy: ResourcePolicy;
  content: string;
  check: CommandCheck;
  basis: ApprovalBasis;
  prUrl: string;
};

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The policy the worker holds the request to (DESIGN §1.3): the stricter of the policy
 * frozen at intake and the one in force now (the server file as loaded, the repository
 * file on its default branch now). A policy that cannot be read now is a reason to wait.
 */
async function currentPolicy(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<{ policy: ResourcePolicy } | Refusal> {
  const frozen = request.policy;
  const server = resourceFor(deps.serverConfig, request.resource, request.owner, request.repo);
  if (server === undefined) {
    return {
      to: "rejected",
      reason: `${request.resource} is not available to ${request.owner}/${request.repo} on this server any more.`,
    };
  }
  const rules = await readRepositoryRules(github, { owner: request.owner, repo: request.repo });
  if (!rules.ok) {
    return {
      to: "pending",
      reason: `the repository's ${CONFIG_PATH} cannot be used now (${rules.problems
        .map((problem) => `${problem.path}: ${problem.message}`)
        .join("; ")}).`,
    };
  }
  const now = effectivePolicy(server.floor, rules.resources[request.resource]);
  return { policy: stricterPolicy(frozen, now) };
}

/** The re-check: every read fresh from GitHub, every doubt a refusal. */
async function recheck(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<Passed | Refusal> {
  const repo = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  if (request.expiresAt !== null && request.expiresAt <= deps.now()) {
    return {
      to: "expired",
      reason: "its approval is older than the resource's timeout; ask again with a new `/run`.",
    };
  }
  const current = await currentPolicy(deps, github, request);
  if ("to" in current) return current;
  const { policy } = current;
  // A timeout shortened since intake counts too (expiresAt was set from the frozen one).
  if (request.createdAt.getTime() + policy.timeoutMs <= deps.now().getTime()) {
    return {
      to: "expired",
      reason:
        "it is older than the resource's timeout as it stands now; ask again with a new `/run`.",
    };
  }
  // Write permission is checked now, not only at intake: someone removed since must not
  // have their command run.
  const permission = await getRepositoryPermission(github, repo, request.requester);
  if (!canRequest(permission)) {
    return {
      to: "rejected",
      reason: `${request.requester} no longer has write permission on ${request.owner}/${request.repo} (now ${permission}).`,
    };
  }
  const pull = await pullRequestState(github, repo, prNumber);
  const files = pull.state === "open" ? await listPullFiles(github, repo, prNumber) : [];
  const pullRefusal = checkPullRequest(request, {
    state: pull.state,
    headSha: pull.headSha,
    baseRef: pull.baseRef,
    files,
  });
  if (pullRefusal !== null) return pullRefusal;

  const content = await fileAtRef(github, repo, request.filePath as string, pull.headSha);
  const check = content === null ? null : await deps.checkCommand(content, policy);
  const fileRefusal = checkCommandFile(content, check, policy);
  if (fileRefusal !== null || content === null || check === null) {
    return fileRefusal ?? { to: "rejected", reason: "the request file could not be read." };
  }

  const sources = { github, store: deps.store, teams: deps.teams };
  // Reviews are read fresh even when none are needed: a "no" from an eligible reviewer
  // stops an auto-approved or granted command too.
  const fresh = await evaluateRequest(sources, { ...request, policy }, { fresh: true });
  // evaluateRequest read the head again; a push in between is caught here too.
  if (fresh.headSha !== pull.headSha) {
    return (
      checkPullRequest(request, { state: "open", headSha: fresh.headSha, files }) ?? {
        to: "pending",
        reason: "the request branch moved during the re-check.",
      }
    );
  }
  if (fresh.evaluation.status === "rejected") {
    const rejected = approvalFromReviews(fresh.evaluation);
    if (isRefusal(rejected)) return rejected;
  }

  let grant: { id: number; covers: boolean } | null = null;
  if (request.grantId !== null) {
    const record = await deps.store.get(request.grantId);
    // A grant covers only while JIT is still allowed for the resource (floor and repository
    // as they are now), and its approval is judged against the JIT rule as it is now too.
    let covers =
      policy.jit !== null &&
      grantCovers(record, request, deps.now()) &&
      !othersPushed(fresh.pushers, request.requester);
    if (covers && record !== null && policy.jit !== null) {
      // The grant's own approval is checked against GitHub too, not its cached state.
      const held = stricterPolicy(record.policy, policy);
      const grantNow = await evaluateRequest(sources, { ...record, policy: held }, { fresh: true });
      covers = grantNow.evaluation.status === "approved";
    }
    grant = { id: request.grantId, covers };
  }
  const basis: ApprovalBasis | Refusal =
    approvalWithoutReviews(policy, check, grant) ?? approvalFromReviews(fresh.evaluation);
  if (isRefusal(basis)) return basis;
  return { policy, content, check, basis, prUrl: pull.url };
}

/** The outcome when no engine could be opened: nothing was attempted. */
function notAttempted(message: string): ExecutionOutcome {
  return {
    status: "failed",
    resultSets: [],
    affectedRows: 0,
    durationMs: 0,
    notices: [],
    error: { message, code: "COUNTERSIGN_NOT_CONFIGURED" },
    rolledBack: false,
  };
}

/** `unknown` when the engine cannot say whether COMMIT happened. */
export function finalStatus(outcome: ExecutionOutcome): "succeeded" | "failed" | "unknown" {
  if (outcome.error?.code === "COUNTERSIGN_COMMIT_UNKNOWN") return "unknown";
  return outcome.status;
}

/** Outcome with the resource's credentials removed once more (the engines already do). */
function scrubOutcome(outcome: ExecutionOutcome, scrub: (text: string) => string) {
  return {
    ...outcome,
    notices: outcome.notices.map(scrub),
    ...(outcome.error === undefined
      ? {}
      : { error: { ...outcome.error, message: scrub(outcome.error.message) } }),
  };
}

/** `1 row affected` / `2 rows affected, rolled back (CODE)`: check title and source link. */
function outcomeLine(status: string, outcome: ExecutionOutcome | null): string {
  if (outcome === null || status === "unknown") return "outcome unknown";
  const rows = `${outcome.affectedRows} ${outcome.affectedRows === 1 ? "row" : "rows"} affected`;
  const rolled = outcome.rolledBack && status === "failed" ? ", rolled back" : "";
  const code = outcome.error?.code ? ` (${outcome.error.code})` : "";
  return `${rows}${rolled}${code}`;
}

function finalStatusView(
  status: "succeeded" | "failed" | "unknown",
  line: string,
  basis: Pick<ApprovalBasis, "approvedBy" | "note">,
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

export interface PublishInput {
  request: RequestRecord;
  status: "succeeded" | "failed" | "unknown";
  /** The result comment (already rendered and scrubbed). */
  body: string;
  linkSummary: string;
  statusView: StatusView;
  audit: AuditResult;
  basis: Pick<ApprovalBasis, "approvedBy" | "note">;
  headSha: string;
  prUrl: string;
}

/**
 * Result comment + link, status, audit merge. Each step is attempted even if an earlier one
 * failed; failures are logged and kept as events. Returns what was published.
 */
export async function publishOutcome(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  input: PublishInput,
): Promise<{ commentUrl: string | null; mergeSha: string | null }> {
  const { request } = input;
  const log = (level: "info" | "warn", fields: object, message: string) =>
    deps.log[level]({ requestId: request.id, ...fields }, message);
  const repo: RepoRef = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  const problem = async (step: string, error: unknown) => {
    const message = errorText(error).slice(0, 500);
    log("warn", { step, err: message }, "publishing the outcome failed");
    await deps.store.note(request.id, APP_ACTOR, `${step} failed: ${message}`);
  };

  let commentUrl: string | null = null;
  try {
    // The link goes to the thread that held the /run, unless that thread is the PR itself.
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
    if (request.prNodeId !== null) {
      const posted = await postResultComments(github, {
        pullRequestId: request.prNodeId,
        body: input.body,
        sourceThreadId: linkThread,
        linkBody,
      });
      commentUrl = posted.resultUrl;
      if (posted.failures.length > 0) await problem("comments", posted.failures.join("; "));
    } else {
      commentUrl = (await postComment(github, repo, prNumber, input.body)).url;
    }
  } catch (error) {
    await problem("result comment", error);
  }

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

  let mergeSha: string | null = null;
  const commit = auditCommit({
    requestId: request.id,
    resource: request.resource,
    requester: request.requester,
    approvedBy: input.basis.approvedBy,
    approvalNote: input.basis.note,
    grantId: request.grantId,
    filePath: request.filePath ?? "",
    sourceUrl: request.sourceUrl,
    result: input.audit,
  });
  try {
    const merged = await mergeRequest(github, repo, prNumber, {
      sha: input.headSha,
      title: commit.title,
      message: commit.message,
    });
    if (merged.merged) {
      mergeSha = merged.sha;
      log("info", { mergeSha }, "audit commit merged");
    } else {
      log("warn", { httpStatus: merged.status }, "GitHub refused the audit merge");
      await deps.store.note(
        request.id,
        APP_ACTOR,
        `audit merge refused (HTTP ${merged.status}): ${merged.message}`,
      );
      await postComment(
        github,
        repo,
        prNumber,
        renderTemplate("merge-refused", {
          id: request.id,
          status: input.status,
          httpStatus: merged.status,
          message: merged.message,
          commit: `${commit.title}\n\n${commit.message}`,
        }),
      );
    }
  } catch (error) {
    await problem("audit merge", error);
  }
  return { commentUrl, mergeSha };
}

/** Back to waiting for approval, or rejected for good; the PR says why. Nothing ran. */
async function refuse(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  refusal: Refusal,
  workerId: string,
): Promise<ExecutionEnd> {
  const moved = await deps.store.transition(request.id, "running", refusal.to, {
    actor: APP_ACTOR,
    detail: `re-check before execution: ${refusal.reason}`,
    patch: { leaseOwner: null, leaseExpiresAt: null },
    guard: { leaseOwner: workerId },
  });
  if (!moved.ok) return { executed: false, status: "lost" };
  deps.log.info({ requestId: request.id, to: refusal.to }, "re-check refused the request");
  const repo = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  try {
    await publishStatus(
      deps.store,
      github,
      moved.request,
      statusView({
        status: refusal.to,
        evaluation: null,
        autoApproval: null,
        notes: [`The check just before execution found that ${refusal.reason}`],
      }),
      refusal.to === "pending" ? {} : { conclusion: "failure", close: true },
    );
    await postComment(
      github,
      repo,
      prNumber,
      renderTemplate(refusal.to === "pending" ? "execution-deferred" : "execution-refused", {
        id: request.id,
        reason: refusal.reason,
        expired: refusal.to === "expired",
      }),
    );
  } catch (error) {
    deps.log.warn({ requestId: request.id, err: errorText(error) }, "could not explain refusal");
    await deps.store.note(
      request.id,
      APP_ACTOR,
      `explaining the refusal failed: ${errorText(error)}`,
    );
  }
  return { executed: false, status: refusal.to };
}

/**
 * Gives the claim back when nothing was executed and nothing was decided (GitHub could not
 * be read, the worker is stopping): running → pending → approved, two compare-and-sets,
 * so the next claim re-checks everything again.
 */
export async function releaseClaim(
  store: RequestStore,
  requestId: number,
  why: string,
  guard: { leaseOwner: string } | { leaseExpired: true },
): Promise<boolean> {
  const back = await store.transition(requestId, "running", "pending", {
    actor: APP_ACTOR,
    detail: `claim released, nothing was executed: ${why}`,
    patch: { leaseOwner: null, leaseExpiresAt: null },
    guard,
  });
  if (!back.ok) return false;
  const again = await store.transition(requestId, "pending", "approved", {
    actor: APP_ACTOR,
    detail: "approved as before the claim; the next claim re-checks it",
  });
  return again.ok;
}

export async function executeRequest(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  claim: Claim,
): Promise<ExecutionEnd> {
  const requestId = request.id;
  const url = deps.env[resourceUrlVariable(request.resource)] ?? "";
  const scrub = credentialRedactor(url);

  let passed: Passed | Refusal;
  try {
    passed = await recheck(deps, github, request);
  } catch (error) {
    const why = `the re-check could not read GitHub (${scrub(errorText(error)).slice(0, 300)})`;
    deps.log.warn({ requestId, err: why }, "re-check failed; releasing the claim");
    const released = await releaseClaim(deps.store, requestId, why, {
      leaseOwner: claim.workerId,
    });
    return { executed: false, status: released ? "approved" : "lost" };
  }
  if (isRefusal(passed)) return refuse(deps, github, request, passed, claim.workerId);
  if (claim.signal.aborted) {
    const released = await releaseClaim(deps.store, requestId, "the worker is stopping", {
      leaseOwner: claim.workerId,
    });
    return { executed: false, status: released ? "approved" : "lost" };
  }

  const headSha = request.headSha as string;
  const summary: ResultSummary = {
    phase: "executing",
    headSha,
    prUrl: passed.prUrl,
    approvedBy: passed.basis.approvedBy,
    approvalNote: passed.basis.note,
    readOnly: passed.check.readOnly,
    startedAt: deps.now().toISOString(),
  };
  // The point of no return: from here on a lost lease means `unknown`, never a second run.
  if (!(await deps.store.patchIfLeased(requestId, claim.workerId, { result: summary }))) {
    deps.log.warn({ requestId }, "lease lost before execution; not running");
    return { executed: false, status: "lost" };
  }

  deps.log.info(
    { requestId, resource: request.resource, readOnly: passed.check.readOnly },
    "executing",
  );
  const opened = openEngine(request.resource, deps.env);
  let outcome: ExecutionOutcome;
  let status: "succeeded" | "failed" | "unknown";
  if (!opened.ok) {
    outcome = notAttempted(opened.error);
    status = "failed";
  } else {
    try {
      outcome = await opened.engine.execute({
        sql: passed.content,
        readOnly: passed.check.readOnly,
        statementTimeoutMs: deps.limits.statementTimeoutMs,
        lockTimeoutMs: deps.limits.lockTimeoutMs,
        ...(passed.policy.guardrails.maxAffectedRows === undefined
          ? {}
          : { maxAffectedRows: passed.policy.guardrails.maxAffectedRows }),
        keepRows: deps.limits.keepRows,
        signal: claim.signal,
      });
      status = finalStatus(outcome);
    } catch (error) {
      // The engines report failures as outcomes; a throw means we cannot tell what happened.
      outcome = {
        ...notAttempted(`The engine stopped unexpectedly: ${errorText(error)}`),
        error: {
          message: `The engine stopped unexpectedly: ${errorText(error)}`,
          code: "COUNTERSIGN_ENGINE_ERROR",
        },
      };
      status = "unknown";
    } finally {
      await opened.engine.close().catch(() => undefined);
    }
  }
  outcome = scrubOutcome(outcome, scrub);

  const view: ResultView = {
    requestId,
    resource: request.resource,
    requester: request.requester,
    output: passed.policy.output,
    outcome,
    approvedBy: passed.basis.approvedBy,
    ...(request.grantId === null ? {} : { grant: `grant ${request.grantId}` }),
  };
  const digest = outputDigest(view);
  const audit: AuditResult =
    status === "unknown"
      ? { status, why: outcome.error?.message ?? "the outcome could not be determined" }
      : {
          status,
          affectedRows: outcome.affectedRows,
          durationMs: outcome.durationMs,
          rolledBack: outcome.rolledBack,
          outputSha256: digest,
        };
  const finished: ResultSummary = {
    ...summary,
    phase: "finished",
    status,
    affectedRows: outcome.affectedRows,
    durationMs: outcome.durationMs,
    rolledBack: outcome.rolledBack,
    resultSets: outcome.resultSets.map((set) => ({
      command: set.command,
      totalRows: set.totalRows,
      affectedRows: set.affectedRows,
    })),
    noticeCount: outcome.notices.length,
    ...(outcome.error === undefined
      ? {}
      : {
          error: {
            message: outcome.error.message.slice(0, 4000),
            code: outcome.error.code ?? null,
          },
        }),
    outputSha256: digest,
  };
  const moved = await deps.store.transition(requestId, "running", status, {
    actor: APP_ACTOR,
    detail: resultTrailer(audit),
    patch: { result: finished, leaseOwner: null, leaseExpiresAt: null },
    guard: { leaseOwner: claim.workerId },
  });
  deps.log.info(
    { requestId, status, durationMs: outcome.durationMs, affectedRows: outcome.affectedRows },
    "executed",
  );

  const line = outcomeLine(status, outcome);
  // Scrubbed while the values are raw text, before escaping, measuring and cutting.
  let body = renderResultComment(view, { redact: scrub });
  if (status === "unknown") {
    const warning = renderTemplate("execution-unknown", {
      id: requestId,
      resource: request.resource,
      why: outcome.error?.message ?? "the outcome could not be determined",
    });
    body = `${warning}\n${renderResultComment(view, {
      maxLength: 65_536 - warning.length - 1,
      redact: scrub,
    })}`;
  }

  const repo = { owner: request.owner, repo: request.repo };
  if (!moved.ok) {
    // The lease was declared lost meanwhile (the request is `unknown` and its audit commit was
    // made by the sweeper). The truth is still worth telling: the outcome, as a comment.
    await deps.store.note(
      requestId,
      APP_ACTOR,
      `the command finished after the lease was lost: ${resultTrailer(audit)}`,
    );
    try {
      await postComment(github, repo, request.prNumber as number, body);
    } catch (error) {
      deps.log.warn({ requestId, err: errorText(error) }, "could not post the late outcome");
    }
    return { executed: true, status, recorded: false };
  }

  const published = await publishOutcome(deps, github, {
    request: moved.request,
    status,
    body,
    linkSummary: line,
    statusView: finalStatusView(status, line, passed.basis, []),
    audit,
    basis: passed.basis,
    headSha,
    prUrl: passed.prUrl,
  });
  await deps.store.patch(requestId, { result: { ...finished, ...published } });
  return { executed: true, status, recorded: true };
}
