/**
 * One function per arrow of DESIGN §1, and the only caller of `RequestStore.transition`
 * (a lint rule keeps it so). Each is a compare-and-set: exactly one of several concurrent
 * callers moves the request; the others get `ok: false` with the request as it is now.
 * What each new state shows on GitHub is decided in this folder's publish modules.
 */
import type { Knex } from "knex";
import type { RequestStore, TransitionResult } from "../store/requests.js";
import type { RequestPatch, RequestRecord, ResultSummary } from "./records.js";
import type { RequestStatus } from "./states.js";

/** Who moves a request when no person does: the app itself. */
export const APP_ACTOR = "countersign";

/** A request that will not run ends in one of these. */
export type ClosedStatus = "rejected" | "cancelled" | "expired";
/** A command that ran (or may have) ends in one of these. */
export type FinishedStatus = "succeeded" | "failed" | "unknown";

export interface ActorDetail {
  actor: string;
  detail?: string;
}

const NO_LEASE: RequestPatch = { leaseOwner: null, leaseExpiresAt: null };

/**
 * pending → approved, or approved → approved is never asked. A grant's window starts at its
 * approval (DESIGN §2), so the first approval of a grant also fixes when it ends; a
 * re-approval never extends it. Past its timeout a pending request can only expire,
 * however late the expiry sweep comes.
 */
export async function approve(
  store: RequestStore,
  request: RequestRecord,
  detail: string | undefined,
  now: Date,
): Promise<TransitionResult> {
  if (request.expiresAt !== null && request.expiresAt <= now) {
    return { ok: false, current: request };
  }
  const startsWindow = request.kind === "grant" && request.grantEndsAt === null;
  return store.transition(request.id, "pending", "approved", {
    actor: APP_ACTOR,
    detail,
    patch: startsWindow
      ? { grantEndsAt: new Date(now.getTime() + (request.grantDurationMs ?? 0)) }
      : undefined,
  });
}

/** approved → pending: a dismissed review, a push, a departed approver. */
export function unapprove(
  store: RequestStore,
  requestId: number,
  detail?: string,
): Promise<TransitionResult> {
  return store.transition(requestId, "approved", "pending", { actor: APP_ACTOR, detail });
}

/** pending | approved → rejected | cancelled | expired: the request will not run. */
export function close(
  store: RequestStore,
  requestId: number,
  from: readonly RequestStatus[],
  to: ClosedStatus,
  by: ActorDetail,
): Promise<TransitionResult> {
  return store.transition(requestId, from, to, { actor: by.actor, detail: by.detail });
}

/**
 * approved → running: this worker holds the request for `leaseMs`, provided fewer than the
 * resource's `concurrency` commands run on it now (across every worker).
 */
export function claim(
  store: RequestStore,
  request: { id: number; resource: string; concurrency: number },
  workerId: string,
  leaseMs: number,
  now: Date,
): Promise<TransitionResult> {
  return store.transition(request.id, "approved", "running", {
    actor: workerId,
    detail: `claimed by ${workerId}`,
    patch: { leaseOwner: workerId, leaseExpiresAt: new Date(now.getTime() + leaseMs) },
    guard: { runningBelow: { resource: request.resource, limit: request.concurrency } },
  });
}

/**
 * running → pending → approved: the claim given back when nothing was executed and
 * nothing was decided (GitHub could not be read, the worker is stopping or died during
 * the re-check). Two compare-and-sets, so the next claim re-checks everything again.
 */
export async function release(
  store: RequestStore,
  requestId: number,
  why: string,
  guard: { leaseOwner: string } | { leaseExpired: true },
): Promise<boolean> {
  const back = await store.transition(requestId, "running", "pending", {
    actor: APP_ACTOR,
    detail: `claim released, nothing was executed: ${why}`,
    patch: NO_LEASE,
    guard,
  });
  if (!back.ok) return false;
  const again = await store.transition(requestId, "pending", "approved", {
    actor: APP_ACTOR,
    detail: "approved as before the claim; the next claim re-checks it",
  });
  return again.ok;
}

/** running → pending | rejected | expired: the re-check before execution refused it. */
export function refuseAtRecheck(
  store: RequestStore,
  requestId: number,
  to: "pending" | "rejected" | "expired",
  reason: string,
  workerId: string,
  /** What the re-check found that the request keeps (the command's check with a new plan). */
  found: Pick<RequestPatch, "classification"> = {},
): Promise<TransitionResult> {
  return store.transition(requestId, "running", to, {
    actor: APP_ACTOR,
    detail: `re-check before execution: ${reason}`,
    patch: { ...NO_LEASE, ...found },
    guard: { leaseOwner: workerId },
  });
}

/**
 * Still running, now executing: recorded only while this worker holds the lease, and the
 * command runs only if it was. From here on a lost lease means `unknown`, never a re-run.
 */
export function start(
  store: RequestStore,
  requestId: number,
  workerId: string,
  summary: ResultSummary,
): Promise<boolean> {
  return store.patchIfLeased(requestId, workerId, { result: summary });
}

/** Work queued in the same transaction as a move: both happen, or neither. */
export type OnMoved = (trx: Knex.Transaction, request: RequestRecord) => Promise<void>;

/**
 * running → succeeded | failed | unknown, by the worker that ran it; `publish` queues the
 * outcome's publication in the same transaction, so a recorded outcome is always shown.
 */
export function finish(
  store: RequestStore,
  requestId: number,
  workerId: string,
  outcome: { status: FinishedStatus; detail: string; result: ResultSummary },
  publish: OnMoved,
): Promise<TransitionResult> {
  return store.transition(requestId, "running", outcome.status, {
    actor: APP_ACTOR,
    detail: outcome.detail,
    patch: { ...NO_LEASE, result: outcome.result },
    guard: { leaseOwner: workerId },
    onMoved: publish,
  });
}

/** running → cancelled: a /cancel stopped the command on the server and it rolled back. */
export function cancelRunning(
  store: RequestStore,
  requestId: number,
  workerId: string,
  actor: string,
  result: ResultSummary,
): Promise<TransitionResult> {
  return store.transition(requestId, "running", "cancelled", {
    actor,
    detail: `cancelled by ${actor} while running; rolled back, nothing was committed`,
    patch: { ...NO_LEASE, result },
    guard: { leaseOwner: workerId },
  });
}

/**
 * running → unknown: the lease expired while the command ran (its worker died). Same
 * compare-and-set as the claim: a lease renewed a moment ago is not taken away.
 */
export function declareUnknown(
  store: RequestStore,
  requestId: number,
  detail: string,
  result: ResultSummary,
  publish: OnMoved,
): Promise<TransitionResult> {
  return store.transition(requestId, "running", "unknown", {
    actor: APP_ACTOR,
    detail,
    patch: { ...NO_LEASE, result },
    guard: { leaseExpired: true },
    onMoved: publish,
  });
}

/** approved → expired | cancelled | rejected for an active grant: its window ends. */
export function endGrant(
  store: RequestStore,
  grantId: number,
  to: ClosedStatus,
  by: ActorDetail,
): Promise<TransitionResult> {
  return store.transition(grantId, "approved", to, { actor: by.actor, detail: by.detail });
}
