/**
 * Execution windows and `/schedule` at the worker (issue 17). A claimed command that may not
 * run now is not run and not moved: its `not_before` is set to when it may (the next opening
 * of every window, or the time an approver chose), the claim is given back (it is `approved`
 * again, and no worker claims it before then), and its PR says when it will run.
 *
 * Checked twice: right after the claim against the policy frozen at intake (no GitHub read
 * is spent on a command that must wait anyway), and again after the re-check, just before
 * the command starts, against the stricter of the frozen policy and the one in force now.
 * A break-glass command ignores windows; a `/schedule` on it still holds (an approver asked).
 * When the windows have no common opening in the next two weeks, the worker looks again in
 * an hour: it never runs a command outside a window.
 */
import type { ResourcePolicy } from "../policy/config.js";
import {
  WINDOW_SEARCH_DAYS,
  describeInstant,
  describeWindow,
  isWithinWindow,
  nextWindowStart,
  type ExecutionWindow,
} from "../policy/window.js";
import { APP_ACTOR, release } from "../lifecycle/moves.js";
import type { RequestRecord } from "../lifecycle/records.js";
import type { Claim, ExecuteDeps, ExecutionEnd } from "./execution-context.js";

/** How long to wait before looking again when no common opening is found. */
export const NO_OPENING_RETRY_MS = 3_600_000;

export interface ExecutionWait {
  /** When the command may run at the earliest (its new `not_before`). */
  until: Date;
  /** The windows it waits for (empty: it waits only for a `/schedule`). */
  windows: ExecutionWindow[];
  /** No common opening was found; `until` is when the worker looks again. */
  noOpening: boolean;
}

/** The windows a request is held to: none for a break-glass command. */
export function windowsOf(request: Pick<RequestRecord, "policy">, policy: ResourcePolicy) {
  return request.policy.breakGlass !== undefined ? [] : (policy.window ?? []);
}

/** Whether the command must wait, and until when; null: it may run now. Pure. */
export function executionWait(
  windows: readonly ExecutionWindow[],
  notBefore: Date | null,
  now: Date,
): ExecutionWait | null {
  const from = notBefore !== null && notBefore > now ? notBefore : now;
  const list = [...windows];
  if (list.length === 0 || isWithinWindow(list, from)) {
    return from > now ? { until: from, windows: list, noOpening: false } : null;
  }
  const next = nextWindowStart(list, from);
  if (next === null) {
    return {
      until: new Date(Math.max(now.getTime() + NO_OPENING_RETRY_MS, from.getTime())),
      windows: list,
      noOpening: true,
    };
  }
  return { until: next, windows: list, noOpening: false };
}

/** What the request's events and its PR's status say about a wait that starts `now`. */
export function describeWait(
  wait: ExecutionWait,
  request: Pick<RequestRecord, "scheduledBy">,
  now: Date,
): string {
  const zone = wait.windows[0]?.timeZone ?? "UTC";
  const window = describeWindow(wait.windows);
  const when = describeInstant(wait.until, zone);
  const at = `Not run at ${describeInstant(now, zone)}`;
  if (wait.noOpening) {
    return `${at}: its execution windows (${window}) have no common opening in the next ${WINDOW_SEARCH_DAYS} days; the worker looks again at ${when} and never runs it outside them.`;
  }
  if (wait.windows.length > 0 && !isWithinWindow(wait.windows, now)) {
    return `${at}: outside the execution window (${window}); it runs at ${when}.`;
  }
  return `${at}: ${request.scheduledBy ?? "an approver"} scheduled it; it runs at ${when}.`;
}

/**
 * When the claimed request must wait: records when it may run, gives the claim back and
 * queues the PR's status (the job runner writes it). Null: it may run now.
 */
export async function waitIfOutsideWindow(
  deps: Pick<ExecuteDeps, "store" | "jobs" | "log" | "now">,
  request: RequestRecord,
  policy: ResourcePolicy,
  claim: Claim,
): Promise<ExecutionEnd | null> {
  const now = deps.now();
  const wait = executionWait(windowsOf(request, policy), request.notBefore, now);
  if (wait === null) return null;
  const sentence = describeWait(wait, request, now);
  const recorded = await deps.store.patchIfLeased(request.id, claim.workerId, {
    notBefore: wait.until,
  });
  if (!recorded) return { executed: false, status: "lost" };
  deps.log.info(
    { requestId: request.id, notBefore: wait.until.toISOString() },
    "outside the execution window: not running; the claim goes back",
  );
  const why = `it may not run before ${wait.until.toISOString()}`;
  const released = await release(deps.store, request.id, why, { leaseOwner: claim.workerId });
  if (!released) return { executed: false, status: "lost" };
  await deps.store.note(request.id, APP_ACTOR, sentence);
  // The PR's status (check run and body) is written by the job runner, as every publication.
  await deps.jobs.enqueue({
    kind: "evaluate",
    installationId: request.installationId,
    requestId: request.id,
    dedupeKey: `window-wait:${request.id}:${wait.until.getTime()}`,
    payload: { note: sentence },
  });
  return { executed: false, status: "approved" };
}
