/**
 * Runs queued jobs (GitHub writes and other slow work) outside the webhook's 10-second
 * window. Any replica may run any job: claims are leases on rows (see store/jobs.ts).
 *
 * A failed job is retried with exponential backoff, never sooner than GitHub (or the
 * installation's write budget) asked: `retry-after`, or the primary limit's reset. From its
 * second attempt on, a job's writes look before writing again (github/idempotent.ts). A job
 * that gives up for good is reported (`onGaveUp`), so its request shows it.
 */
import { randomUUID } from "node:crypto";
import type { GitHub } from "../github/client.js";
import { httpStatus } from "../github/client.js";
import { withWriteAttempt } from "../github/idempotent.js";
import { rateLimitWait } from "../github/rate-limits.js";
import { checkJob, JOB_KINDS, type AnyJobSpec } from "../store/job-kinds.js";
import type { Job, JobQueue } from "../store/jobs.js";
import type { JobHandlers, TypedJob } from "./handlers.js";
import { jobLogger, withJobLog, type Logger } from "./job-log.js";

export interface JobRunnerOptions {
  leaseMs?: number;
  pollMs?: number;
  maxAttempts?: number;
  /**
   * Attempts beyond `maxAttempts` for a job that failed only because GitHub (or the write
   * budget) asked it to wait: waiting is not a fault of the job (default 10).
   */
  extraWaitAttempts?: number;
  /** Told of every failed attempt (metrics); `final` when the job gave up for good. */
  onJobFailed?: (kind: string, final: boolean) => void;
  /** Told once when a job gives up for good, so its request shows it (requests/job-gave-up.ts). */
  onGaveUp?: (job: Job, reason: string) => Promise<void>;
}

/** A job whose stored form does not fit its kind: retrying cannot help. */
class UnfitJob extends Error {}

/** Client errors other than rate limits will not get better by retrying. */
function isPermanent(error: unknown): boolean {
  const status = httpStatus(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 403 && status !== 429;
}

/** Exponential backoff from 5 s to 10 min, and never before the wait GitHub asked for. */
function retryDelay(attempts: number, waitMs: number): number {
  return Math.max(Math.min(5_000 * 2 ** (attempts - 1), 600_000), Math.ceil(waitMs));
}

export class JobRunner {
  private readonly log: Logger;
  readonly workerId = `jobs-${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: JobHandlers,
    private readonly githubFor: (installationId: number) => Promise<GitHub>,
    log: Logger,
    private readonly options: JobRunnerOptions = {},
  ) {
    this.log = jobLogger(log);
  }

  /** Claims and runs one job; false when none was ready. */
  async runOnce(): Promise<boolean> {
    const job = await this.queue.claim(this.workerId, this.options.leaseMs ?? 120_000);
    if (job === null) return false;
    const context = {
      jobId: job.id,
      kind: job.kind,
      requestId: job.requestId,
      deliveryId: job.deliveryId,
    };
    await withJobLog(context, () => this.runClaimed(job));
    return true;
  }

  private async runClaimed(job: Job): Promise<void> {
    try {
      const attempt = { origin: `job-${job.id}`, retry: job.attempts > 1, waitedMs: 0 };
      await withWriteAttempt(attempt, () => this.dispatch(job));
      await this.queue.complete(job.id);
    } catch (error) {
      await this.failed(job, error);
    }
  }

  private async failed(job: Job, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const wait = error instanceof UnfitJob ? null : rateLimitWait(error);
    const maxAttempts = this.options.maxAttempts ?? 6;
    const allowed =
      wait === null ? maxAttempts : maxAttempts + (this.options.extraWaitAttempts ?? 10);
    const giveUp = error instanceof UnfitJob || isPermanent(error) || job.attempts >= allowed;
    const retryInMs = giveUp ? null : retryDelay(job.attempts, wait?.waitMs ?? 0);
    this.log[giveUp ? "error" : "warn"](
      {
        attempts: job.attempts,
        err: message,
        ...(wait === null ? {} : { waitMs: wait.waitMs, limit: wait.kind }),
      },
      giveUp ? "job failed for good" : "job failed; will retry",
    );
    await this.queue.fail(job.id, message, retryInMs);
    this.options.onJobFailed?.(job.kind, giveUp);
    if (giveUp) await this.reportGaveUp(job, message);
  }

  private async reportGaveUp(job: Job, reason: string): Promise<void> {
    try {
      await this.options.onGaveUp?.(job, reason);
    } catch (error) {
      this.log.error({ err: String(error) }, "could not mark the request of a failed job");
    }
  }

  /** The job as its kind says it must be, to its handler; an unfit job is never retried. */
  private async dispatch(job: Job): Promise<void> {
    let spec: AnyJobSpec;
    try {
      spec = checkJob(job.kind, job.payload);
    } catch (error) {
      throw new UnfitJob(error instanceof Error ? error.message : String(error));
    }
    if (JOB_KINDS[spec.kind].request && job.requestId === null) {
      throw new UnfitJob(`job ${job.kind} ${job.id} names no request`);
    }
    const typed = { ...spec, requestId: job.requestId ?? 0, attempts: job.attempts };
    // TypeScript cannot tie `handlers[kind]` to the payload of the same `kind` in a union;
    // checkJob made sure they belong together.
    const handler = this.handlers[spec.kind] as (
      job: TypedJob<typeof spec.kind>,
      github: GitHub,
    ) => Promise<void>;
    await handler(typed as TypedJob<typeof spec.kind>, await this.githubFor(job.installationId));
  }

  /** Runs jobs until none is ready (tests, and each poll tick). */
  async drain(): Promise<number> {
    let count = 0;
    while (!this.stopped && (await this.runOnce())) count += 1;
    return count;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.drain()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.log.error({ err: String(error) }, "job loop failed");
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs ?? 1_000);
        });
    };
    tick();
  }

  /** Stops claiming and waits for the job in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
