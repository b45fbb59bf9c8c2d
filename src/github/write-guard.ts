/**
 * The one door every content-creating GitHub call of a job or an execution goes through
 * (DESIGN §3 "GitHub API budget"): an Octokit request hook, added to each installation
 * client by the `githubFor` of the app and the worker.
 *
 * - A write takes a token from the installation's budget in the store, shared by every
 *   replica and worker (store/write-budget.ts); a short wait is slept, a long one fails the
 *   job with the wait so the runner reschedules it.
 * - Octokit never resends a write (its retry plugin would repeat a comment GitHub applied
 *   before answering 502); the job retries, and looks first (idempotent.ts).
 * - A rate-limit answer (secondary: 403/429 with `retry-after`; primary: remaining 0 until
 *   the reset) pauses the installation's writes in the store, so every replica pauses.
 *
 * Content-creating: POST, PUT, PATCH and DELETE on REST, and GraphQL mutations; GraphQL
 * queries and the installation-token exchange are reads.
 */
import type { GitHub } from "./client.js";
import { currentWriteAttempt } from "./idempotent.js";
import { graphqlRateLimited, rateLimitWait, RetryLater } from "./rate-limits.js";

/** What the store offers (store/write-budget.ts); an interface so this door imports no store. */
export interface WriteBudgetPort {
  /**
   * Reserves one write: granted with the wait before it may be sent, or not granted with the
   * wait until it could be (writes paused, or a wait longer than `maxWaitMs`).
   */
  take(installationId: number, maxWaitMs: number): Promise<{ granted: boolean; waitMs: number }>;
  /** No write of the installation before `forMs` from now (GitHub asked). */
  pause(installationId: number, forMs: number): Promise<void>;
}

export interface WriteGuardOptions {
  /** The longest wait slept for one write; a longer one reschedules the job (default 30 s). */
  maxWaitMs?: number;
  /**
   * The most one job attempt sleeps for the budget in all (default 60 s): well inside its
   * lease (120 s), so no other runner takes the job while it waits.
   */
  maxWaitPerAttemptMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: { warn(object: object, message: string): void };
}

export const DEFAULT_MAX_WRITE_WAIT_MS = 30_000;
export const DEFAULT_MAX_WAIT_PER_ATTEMPT_MS = 60_000;

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const pathOf = (url: string): string => new URL(url, "http://github.invalid").pathname;

function isGraphql(url: string): boolean {
  return /\/graphql$/.test(pathOf(url));
}

/** A GraphQL document whose operation is a mutation (comments before it allowed). */
function isMutation(query: unknown): boolean {
  return typeof query === "string" && /^(\s|#[^\n]*\n)*mutation\b/.test(query);
}

export function isContentCreating(options: {
  method: string;
  url: string;
  query?: unknown;
}): boolean {
  if (!WRITE_METHODS.has(options.method.toUpperCase())) return false;
  if (/\/access_tokens$/.test(pathOf(options.url))) return false;
  return isGraphql(options.url) ? isMutation(options.query) : true;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for a token of the installation's budget, or fails with the wait when too long. */
async function takeToken(
  budget: WriteBudgetPort,
  installationId: number,
  limits: { maxWaitMs: number; maxWaitPerAttemptMs: number },
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const attempt = currentWriteAttempt();
  // A pause GitHub asked for may be renewed while we sleep it out: a few rounds at most.
  for (let round = 0; round < 3; round += 1) {
    const allowance = Math.min(
      limits.maxWaitMs,
      limits.maxWaitPerAttemptMs - (attempt?.waitedMs ?? 0),
    );
    const taken = await budget.take(installationId, Math.max(0, allowance));
    if (taken.waitMs > allowance) {
      throw new RetryLater(
        `the GitHub write budget of installation ${installationId} is spent: next write in ${Math.ceil(taken.waitMs / 1000)} s`,
        taken.waitMs,
        "budget",
      );
    }
    if (taken.waitMs > 0) await sleep(taken.waitMs);
    if (attempt !== undefined) attempt.waitedMs += taken.waitMs;
    if (taken.granted) return;
  }
  throw new RetryLater(
    `the GitHub writes of installation ${installationId} stay paused`,
    limits.maxWaitMs,
    "budget",
  );
}

/** Returns `(github, installationId) => github` with the budget hook added. */
export function writeGuard(budget: WriteBudgetPort, options: WriteGuardOptions = {}) {
  const limits = {
    maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WRITE_WAIT_MS,
    maxWaitPerAttemptMs: options.maxWaitPerAttemptMs ?? DEFAULT_MAX_WAIT_PER_ATTEMPT_MS,
  };
  const sleep = options.sleep ?? realSleep;
  return (github: GitHub, installationId: number): GitHub => {
    github.hook.wrap("request", async (request, requestOptions) => {
      if (isContentCreating(requestOptions)) {
        // Assigned, not mutated: `request` may be the client's shared defaults object.
        requestOptions.request = { ...requestOptions.request, retries: 0 };
        await takeToken(budget, installationId, limits, sleep);
      }
      try {
        const response = await request(requestOptions);
        const limited = isGraphql(requestOptions.url) ? graphqlRateLimited(response) : null;
        if (limited !== null) throw limited;
        return response;
      } catch (error) {
        const wait = rateLimitWait(error);
        if (wait !== null) {
          options.log?.warn(
            { installationId, waitMs: wait.waitMs, limit: wait.kind },
            "GitHub rate limit: this installation's writes pause",
          );
          // The answer stands even if the store cannot take the pause right now.
          await budget.pause(installationId, wait.waitMs).catch((pauseError: unknown) => {
            options.log?.warn(
              { installationId, err: String(pauseError) },
              "could not store the pause",
            );
          });
        }
        throw error;
      }
    });
    return github;
  };
}

/**
 * Octokit defaults for clients whose writes go through this guard: Probot's throttling
 * plugin off. It spaces writes a second apart within one process only (no bound across
 * replicas), its queue would sit between our token and the wire, and it waits out a primary
 * limit inside the job (up to an hour) while the job's lease runs out; the budget in the
 * store and the job runner's retries do all three jobs instead.
 */
export function withoutProcessThrottle(options: Record<string, unknown>): Record<string, unknown> {
  const throttle = (options.throttle ?? {}) as Record<string, unknown>;
  return { ...options, throttle: { ...throttle, enabled: false } };
}
