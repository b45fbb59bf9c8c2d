/**
 * How long GitHub (or the installation's write budget) asks us to wait. GitHub answers a
 * secondary rate limit with 403 or 429 and `retry-after` (seconds), or only a message
 * saying so (then wait at least a minute); a spent primary limit with
 * `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); GraphQL reports a
 * spent limit as an error of type RATE_LIMITED in a 200 answer.
 */

/** A call that must not happen before `retryAfterMs`: the job is retried after the wait. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    readonly kind: "budget" | "secondary" | "primary",
  ) {
    super(message);
    this.name = "RetryLater";
  }
}

/** Without `retry-after`, GitHub asks to wait at least a minute after a secondary limit. */
const SECONDARY_FALLBACK_MS = 60_000;

type Headers = Record<string, string | number | undefined>;

function answerOf(error: unknown): { status?: number; headers: Headers; message: string } | null {
  if (typeof error !== "object" || error === null) return null;
  const failure = error as {
    status?: unknown;
    response?: { headers?: Headers; data?: unknown };
    message?: unknown;
  };
  const data = failure.response?.data as { message?: unknown } | undefined;
  return {
    status: typeof failure.status === "number" ? failure.status : undefined,
    headers: failure.response?.headers ?? {},
    message: `${String(failure.message ?? "")} ${String(data?.message ?? "")}`,
  };
}

/** `retry-after` in seconds or as an HTTP date; null when absent or unreadable. */
function retryAfterHeader(value: string | number | undefined, nowMs: number): number | null {
  if (value === undefined || value === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** The wait until a primary limit resets, one second past the reset as GitHub advises. */
export function primaryResetWait(headers: Headers, nowMs: number): number | null {
  if (String(headers["x-ratelimit-remaining"]) !== "0") return null;
  const reset = Number(headers["x-ratelimit-reset"]);
  if (!Number.isFinite(reset)) return SECONDARY_FALLBACK_MS;
  return Math.max(1_000, reset * 1000 - nowMs + 1_000);
}

/**
 * The wait a rate-limit answer (or our own budget) asks for, and which limit it was; null
 * for any other failure (a 403 for a missing permission, a 5xx, a refusal).
 */
export function rateLimitWait(
  error: unknown,
  nowMs = Date.now(),
): { waitMs: number; kind: RetryLater["kind"] } | null {
  if (error instanceof RetryLater) return { waitMs: error.retryAfterMs, kind: error.kind };
  const answer = answerOf(error);
  if (answer === null || (answer.status !== 403 && answer.status !== 429)) return null;
  const primary = primaryResetWait(answer.headers, nowMs);
  const retryAfter = retryAfterHeader(answer.headers["retry-after"], nowMs);
  if (retryAfter !== null) return { waitMs: retryAfter, kind: "secondary" };
  if (primary !== null) return { waitMs: primary, kind: "primary" };
  if (/secondary rate limit|abuse/i.test(answer.message) || answer.status === 429) {
    return { waitMs: SECONDARY_FALLBACK_MS, kind: "secondary" };
  }
  return null;
}

interface GraphqlAnswer {
  data?: { errors?: { type?: string }[] };
  headers?: Headers;
}

/** A GraphQL answer whose limit is spent (200 with a RATE_LIMITED error), as an error. */
export function graphqlRateLimited(response: unknown, nowMs = Date.now()): RetryLater | null {
  const answer = response as GraphqlAnswer;
  const errors = answer.data?.errors;
  if (!Array.isArray(errors) || !errors.some((entry) => entry.type === "RATE_LIMITED")) {
    return null;
  }
  const waitMs = primaryResetWait(answer.headers ?? {}, nowMs) ?? SECONDARY_FALLBACK_MS;
  return new RetryLater("GitHub's GraphQL rate limit is spent", waitMs, "primary");
}
