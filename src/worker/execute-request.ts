/**
 * One claimed request, from the re-check to the audit commit (DESIGN §1.3, §1.5, §1.6), as
 * a pipeline of named stages, each a function that can be tested alone:
 *
 * 0. the execution window and `/schedule` (`window-wait.ts`): a command that may not run yet
 *    stays `approved`, gets its `not_before`, and the claim goes back;
 * 1. re-check (`recheck.ts`) against fresh GitHub data; a refusal → `pending`, `rejected`
 *    or `expired`, and the PR says why (`lifecycle/refusal.ts`); then the window once more;
 * 2. start: record "executing", only while this worker holds the lease;
 * 3. run (`run-command.ts`) the file's content on the resource's engine;
 * 4. finish: record the true outcome (`succeeded`, `failed`, or `unknown` when the
 *    connection died during COMMIT) by compare-and-set;
 * 5. publish: queued as a `publish_outcome` job (comments, check run and status, the audit
 *    merge: `lifecycle/outcome.ts`), so the worker takes the next command at once.
 */
import { credentialRedactor } from "../engines/index.js";
import { aboutRequest, queueNotification } from "../notify/notify-job.js";
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { APP_ACTOR, finish, release, start } from "../lifecycle/moves.js";
import { finishedStatusView, outcomeLine } from "../lifecycle/outcome.js";
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import type { NewJob } from "../store/jobs.js";
import { refuseClaimed } from "../lifecycle/refusal.js";
import { resourceUrlVariable } from "../policy/config.js";
import { resultTrailer } from "../render/commit-message.js";
import { errorText, type Claim, type ExecuteDeps, type ExecutionEnd } from "./execution-context.js";
import { isRefusal } from "./preflight.js";
import { recheck, type Passed } from "./recheck.js";
import { runCommand, type RunResult } from "./run-command.js";
import { cancelledBy, finishCancelled } from "./cancelled-run.js";
import { scheduleRunningNotice } from "./running-notice.js";
import { describeOutcome, type DescribedOutcome } from "./describe-outcome.js";
import { waitIfOutsideWindow } from "./window-wait.js";

export {
  DEFAULT_LIMITS,
  type Claim,
  type ExecuteDeps,
  type ExecutionEnd,
  type ExecutionLimits,
  type Logger,
} from "./execution-context.js";
export { finalStatus } from "./run-command.js";

export async function executeRequest(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  claim: Claim,
): Promise<ExecutionEnd> {
  const scrub = credentialRedactor(deps.env[resourceUrlVariable(request.resource)] ?? "");
  // Outside its execution window (or before its /schedule): no GitHub read is spent on it.
  // An expired request is not made to wait: the re-check expires it.
  const expired = request.expiresAt !== null && request.expiresAt <= deps.now();
  const early = expired ? null : await waitIfOutsideWindow(deps, request, request.policy, claim);
  if (early !== null) return early;
  const passed = await recheckStage(deps, github, request, claim, scrub);
  if ("executed" in passed) return passed;
  // The last moment before it starts, under the policy it is held to now (frozen + current).
  const late = await waitIfOutsideWindow(deps, request, passed.policy, claim);
  if (late !== null) return late;
  const summary = await startStage(deps, request, passed, claim);
  if (summary === null) return { executed: false, status: "lost" };
  const notice = scheduleRunningNotice(deps, github, request, passed, new Date(summary.startedAt));
  const run = await runCommand(deps, request, { passed, summary }, claim, scrub);
  await notice.settle();
  const described = describeOutcome(request, passed, summary, run, scrub);
  const canceller = cancelledBy(claim.signal, run);
  if (canceller !== null) {
    const recorded = await finishCancelled(
      deps,
      github,
      request,
      canceller,
      described,
      claim,
      scrub,
    );
    return { executed: true, status: "cancelled", recorded };
  }
  const publish = publishJob(request, passed, run, described);
  const recorded = await finishStage(deps, request, claim, run, described, publish);
  if (!recorded) await tellLateOutcome(deps, github, request, described);
  return { executed: true, status: run.status, recorded };
}

/**
 * Re-check; a refusal is recorded and explained. When GitHub cannot be read or the worker
 * is stopping, nothing was decided: the claim is given back for the next claim.
 */
async function recheckStage(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  claim: Claim,
  scrub: (text: string) => string,
): Promise<Passed | ExecutionEnd> {
  const giveBack = async (why: string): Promise<ExecutionEnd> => {
    const released = await release(deps.store, request.id, why, { leaseOwner: claim.workerId });
    return { executed: false, status: released ? "approved" : "lost" };
  };
  let passed;
  try {
    passed = await recheck(deps, github, request);
  } catch (error) {
    const why = `the re-check could not read GitHub (${scrub(errorText(error)).slice(0, 300)})`;
    deps.log.warn({ requestId: request.id, err: why }, "re-check failed; releasing the claim");
    return giveBack(why);
  }
  if (isRefusal(passed)) {
    const moved = await refuseClaimed(deps, github, request, passed, claim.workerId);
    if (moved && passed.to !== "pending") {
      const event = { kind: "outcome" as const, ...aboutRequest(request), status: passed.to };
      await queueNotification(deps, request.installationId, event);
    }
    return { executed: false, status: moved ? passed.to : "lost" };
  }
  if (claim.signal.aborted) return giveBack("the worker is stopping");
  return passed;
}

/** The point of no return: from here on a lost lease means `unknown`, never a second run. */
async function startStage(
  deps: ExecuteDeps,
  request: RequestRecord,
  passed: Passed,
  claim: Claim,
): Promise<ResultSummary | null> {
  const summary: ResultSummary = {
    phase: "executing",
    headSha: request.headSha as string,
    prUrl: passed.prUrl,
    approvedBy: passed.basis.approvedBy,
    approvalNote: passed.basis.note,
    readOnly: passed.check.readOnly,
    startedAt: deps.now().toISOString(),
  };
  if (!(await start(deps.store, request.id, claim.workerId, summary))) {
    deps.log.warn({ requestId: request.id }, "lease lost before execution; not running");
    return null;
  }
  deps.log.info(
    { requestId: request.id, resource: request.resource, readOnly: passed.check.readOnly },
    "executing",
  );
  return summary;
}

/** Records the outcome and queues its publication; false when the lease was lost meanwhile. */
async function finishStage(
  deps: ExecuteDeps,
  request: RequestRecord,
  claim: Claim,
  run: RunResult,
  described: DescribedOutcome,
  publish: NewJob,
): Promise<boolean> {
  const outcome = {
    status: run.status,
    detail: resultTrailer(described.audit),
    result: described.finished,
  };
  const moved = await finish(deps.store, request.id, claim.workerId, outcome, async (trx) => {
    await deps.jobs.enqueue(publish, trx);
    const event = { kind: "outcome" as const, ...aboutRequest(request), status: run.status };
    await queueNotification(deps, request.installationId, event, undefined, trx);
  });
  deps.log.info(
    {
      requestId: request.id,
      status: run.status,
      durationMs: run.outcome.durationMs,
      affectedRows: run.outcome.affectedRows,
    },
    "executed",
  );
  return moved.ok;
}

/**
 * The lease was declared lost while the command ran (the request is `unknown` and its
 * audit commit was made by the sweeper). The truth is still worth telling, as a comment.
 */
async function tellLateOutcome(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  described: DescribedOutcome,
): Promise<void> {
  await deps.store.note(
    request.id,
    APP_ACTOR,
    `the command finished after the lease was lost: ${resultTrailer(described.audit)}`,
  );
  try {
    const repo = { owner: request.owner, repo: request.repo };
    await postComment(github, repo, request.prNumber as number, described.body);
  } catch (error) {
    deps.log.warn(
      { requestId: request.id, err: errorText(error) },
      "could not post the late outcome",
    );
  }
}

/** The publication of the outcome, queued with the outcome: the worker never waits for it. */
function publishJob(
  request: RequestRecord,
  passed: Passed,
  run: RunResult,
  described: DescribedOutcome,
): NewJob {
  const line = outcomeLine(run.status, run.outcome);
  return {
    kind: "publish_outcome",
    installationId: request.installationId,
    requestId: request.id,
    dedupeKey: `publish:${request.id}`,
    payload: {
      status: run.status,
      body: described.body,
      linkSummary: line,
      statusView: finishedStatusView(run.status, line, passed.basis, []),
      audit: described.audit,
      basis: passed.basis,
      headSha: described.finished.headSha,
      prUrl: passed.prUrl,
    },
  };
}
