/**
 * Posts one message to an incoming webhook (Slack, or anything that speaks its format). A
 * failure throws a NotifyFailed that says what went wrong in words of our own: the URL is a
 * secret (whoever has it can post to the channel), and a driver's message or a server's
 * answer could echo it, so neither is ever quoted.
 */
import type { WebhookMessage } from "./message.js";

export interface SendOptions {
  /** The fetch to use (tests); the global one by default. */
  fetch?: typeof fetch;
  /** How long the whole exchange may take, answer included. */
  timeoutMs: number;
  /** The clock a `retry-after` date is read against (tests); Date.now by default. */
  now?: () => number;
}

/** A longer wait than this is cut to it: a notification an hour late is stale anyway. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** An answer or a failure of the webhook; `retryAfterMs` when the server asked to wait. */
export class NotifyFailed extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = "NotifyFailed";
  }
}

/** `retry-after` in seconds or as an HTTP date, at most MAX_RETRY_AFTER_MS; undefined if unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  const date = Date.parse(value);
  const wait = Number.isFinite(seconds)
    ? seconds * 1000
    : Number.isNaN(date)
      ? undefined
      : date - nowMs;
  return wait === undefined ? undefined : Math.min(Math.max(0, wait), MAX_RETRY_AFTER_MS);
}

/**
 * The first bytes of an error answer, if they are one of Slack's error words
 * (`no_service`, `invalid_payload`, `channel_is_archived`) that the URL does not contain.
 * Anything else (HTML, JSON, free text) is left out: it could echo the URL.
 */
async function errorWord(response: Response, url: string): Promise<string | null> {
  const reader = response.body?.getReader();
  if (reader === undefined) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 256) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    return null;
  } finally {
    // A server that keeps sending is not read to the end.
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  return /^[a-z_]{1,64}$/.test(text) && !url.toLowerCase().includes(text) ? text : null;
}

/** Why fetch threw, as a code (ECONNREFUSED, TimeoutError), never its message. */
function failureCode(error: unknown): string {
  // Read by shape, not `instanceof`: fetch's errors (a DOMException for the timeout) need not
  // come from the realm whose Error this module sees.
  const failure = error as { name?: unknown; cause?: { code?: unknown } } | null;
  const code = failure?.cause?.code;
  if (typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = failure?.name;
  return typeof name === "string" && /^[A-Za-z]{1,40}$/.test(name) ? name : "unknown error";
}

/** POSTs `body` as JSON to `url`; any 2xx is delivered. */
export async function sendNotification(
  url: string,
  body: WebhookMessage,
  options: SendOptions,
): Promise<{ ok: true }> {
  const send = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await send(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      // An incoming webhook does not move; following a redirect could carry the message to
      // another host, or to plain http.
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const code = failureCode(error);
    throw new NotifyFailed(
      code === "TimeoutError"
        ? `the notify webhook did not answer within ${options.timeoutMs} ms`
        : `the notify webhook could not be reached (${code})`,
      undefined,
      undefined,
    );
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: true };
  }
  const word = await errorWord(response, url);
  const wait =
    response.status === 429 || response.status === 503
      ? parseRetryAfter(response.headers.get("retry-after"), (options.now ?? Date.now)())
      : undefined;
  const redirect = response.status >= 300 && response.status < 400;
  throw new NotifyFailed(
    `the notify webhook answered HTTP ${response.status}` +
      (word === null ? "" : ` (${word})`) +
      (redirect ? " (redirects are not followed)" : "") +
      (wait === undefined ? "" : `; retry after ${Math.ceil(wait / 1000)} s`),
    response.status,
    wait,
  );
}
