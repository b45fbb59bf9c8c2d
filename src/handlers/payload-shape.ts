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
