/**
 * The edge check of a delivery's payload (issue: nothing lost): a delivery without the
 * objects its event always carries is answered 400 with one log line naming the delivery and
 * what was missing, rather than a 500 from a TypeError deep in a handler (which invites
 * redelivery of something that can never work).
 */

/** Top-level objects each event Countersign handles must carry. */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  issue_comment: ["installation", "repository", "issue", "comment", "sender"],
  issues: ["installation", "repository", "issue", "sender"],
  pull_request: ["installation", "repository", "pull_request", "sender"],
  pull_request_review: ["installation", "repository", "pull_request", "review", "sender"],
  membership: ["installation", "team"],
  team: ["installation", "team"],
};

/** An error the webhook middleware answers with its `status` (400), not 500. */
export class BadDeliveryError extends Error {
  readonly status = 400;
}

/** The missing top-level objects of a payload for `event` (empty when it is whole). */
export function missingPayloadParts(event: string, payload: unknown): string[] {
  const required = REQUIRED[event] ?? [];
  if (payload === null || typeof payload !== "object") return [...required];
  const record = payload as Record<string, unknown>;
  return required.filter((key) => record[key] === null || typeof record[key] !== "object");
}

/** Above this many characters of JSON a delivery is logged as unusually large. */
export const LARGE_PAYLOAD_CHARS = 1_000_000;

/**
 * What a delivery the webhook library refused (before any handler ran) really was, for one
 * precise log line: an empty body fails the signature check too, but it is not a secret
 * mismatch, and whoever is on call should not go rotating secrets for it. Null for errors that
 * are not a refused delivery.
 */
export function rejectedDeliveryNote(
  error: unknown,
): { fields: Record<string, unknown>; message: string } | null {
  // The library wraps the refusal: an AggregateError whose `event` is the refusal itself,
  // which carries the delivery as its own `event` and the answer's `status`.
  const outer = typeof error === "object" && error !== null ? (error as { event?: unknown }) : {};
  const refusal = outer.event instanceof Error ? (outer.event as { event?: unknown }) : outer;
  const event = refusal.event;
  if (typeof event !== "object" || event === null) return null;
  const { id, name, payload } = event as { id?: unknown; name?: unknown; payload?: unknown };
  const fields = { deliveryId: typeof id === "string" ? id : null, event: name ?? null };
  if (typeof payload === "string" && payload.trim() === "") {
    return { fields, message: "delivery with an empty body: refused (400), not a secret mismatch" };
  }
  const status = (refusal as { status?: unknown }).status;
  if (typeof payload === "string" && status === 400) {
    return {
      fields: { ...fields, chars: payload.length },
      message: "delivery whose signature does not match its body: refused (400)",
    };
  }
  return null;
}
