/**
 * One claimed request, from the re-check to the audit commit (DESIGN §1.3, §1.5, §1.6), as
 * a pipeline of named stages, each a function that can be tested alone:
 *
 * 1. re-check (`recheck.ts`) against fresh GitHub data; a refusal → `pending`, `rejected`
 *    or `expired`, and the PR says why (`lifecycle/refusal.ts`);
 * 2. start: record "executing", only while this worker holds the lease;
 * 3. run (`run-command.ts`) the file's content on the resource's engine;
 * 4. finish: record the true outcome (`succeeded`, `failed`, or `unknown` when the
 *    connection died during COMMIT) by compare-and-set;
 * 5. publish (`lifecycle/outcome.ts`): comments, check run and status, the audit merge.
 */
import { credentialRedactor } from "../engines/index.js";
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { APP_ACTOR, finish, release, start } from "../lifecycle/moves.js";
import { finishedStatusView, outcomeLine, publishOutcome } from "../lifecycle/outcome.js";
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { refuseClaimed } from "../lifecycle/refusal.js";
import { resourceUrlVariable } from "../policy/config.js";
import { resultTrailer } from "../render/commit-message.js";
import { errorText, type Claim, type ExecuteDeps, type ExecutionEnd } from "./execution-context.js";
import { isRefusal } from "./preflight.js";
import { recheck, type Passed } from "./recheck.js";
import { runCommand, type RunResult } from "./run-command.js";
import { describeOutcome, type DescribedOutcome } from "./describe-outcome.js";

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
  const passed = await recheckStage(deps, github, request, claim, scrub);
  if ("executed" in passed) return passed;
  const summary = await startStage(deps, request, passed, claim);
  if (summary === null) return { executed: false, status: "lost" };
  const run = await runCommand(deps, request, passed, claim, scrub);
  const described = describeOutcome(request, passed, summary, run, scrub);
  const recorded = await finishStage(deps, request, claim, run, described);
  if (recorded === null) {
    await tellLateOutcome(deps, github, request, described);
    return { executed: true, status: run.status, recorded: false };
  }
  await publishStage(deps, github, recorded, passed, run, described);
  return { executed: true, status: run.status, recorded: true };
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

/** Records the outcome; null when the lease was declared lost meanwhile. */
async function finishStage(
  deps: ExecuteDeps,
  request: RequestRecord,
  claim: Claim,
  run: RunResult,
  described: DescribedOutcome,
): Promise<RequestRecord | null> {
  const moved = await finish(deps.store, request.id, claim.workerId, {
    status: run.status,
    detail: resultTrailer(described.audit),
    result: described.finished,
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
  return moved.ok ? moved.request : null;
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

async function publishStage(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  passed: Passed,
  run: RunResult,
  described: DescribedOutcome,
): Promise<void> {
  const line = outcomeLine(run.status, run.outcome);
  const published = await publishOutcome(deps, github, {
    request,
    status: run.status,
    body: described.body,
    linkSummary: line,
    statusView: finishedStatusView(run.status, line, passed.basis, []),
    audit: described.audit,
    basis: passed.basis,
    headSha: described.finished.headSha,
    prUrl: passed.prUrl,
  });
  await deps.store.patch(request.id, { result: { ...described.finished, ...published } });
}
