/**
 * The execution worker (DESIGN §1.5, "Storage and scale"). Runs inside the app process by
 * default, or alone (`npm run worker`) against the same DATABASE_URL; any number of them.
 *
 * - Claim: `transition(id, "approved", "running")` with this worker's lease: a
 *   compare-and-set, so of several workers exactly one wins a request.
 * - Lease: renewed every third of its length while the request is in hand. A renewal that
 *   finds the lease gone (the sweeper declared the request `unknown`) aborts the command.
 * - Wake-ups: LISTEN/NOTIFY on a shared PostgreSQL; polling always, as the fallback (and the
 *   only way on the embedded store). Each poll also sweeps expired leases.
 * - Stop: no new claims; running commands get until the deadline, then are aborted (the
 *   engine rolls back and the request is recorded `failed`).
 */
import type { ServerConfig } from "../policy/server-config.js";
import { randomUUID } from "node:crypto";
import type { GitHub } from "../github/client.js";
import type { CheckCommand } from "../requests/command-check.js";
import { listenForApproved, type Listener } from "../store/approved-listener.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import {
  DEFAULT_LIMITS,
  type ExecutionEnd,
  type ExecutionLimits,
  type Logger,
  CancelRequested,
} from "./execution-context.js";
import { executeRequest } from "./execute-request.js";
import { claim } from "../lifecycle/moves.js";
import { sweepExpiredLeases } from "./lease-sweeper.js";

export interface ExecutorDeps {
  store: RequestStore;
  /** Publications of outcomes are queued here; the job runner makes the GitHub writes. */
  jobs: JobQueue;
  teams: TeamCache;
  checkCommand: CheckCommand;
  env: NodeJS.ProcessEnv;
  /** The server file: re-read per execution through this object, never from a repository. */
  serverConfig: ServerConfig;
  log: Logger;
  githubFor(installationId: number): Promise<GitHub>;
  /** Starts LISTENing (shared PostgreSQL only); called by `start`. */
  listen?: (wake: () => void) => Listener;
  now?: () => Date;
}

export interface ExecutorOptions {
  workerId?: string;
  /** How long a claim stays valid without renewal. */
  leaseMs?: number;
  /** Poll (and sweep) interval; NOTIFY makes claims faster than this. */
  pollMs?: number;
  /** How often a running command's request is checked for a /cancel. */
  cancelPollMs?: number;
  /** Commands run at once by this worker. */
  concurrency?: number;
  limits?: Partial<ExecutionLimits>;
  /** Told of every claimed request's end (metrics): its final status and seconds since claim. */
  onExecutionEnd?: (status: string, seconds: number) => void;
}

export interface StopResult {
  /** Executions aborted because they outlived the deadline. */
  aborted: number;
  /** Executions still unfinished after the abort grace (their leases will expire). */
  abandoned: number;
}

/** After aborting, how long to wait for the engines to roll back and report. */
const ABORT_GRACE_MS = 5_000;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class Executor {
  readonly workerId: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly cancelPollMs: number;
  private readonly concurrency: number;
  private readonly limits: ExecutionLimits;
  private readonly inFlight = new Map<number, { promise: Promise<void>; abort: AbortController }>();
  private stopping = false;
  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private listener: Listener | null = null;
  private ticking: Promise<void> | null = null;
  private wakeRequested = false;

  private readonly onExecutionEnd: ExecutorOptions["onExecutionEnd"];

  constructor(
    private readonly deps: ExecutorDeps,
    options: ExecutorOptions = {},
  ) {
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.cancelPollMs = options.cancelPollMs ?? 1_000;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.onExecutionEnd = options.onExecutionEnd;
  }

  /** Claims one approved request; null when there is none (or another worker was faster). */
  async claim(): Promise<number | null> {
    const [id] = await this.claimUpTo(1);
    return id ?? null;
  }

  /**
   * Claims up to `slots` approved requests. Each claim is its own compare-and-set (and the
   * per-resource slot count its own advisory lock), so the claims of one round go out in
   * parallel: the twentieth request of a queue does not wait for nineteen claims in turn.
   * Candidates are tried `slots` at a time, so a round never holds more than `slots`; each
   * won claim is handed to `onClaimed` at once rather than at the end of its round.
   */
  private async claimUpTo(slots: number, onClaimed?: (id: number) => void): Promise<number[]> {
    const now = this.deps.now?.() ?? new Date();
    const candidates = (await this.deps.store.findClaimable(Math.max(10, slots), now)).filter(
      ({ id }) => !this.inFlight.has(id),
    );
    const claimed: number[] = [];
    for (let at = 0; at < candidates.length && claimed.length < slots;) {
      const round = candidates.slice(at, at + slots - claimed.length);
      at += round.length;
      const won = await Promise.all(
        round.map(async (candidate) => {
          const id = await this.claimCandidate(candidate);
          if (id !== null) onClaimed?.(id);
          return id;
        }),
      );
      claimed.push(...won.filter((id): id is number => id !== null));
    }
    return claimed;
  }

  private async claimCandidate({ id, resource }: { id: number; resource: string }) {
    const now = this.deps.now?.() ?? new Date();
    // A resource the server no longer declares still gets one slot: the re-check refuses it.
    const concurrency = this.deps.serverConfig.resources[resource]?.concurrency ?? 1;
    const claimed = await claim(
      this.deps.store,
      { id, resource, concurrency },
      this.workerId,
      this.leaseMs,
      now,
    );
    if (!claimed.ok) return null;
    // The lease by the database's clock from now on (one clock for every worker).
    await this.deps.store.renewLease(id, this.workerId, this.leaseMs);
    return id;
  }

  /** Claims and runs one request to the end (tests and `drain`); its id, or null. */
  async runOnce(): Promise<number | null> {
    if (this.stopping) return null;
    const id = await this.claim();
    if (id === null) return null;
    await this.track(id);
    return id;
  }

  /** Runs claimable requests one after another until none is left. */
  async drain(): Promise<number[]> {
    const ids: number[] = [];
    for (let id = await this.runOnce(); id !== null; id = await this.runOnce()) ids.push(id);
    return ids;
  }

  /** Declares expired leases (their workers died): see lease-sweeper.ts. */
  sweep(): Promise<number> {
    return sweepExpiredLeases({
      store: this.deps.store,
      jobs: this.deps.jobs,
      env: this.deps.env,
      log: this.deps.log,
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    if (this.deps.listen) this.listener = this.deps.listen(() => this.wake());
    this.deps.log.info(
      { workerId: this.workerId, listen: this.deps.listen !== undefined, pollMs: this.pollMs },
      "execution worker started",
    );
    this.wake();
  }

  /** A NOTIFY arrived or a slot freed up: look for work now rather than at the next poll. */
  wake(): void {
    if (this.stopping || !this.started) return;
    if (this.ticking !== null) {
      this.wakeRequested = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
      if (this.stopping) return;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.pollMs);
      }
    });
  }

  private async tick(): Promise<void> {
    try {
      await this.sweep();
      while (!this.stopping && this.inFlight.size < this.concurrency) {
        const ids = await this.claimUpTo(this.concurrency - this.inFlight.size, (id) => {
          void this.track(id).finally(() => this.wake());
        });
        if (ids.length === 0) break;
      }
    } catch (error) {
      this.deps.log.error({ workerId: this.workerId, err: errorText(error) }, "worker loop failed");
    }
  }

  /** Runs a claimed request with its lease renewed; never throws. */
  private track(id: number): Promise<void> {
    const abort = new AbortController();
    // A renewal that was already under way when the run ended finds the lease released by
    // the final state change: that is the normal end, not a lost lease.
    let finished = false;
    const stopWatching = this.watch(id, abort, () => finished);
    const claimedAt = performance.now();
    const promise = this.run(id, abort.signal)
      .then((end) => {
        finished = true;
        this.deps.log.info({ requestId: id, ...end }, "request done");
        this.onExecutionEnd?.(end.status, (performance.now() - claimedAt) / 1000);
      })
      .catch((error: unknown) => {
        finished = true;
        this.deps.log.error({ requestId: id, err: errorText(error) }, "execution failed");
      })
      .finally(() => {
        stopWatching();
        this.inFlight.delete(id);
      });
    this.inFlight.set(id, { promise, abort });
    return promise;
  }

  /** Renews the lease, and watches for a /cancel; either may abort the command. */
  private watch(id: number, abort: AbortController, finished: () => boolean): () => void {
    const renewEvery = Math.max(50, Math.floor(this.leaseMs / 3));
    const renew = setInterval(() => void this.renewOrAbort(id, abort, finished), renewEvery);
    const cancel = setInterval(() => {
      if (abort.signal.aborted || finished()) return;
      void this.deps.store.cancelRequestedBy(id).then(
        (actor) => {
          if (actor === null || abort.signal.aborted || finished()) return;
          this.deps.log.info({ requestId: id, actor }, "cancel requested: stopping the command");
          abort.abort(new CancelRequested(actor));
        },
        () => undefined, // the next poll tries again; the lease decides if the store is gone
      );
    }, this.cancelPollMs);
    return () => {
      clearInterval(renew);
      clearInterval(cancel);
    };
  }

  private async renewOrAbort(id: number, abort: AbortController, finished: () => boolean) {
    try {
      const held = await this.deps.store.renewLease(id, this.workerId, this.leaseMs);
      if (held || abort.signal.aborted || finished()) return;
      // The final state change releases the lease while the outcome is still being
      // published: that is a normal end. But `unknown` is what the lease sweeper declares
      // when it took the lease away: then stop at once (harmless if we had finished).
      const status = (await this.deps.store.get(id))?.status;
      if (status !== "running" && status !== "unknown") return;
      this.deps.log.error({ requestId: id }, "lease lost while running: aborting");
      abort.abort(new Error("the worker lost its lease"));
    } catch (error) {
      // The database is unreachable: keep going; the next renewal may work, and if the
      // lease runs out meanwhile the request is declared unknown, never run twice.
      this.deps.log.warn({ requestId: id, err: errorText(error) }, "lease renewal failed");
    }
  }

  private async run(id: number, signal: AbortSignal): Promise<ExecutionEnd> {
    const request = await this.deps.store.get(id);
    if (request === null || request.status !== "running") {
      return { executed: false, status: "lost" };
    }
    const github = await this.deps.githubFor(request.installationId);
    return executeRequest(
      {
        store: this.deps.store,
        jobs: this.deps.jobs,
        teams: this.deps.teams,
        checkCommand: this.deps.checkCommand,
        env: this.deps.env,
        serverConfig: this.deps.serverConfig,
        log: this.deps.log,
        limits: this.limits,
        now: this.deps.now ?? (() => new Date()),
      },
      github,
      request,
      {
        workerId: this.workerId,
        signal,
        renewLease: () => this.deps.store.renewLease(id, this.workerId, this.leaseMs),
      },
    );
  }

  /** Stops claiming; waits up to `deadlineMs` for running commands, then aborts them. */
  async stop(deadlineMs = 30_000): Promise<StopResult> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.listener = null;
    await this.ticking;
    const all = () => Promise.all([...this.inFlight.values()].map((entry) => entry.promise));
    const within = (ms: number) =>
      Promise.race([
        all().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
      ]);
    let aborted = 0;
    if (!(await within(deadlineMs))) {
      for (const entry of this.inFlight.values()) {
        aborted += 1;
        entry.abort.abort(new Error("the worker was shutting down"));
      }
      await within(ABORT_GRACE_MS);
    }
    const abandoned = this.inFlight.size;
    this.started = false;
    this.deps.log.info({ workerId: this.workerId, aborted, abandoned }, "execution worker stopped");
    return { aborted, abandoned };
  }
}

/** Worker settings from the environment (both entry points read the same variables). */
export function executorOptionsFromEnv(env: NodeJS.ProcessEnv): ExecutorOptions {
  const number = (name: string): number | undefined => {
    const value = env[name];
    if (value === undefined || value.trim() === "") return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`${name} must be a positive number`);
    return parsed;
  };
  const limits: Partial<ExecutionLimits> = {};
  const statement = number("COUNTERSIGN_STATEMENT_TIMEOUT_MS");
  const lock = number("COUNTERSIGN_LOCK_TIMEOUT_MS");
  if (statement !== undefined) limits.statementTimeoutMs = statement;
  if (lock !== undefined) limits.lockTimeoutMs = lock;
  const options: ExecutorOptions = { limits };
  const lease = number("COUNTERSIGN_LEASE_MS");
  const poll = number("COUNTERSIGN_POLL_MS");
  const concurrency = number("COUNTERSIGN_WORKER_CONCURRENCY");
  if (lease !== undefined) options.leaseMs = lease;
  if (poll !== undefined) options.pollMs = poll;
  if (concurrency !== undefined) options.concurrency = Math.floor(concurrency);
  if (env.COUNTERSIGN_WORKER_ID) options.workerId = env.COUNTERSIGN_WORKER_ID;
  return options;
}

/**
 * The executor of a process: LISTEN/NOTIFY when the store is a shared PostgreSQL (`url`),
 * polling only on the embedded store.
 */
export function createExecutor(
  deps: Omit<ExecutorDeps, "listen">,
  database: { url: string | undefined; shared: boolean },
  options: ExecutorOptions,
): Executor {
  const url = database.url;
  const listen =
    database.shared && url !== undefined
      ? (wake: () => void) => listenForApproved(url, () => wake(), deps.log)
      : undefined;
  return new Executor({ ...deps, ...(listen === undefined ? {} : { listen }) }, options);
}
