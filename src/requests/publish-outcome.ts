/**
 * The `publish_outcome` job: what the worker recorded, shown on GitHub (comments, status,
 * audit merge; lifecycle/outcome.ts), and the comment's URL and the merge commit kept in
 * the request's result. The worker never waits for it.
 */
import type { GitHub } from "../github/client.js";
import { publishOutcome } from "../lifecycle/outcome.js";
import type { JobPayload } from "../store/job-kinds.js";
import type { RequestStore } from "../store/requests.js";

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export async function publishRecordedOutcome(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  requestId: number,
  outcome: JobPayload<"publish_outcome">,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null || request.prNumber === null) return;
  const published = await publishOutcome(deps, github, { request, ...outcome });
  const result = (await deps.store.get(requestId))?.result ?? request.result;
  if (result !== null) await deps.store.patch(requestId, { result: { ...result, ...published } });
}
