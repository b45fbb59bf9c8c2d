/**
 * The expiry sweep: pending requests older than their resource's timeout become `expired`.
 * The sweep only queues one job per request (deduplicated), so any number of replicas
 * may sweep at once.
 */
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";

export async function sweepExpired(
  store: RequestStore,
  jobs: JobQueue,
  now = new Date(),
): Promise<number> {
  const expired = await store.findExpired(now);
  for (const request of expired) {
    await jobs.enqueue({
      kind: "expire",
      installationId: request.installationId,
      requestId: request.id,
      dedupeKey: `expire:${request.id}`,
      payload: {},
    });
  }
  return expired.length;
}
