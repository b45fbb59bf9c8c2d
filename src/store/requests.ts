/**
 * The request store: the only code that reads or writes `requests` and `request_events`.
 * Every status change goes through `transition`, a compare-and-set that also records the
 * event, so two replicas or a redelivered webhook can never move a request twice.
 */
import type { Knex } from "knex";
import { INITIAL_STATUSES, OPEN_STATUSES, type RequestStatus } from "../lifecycle/states.js";
import type {
  NewRequest,
  RequestEvent,
  RequestPatch,
  RequestRecord,
  StoredReview,
} from "../lifecycle/records.js";
import { fromRow, toDate, toRow, type Row } from "./request-rows.js";

export type {
  NewRequest,
  RequestEvent,
  RequestPatch,
  RequestRecord,
  SourceType,
  StoredReview,
} from "../lifecycle/records.js";

import {
  transitionRequest,
  type TransitionOptions,
  type TransitionResult,
} from "./request-transition.js";

export type { TransitionGuard, TransitionOptions, TransitionResult } from "./request-transition.js";
export { APPROVED_CHANNEL } from "./request-transition.js";
import { scheduleRequest, type ScheduleResult } from "./request-schedule.js";
export { SCHEDULED_BY } from "./request-schedule.js";

export class RequestStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Creates the request unless its source already made one (redelivery): then the
   * existing request comes back with `created: false` and nothing is written.
   */
  async create(
    request: NewRequest,
    actor: string,
    /** Runs in the same transaction after an insert (to enqueue the request's first job). */
    onCreated?: (trx: Knex.Transaction, request: RequestRecord) => Promise<void>,
  ): Promise<{ created: boolean; request: RequestRecord }> {
    if (!INITIAL_STATUSES.includes(request.status)) {
      throw new Error(`a request cannot start in status ${request.status}`);
    }
    return this.knex.transaction(async (trx) => {
      const inserted = await trx("requests")
        .insert(toRow(request))
        .onConflict("source_key")
        .ignore()
        .returning("*");
      const row = inserted[0] as Row | undefined;
      if (row === undefined) {
        const existing = await trx("requests").where({ source_key: request.sourceKey }).first();
        return { created: false, request: fromRow(existing as Row) };
      }
      await trx("request_events").insert({
        request_id: row.id,
        from_status: null,
        to_status: request.status,
        actor,
        detail: request.statusDetail,
      });
      const record = fromRow(row);
      if (onCreated) await onCreated(trx, record);
      return { created: true, request: record };
    });
  }

  async get(id: number): Promise<RequestRecord | null> {
    const row = (await this.knex("requests").where({ id }).first()) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  async findBySource(sourceKey: string): Promise<RequestRecord | null> {
    const row = (await this.knex("requests").where({ source_key: sourceKey }).first()) as
      Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  async findByPullRequest(
    owner: string,
    repo: string,
    prNumber: number,
  ): Promise<RequestRecord | null> {
    const row = (await this.knex("requests")
      .whereRaw("lower(owner) = lower(?) and lower(repo) = lower(?)", [owner, repo])
      .andWhere({ pr_number: prNumber })
      // A GitOps pull request can hold a request after an earlier one on it ended: the
      // latest is the one its reviews, pushes and comments are about.
      .orderBy("id", "desc")
      .first()) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /**
   * The one way a status changes: `UPDATE … WHERE id = ? AND status IN (…)`. Exactly one of
   * several concurrent callers gets `ok: true`; the others learn the current state.
   */
  async transition(
    id: number,
    from: RequestStatus | readonly RequestStatus[],
    to: RequestStatus,
    options: TransitionOptions,
  ): Promise<TransitionResult> {
    return transitionRequest(this.knex, id, from, to, options);
  }

  /** Records GitHub ids and other facts that are not a status change. */
  async patch(id: number, patch: RequestPatch): Promise<RequestRecord> {
    const rows = await this.knex("requests")
      .where({ id })
      .update({ ...toRow(patch), updated_at: this.knex.fn.now() })
      .returning("*");
    const row = rows[0] as Row | undefined;
    if (row === undefined) throw new Error(`request ${id} does not exist`);
    return fromRow(row);
  }

  async events(requestId: number): Promise<RequestEvent[]> {
    const rows = (await this.knex("request_events")
      .where({ request_id: requestId })
      .orderBy("id")) as Row[];
    return rows.map((row) => ({
      id: Number(row.id),
      requestId: Number(row.request_id),
      fromStatus: (row.from_status as RequestStatus | null) ?? null,
      toStatus: row.to_status as RequestStatus,
      actor: String(row.actor),
      detail: (row.detail as string | null) ?? null,
      createdAt: toDate(row.created_at) as Date,
    }));
  }

  /** Appends an event that is not a status change (a merge refused, an edit ignored…). */
  async note(requestId: number, actor: string, detail: string): Promise<void> {
    const current = await this.get(requestId);
    if (current === null) return;
    await this.knex("request_events").insert({
      request_id: requestId,
      from_status: current.status,
      to_status: current.status,
      actor,
      detail,
    });
  }

  /** Open or running requests started from one thread, newest first (what /cancel stops). */
  async findCancellableBySourceThread(
    owner: string,
    repo: string,
    sourceNumber: number,
  ): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .whereRaw("lower(owner) = lower(?) and lower(repo) = lower(?)", [owner, repo])
      .andWhere({ source_number: sourceNumber })
      .whereIn("status", [...OPEN_STATUSES, "running"])
      .orderBy("id", "desc")) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Adds or replaces one review in the request's review cache, under a row lock so two
   * reviews arriving at once are both kept. A request without a cache yet keeps none: its
   * first evaluation lists every review from GitHub instead of trusting a partial list.
   */
  async upsertReview(id: number, review: StoredReview): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const row = (await trx("requests").where({ id }).forUpdate().first("reviews")) as
        { reviews: string | null } | undefined;
      if (row === undefined || row.reviews === null) return;
      const reviews = (JSON.parse(row.reviews) as StoredReview[]).filter(
        (existing) => existing.id !== review.id,
      );
      reviews.push(review);
      await trx("requests")
        .where({ id })
        .update({ reviews: JSON.stringify(reviews), updated_at: trx.fn.now() });
    });
  }

  /** Open requests of an organisation or user account (a team changed: re-evaluate them). */
  async findOpenByOwner(owner: string): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .whereRaw("lower(owner) = lower(?)", [owner])
      .whereIn("status", [...OPEN_STATUSES])
      .whereNotNull("pr_number")
      .orderBy("id")) as Row[];
    return rows.map(fromRow);
  }

  /**
   * The grantee's active grant on a resource: approved, and its window not over. Only the
   * grantee benefits; a grant of another repository or resource never applies.
   */
  async findActiveGrant(
    owner: string,
    repo: string,
    resource: string,
    grantee: string,
    now: Date,
  ): Promise<RequestRecord | null> {
    const row = (await this.knex("requests")
      .where({ kind: "grant", status: "approved", resource })
      .whereRaw("lower(owner) = lower(?) and lower(repo) = lower(?)", [owner, repo])
      .whereRaw("lower(requester) = lower(?)", [grantee])
      .andWhere("grant_ends_at", ">", now)
      .orderBy("grant_ends_at", "desc")
      .first()) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /** Active grants (approved with a window): `ended` picks those whose window is over. */
  async findGrants(now: Date, which: "active" | "ended"): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .where({ kind: "grant", status: "approved" })
      .whereNotNull("grant_ends_at")
      .andWhere("grant_ends_at", which === "ended" ? "<=" : ">", now)
      .orderBy("id")) as Row[];
    return rows.map(fromRow);
  }

  /** Commands that ran (or tried to) under a grant, for its audit trailer. */
  async countGrantCommands(grantId: number): Promise<number> {
    const row = (await this.knex("requests")
      .where({ grant_id: grantId, kind: "command" })
      .whereIn("status", ["succeeded", "failed", "unknown", "running"])
      .count({ n: "*" })
      .first()) as { n: string | number } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Pending requests whose deadline has passed, for the expiry sweep. */
  /** Pending requests with a pull request, oldest first: the missed-webhook sweep reads them. */
  async findPendingWithPullRequest(limit = 500): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .where({ status: "pending" })
      .whereNotNull("pr_number")
      .orderBy("id")
      .limit(limit)) as Row[];
    return rows.map(fromRow);
  }

  /**
   * How many requests are in each status (for /metrics); `breakGlass` counts only those made
   * with --break-glass (the policy is JSON text on both stores; the key exists only on them).
   */
  async countByStatus(only: { breakGlass?: boolean } = {}): Promise<Record<string, number>> {
    const rows = (await this.knex("requests")
      .modify((query) => {
        if (only.breakGlass === true) query.whereRaw("(policy::jsonb) \\? 'breakGlass'");
      })
      .select("status")
      .count({ n: "*" })
      .groupBy("status")) as { status: string; n: string | number }[];
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  /** Succeeded requests whose undo backups are still on their target (issue 16). */
  async findUndoBackups(limit = 50): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .where({ status: "succeeded" })
      .whereRaw("(result::jsonb) \\? 'undo'")
      .whereRaw("NOT ((result::jsonb) \\? 'undoDroppedAt')")
      .orderBy("id")
      .limit(limit)) as Row[];
    return rows.map(fromRow);
  }

  async findExpired(now: Date, limit = 100): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      // An approval does not outlive the timeout either: a command approved last week must
      // not run after a worker outage.
      .whereIn("status", [...OPEN_STATUSES])
      .andWhere("expires_at", "<=", now)
      .orderBy("id")
      .limit(limit)) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Approved requests a worker may claim, oldest first, but none whose `not_before` (its
   * execution window, or a `/schedule`) is still ahead of `now`. Only a hint: the claim itself
   * is `transition(id, "approved", "running")`, which exactly one worker wins.
   */
  async findClaimable(limit = 10, now = new Date()): Promise<{ id: number; resource: string }[]> {
    const rows = (await this.knex("requests")
      .where({ status: "approved", kind: "command" })
      .whereNotNull("pr_number")
      .whereNotNull("head_sha")
      .andWhere((query) => query.whereNull("not_before").orWhere("not_before", "<=", now))
      .orderBy("id")
      .limit(limit)
      .select("id", "resource")) as { id: number | string; resource: string }[];
    return rows.map((row) => ({ id: Number(row.id), resource: row.resource }));
  }

  /** `/schedule` (issue 17): see scheduleRequest in request-schedule.ts. */
  async schedule(
    id: number,
    at: Date,
    actor: string,
    detail: string,
  ): Promise<ScheduleResult | null> {
    return scheduleRequest(this.knex, id, at, actor, detail);
  }

  /**
   * Extends a running request's lease by `leaseMs` from now (the database's clock: one
   * clock for every worker). False when the lease is no longer this worker's, or the
   * request is no longer running (the sweeper declared it `unknown`).
   */
  async renewLease(id: number, owner: string, leaseMs: number): Promise<boolean> {
    const count = await this.knex("requests")
      .where({ id, status: "running", lease_owner: owner })
      .update({
        lease_expires_at: this.knex.raw("now() + ? * interval '1 millisecond'", [leaseMs]),
        updated_at: this.knex.fn.now(),
      });
    return Number(count) === 1;
  }

  /**
   * Asks the worker running a request to stop it: recorded once, only while it runs. The
   * worker polls `cancelRequestedBy` and aborts the command.
   */
  async requestCancel(id: number, actor: string): Promise<boolean> {
    const count = await this.knex("requests")
      .where({ id, status: "running" })
      .whereNull("cancel_requested_by")
      .update({ cancel_requested_by: actor, updated_at: this.knex.fn.now() });
    return Number(count) === 1;
  }

  /** Who asked to stop this running request, or null. */
  async cancelRequestedBy(id: number): Promise<string | null> {
    const row = (await this.knex("requests").where({ id }).first("cancel_requested_by")) as
      { cancel_requested_by: string | null } | undefined;
    return row?.cancel_requested_by ?? null;
  }

  /** Running requests whose lease has expired by the database's clock (their worker died). */
  async findLeaseExpired(limit = 100): Promise<RequestRecord[]> {
    const rows = (await this.knex("requests")
      .where({ status: "running" })
      .whereRaw("lease_expires_at < now()")
      .orderBy("id")
      .limit(limit)) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Patches a running request only while `owner` holds its lease: the worker records that it
   * is about to execute, and executes only if this succeeds, so a worker that lost its
   * lease (another worker may have the request by now) never starts the command.
   */
  async patchIfLeased(id: number, owner: string, patch: RequestPatch): Promise<boolean> {
    const count = await this.knex("requests")
      .where({ id, status: "running", lease_owner: owner })
      .whereRaw("lease_expires_at > now()")
      .update({ ...toRow(patch), updated_at: this.knex.fn.now() });
    return Number(count) === 1;
  }
}
