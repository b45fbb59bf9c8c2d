/**
 * The one way a request's status changes (DESIGN §1): `UPDATE … WHERE id = ? AND status IN
 * (…)`, with the event recorded in the same transaction. Exactly one of several concurrent
 * callers gets `ok: true`; the others learn the current state.
 */
import type { Knex } from "knex";
import { isLegalMove, type RequestStatus } from "../lifecycle/states.js";
import type { RequestPatch, RequestRecord } from "../lifecycle/records.js";
import { fromRow, toRow, type Row } from "./request-rows.js";

/** Extra compare-and-set conditions for `transition` (leases: see src/worker/executor.ts). */
export interface TransitionGuard {
  /** Only if the request's lease has expired by the database's clock. */
  leaseExpired?: boolean;
  /** Only if this worker holds the lease. */
  leaseOwner?: string;
  /**
   * Only while fewer than `limit` requests of `resource` are running (a claim). Serialised
   * per resource with an advisory lock, so two workers cannot both take the last slot.
   */
  runningBelow?: { resource: string; limit: number };
}

/** NOTIFY channel of transitions to `approved` (payload: the request id). */
export const APPROVED_CHANNEL = "countersign_approved";

export type TransitionResult =
  { ok: true; request: RequestRecord } | { ok: false; current: RequestRecord | null };

/**
 * Whether another request of `resource` may start running. The advisory lock (released at
 * COMMIT) makes concurrent claims of one resource take turns, and each then counts the
 * running requests the previous one committed.
 */
async function hasRunningSlot(
  trx: Knex.Transaction,
  slot: { resource: string; limit: number },
): Promise<boolean> {
  await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`countersign:run:${slot.resource}`]);
  const row = (await trx("requests")
    .where({ resource: slot.resource, status: "running" })
    .count({ n: "*" })
    .first()) as { n: string | number } | undefined;
  return Number(row?.n ?? 0) < slot.limit;
}

export interface TransitionOptions {
  actor: string;
  detail?: string;
  patch?: RequestPatch;
  guard?: TransitionGuard;
  /** Runs in the same transaction after the move (to queue what the new state needs). */
  onMoved?: (trx: Knex.Transaction, request: RequestRecord) => Promise<void>;
}

export async function transitionRequest(
  knex: Knex,
  id: number,
  from: RequestStatus | readonly RequestStatus[],
  to: RequestStatus,
  options: TransitionOptions,
): Promise<TransitionResult> {
  const fromList: readonly RequestStatus[] = typeof from === "string" ? [from] : from;
  for (const origin of fromList) {
    if (!isLegalMove(origin, to)) throw new Error(`illegal transition ${origin} → ${to}`);
  }
  return knex.transaction(async (trx) => {
    const before = (await trx("requests").where({ id }).first("status")) as
      { status: RequestStatus } | undefined;
    if (options.guard?.runningBelow && !(await hasRunningSlot(trx, options.guard.runningBelow))) {
      const current = (await trx("requests").where({ id }).first()) as Row | undefined;
      return { ok: false as const, current: current === undefined ? null : fromRow(current) };
    }
    const updated = await trx("requests")
      .where({ id })
      .whereIn("status", fromList as RequestStatus[])
      .modify((query) => {
        // Part of the same compare-and-set: a lease renewed a moment ago is not expired.
        if (options.guard?.leaseExpired) query.whereRaw("lease_expires_at < now()");
        if (options.guard?.leaseOwner !== undefined) {
          query.andWhere({ lease_owner: options.guard.leaseOwner });
        }
      })
      .update({
        ...toRow(options.patch ?? {}),
        status: to,
        status_detail: options.detail ?? null,
        updated_at: trx.fn.now(),
      })
      .returning("*");
    const row = updated[0] as Row | undefined;
    if (row === undefined || before === undefined) {
      const current = (await trx("requests").where({ id }).first()) as Row | undefined;
      return { ok: false as const, current: current === undefined ? null : fromRow(current) };
    }
    await trx("request_events").insert({
      request_id: id,
      from_status: before.status,
      to_status: to,
      actor: options.actor,
      detail: options.detail ?? null,
    });
    // Wakes workers LISTENing on a shared PostgreSQL; delivered at COMMIT, so a worker never
    // sees the wake-up before the row. Harmless (nobody listens) on the embedded store.
    if (to === "approved") {
      await trx.raw("select pg_notify(?, ?)", [APPROVED_CHANNEL, String(id)]);
    }
    const request = fromRow(row);
    if (options.onMoved) await options.onMoved(trx, request);
    return { ok: true as const, request };
  });
}
