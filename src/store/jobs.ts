/**
 * A durable job queue in the app's own database. Webhook handlers record what must happen
 * and answer GitHub at once; the GitHub writes (which Octokit spaces ~1 s apart) run here.
 * Claims use `FOR UPDATE SKIP LOCKED`, so several replicas share the queue without a
 * protocol of their own; a claim is a lease, so a crashed replica's job is picked up again.
 */
import type { Knex } from "knex";
import { checkJob, type AnyJobSpec } from "./job-kinds.js";

export type NewJob = AnyJobSpec & {
  installationId: number;
  requestId?: number | null;
  /** The webhook delivery that caused it (null for sweeps), named on its log lines. */
  deliveryId?: string | null;
  /** Unique: enqueueing the same key twice keeps the first job (idempotent webhooks). */
  dedupeKey?: string;
  runAfter?: Date;
};

/** A claimed job as stored; `checkJob` (job-kinds.ts) turns it into a typed one. */
export interface Job {
  id: number;
  kind: string;
  installationId: number;
  requestId: number | null;
  deliveryId: string | null;
  payload: unknown;
  attempts: number;
}

type Row = Record<string, unknown>;

function fromRow(row: Row): Job {
  return {
    id: Number(row.id),
    kind: String(row.kind),
    installationId: Number(row.installation_id),
    requestId: row.request_id === null ? null : Number(row.request_id),
    deliveryId:
      row.delivery_id === null || row.delivery_id === undefined ? null : String(row.delivery_id),
    payload: JSON.parse(String(row.payload)) as unknown,
    attempts: Number(row.attempts),
  };
}

export class JobQueue {
  constructor(private readonly knex: Knex) {}

  /** Returns false when a job with the same dedupe key already exists. */
  async enqueue(job: NewJob, trx: Knex = this.knex): Promise<boolean> {
    // A payload that does not fit its kind is a bug here, not a job to fail later.
    checkJob(job.kind, job.payload);
    const inserted = await trx("jobs")
      .insert({
        kind: job.kind,
        installation_id: job.installationId,
        request_id: job.requestId ?? null,
        delivery_id: job.deliveryId ?? null,
        payload: JSON.stringify(job.payload),
        dedupe_key: job.dedupeKey ?? null,
        run_after: job.runAfter ?? trx.fn.now(),
      })
      .onConflict("dedupe_key")
      .ignore()
      .returning("id");
    return inserted.length > 0;
  }

  /**
   * Claims the next runnable job for `leaseMs`; null when there is none. Times come from the
   * database's clock (one clock for every replica) unless a test passes `now`.
   */
  async claim(workerId: string, leaseMs: number, now?: Date): Promise<Job | null> {
    return this.knex.transaction(async (trx) => {
      const current = now ?? trx.raw("now()");
      const row = (await trx("jobs")
        .whereNull("done_at")
        .andWhere("run_after", "<=", current)
        .andWhere((query) => query.whereNull("locked_until").orWhere("locked_until", "<", current))
        .orderBy("id")
        .forUpdate()
        .skipLocked()
        .first()) as Row | undefined;
      if (row === undefined) return null;
      await trx("jobs")
        .where({ id: row.id })
        .update({
          locked_by: workerId,
          locked_until:
            now === undefined
              ? trx.raw("now() + ? * interval '1 millisecond'", [leaseMs])
              : new Date(now.getTime() + leaseMs),
          attempts: Number(row.attempts) + 1,
        });
      return fromRow({ ...row, attempts: Number(row.attempts) + 1 });
    });
  }

  async complete(jobId: number): Promise<void> {
    await this.knex("jobs").where({ id: jobId }).update({
      done_at: this.knex.fn.now(),
      locked_by: null,
      locked_until: null,
      last_error: null,
    });
  }

  /** Schedules a retry after `retryInMs`, or gives up (done, with the error kept) when null. */
  async fail(jobId: number, error: string, retryInMs: number | null): Promise<void> {
    await this.knex("jobs")
      .where({ id: jobId })
      .update({
        last_error: error.slice(0, 4000),
        locked_by: null,
        locked_until: null,
        ...(retryInMs === null
          ? { done_at: this.knex.fn.now() }
          : { run_after: this.knex.raw("now() + ? * interval '1 millisecond'", [retryInMs]) }),
      });
  }

  /** Whether a job of `kind` for `requestId` is waiting or running. */
  async hasPending(requestId: number, kind: string): Promise<boolean> {
    const row = (await this.knex("jobs")
      .where({ request_id: requestId, kind })
      .whereNull("done_at")
      .first("id")) as { id: number } | undefined;
    return row !== undefined;
  }

  /** Jobs not yet done (tests and health checks). */
  async pendingCount(): Promise<number> {
    const row = (await this.knex("jobs").whereNull("done_at").count({ n: "*" }).first()) as
      { n: string | number } | undefined;
    return Number(row?.n ?? 0);
  }

  /**
   * Queue health for /readyz and /metrics: jobs not done, and how long the oldest one that
   * is due has waited (0 when none is due). A due job waiting for minutes means no runner
   * is taking jobs.
   */
  async stats(): Promise<{ depth: number; oldestDueAgeSeconds: number }> {
    const row = (await this.knex("jobs")
      .whereNull("done_at")
      .select(
        this.knex.raw("count(*) as depth"),
        this.knex.raw(
          "coalesce(extract(epoch from now() - min(run_after) filter (where run_after <= now())), 0) as oldest",
        ),
      )
      .first()) as { depth: string | number; oldest: string | number } | undefined;
    return { depth: Number(row?.depth ?? 0), oldestDueAgeSeconds: Number(row?.oldest ?? 0) };
  }

  async failedJobs(): Promise<{ kind: string; lastError: string }[]> {
    const rows = (await this.knex("jobs")
      .whereNotNull("done_at")
      .whereNotNull("last_error")
      .select("kind", "last_error")) as Row[];
    return rows.map((row) => ({ kind: String(row.kind), lastError: String(row.last_error) }));
  }
}
