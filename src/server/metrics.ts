/**
 * Prometheus metrics (`/metrics`, prom-client). Events are counted where they happen through
 * small observer callbacks the runner, the executor and the app take, so those modules do
 * not import this one; what the store knows (requests by state, the job queue) is read when
 * Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";

export interface MetricsSources {
  store: RequestStore;
  jobs: JobQueue;
}

export class Metrics {
  readonly registry = new Registry();

  private readonly webhookSeconds = new Histogram({
    name: "countersign_webhook_duration_seconds",
    help: "Time to handle a webhook delivery, by event",
    labelNames: ["event"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly jobFailures = new Counter({
    name: "countersign_job_failures_total",
    help: "Job attempts that failed, by kind and whether the job gave up for good",
    labelNames: ["kind", "final"],
    registers: [this.registry],
  });

  private readonly jobsGaveUp = new Counter({
    name: "countersign_jobs_gave_up_total",
    help: "Jobs that gave up for good (their request is labelled countersign:stuck), by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  private readonly executions = new Counter({
    name: "countersign_executions_total",
    help: "Requests the worker finished, by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });

  private readonly executionSeconds = new Histogram({
    name: "countersign_execution_duration_seconds",
    help: "Time from claim to the end of an execution",
    labelNames: ["outcome"],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [this.registry],
  });

  private readonly githubCalls = new Counter({
    name: "countersign_github_requests_total",
    help: "GitHub API requests, by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });

  private readonly rateLimitRemaining = new Gauge({
    name: "countersign_github_rate_limit_remaining",
    help: "x-ratelimit-remaining of the latest GitHub answer",
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    for (const [name, help, only] of [
      ["countersign_requests", "Requests by status", {}],
      [
        "countersign_break_glass_requests",
        "Requests made with --break-glass, by status",
        { breakGlass: true },
      ],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ["status"],
        registers,
        async collect() {
          this.reset();
          const counts = await sources.store.countByStatus(only);
          for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
        },
      });
    }
    let queue: Promise<{ depth: number; oldestDueAgeSeconds: number }> | null = null;
    // One query serves both queue gauges of a scrape.
    const queueStats = () => (queue ??= sources.jobs.stats().finally(() => (queue = null)));
    new Gauge({
      name: "countersign_job_queue_depth",
      help: "Jobs not yet done",
      registers,
      async collect() {
        this.set((await queueStats()).depth);
      },
    });
    new Gauge({
      name: "countersign_job_oldest_due_age_seconds",
      help: "How long the oldest due job has waited",
      registers,
      async collect() {
        this.set((await queueStats()).oldestDueAgeSeconds);
      },
    });
  }

  webhookHandled(event: string, seconds: number): void {
    this.webhookSeconds.observe({ event }, seconds);
  }

  jobFailed(kind: string, final: boolean): void {
    this.jobFailures.inc({ kind, final: String(final) });
    if (final) this.jobsGaveUp.inc({ kind });
  }

  executionEnded(outcome: string, seconds: number): void {
    this.executions.inc({ outcome });
    this.executionSeconds.observe({ outcome }, seconds);
  }

  githubAnswered(method: string, route: string, status: number, remaining?: string): void {
    this.githubCalls.inc({ method, route, status: String(status) });
    const left = Number(remaining);
    if (remaining !== undefined && Number.isFinite(left)) this.rateLimitRemaining.set(left);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
