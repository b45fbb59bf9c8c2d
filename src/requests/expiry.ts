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
      // Keyed by the deadline too: a request that comes back to pending later expires again.
      dedupeKey: `expire:${request.id}:${request.expiresAt?.getTime() ?? 0}`,
      payload: {},
    });
  }
  return expired.length;
}

/** Grants move with the clock: an ended window ends the grant; an active one shows time left. */
export async function sweepGrants(
  store: RequestStore,
  jobs: JobQueue,
  now = new Date(),
  tickEveryMs = 5 * 60_000,
): Promise<void> {
  for (const grant of await store.findGrants(now, "ended")) {
    await jobs.enqueue({
      kind: "end_grant",
      installationId: grant.installationId,
      requestId: grant.id,
      dedupeKey: `end-grant:${grant.id}`,
      payload: {},
    });
  }
  // One refresh per grant per interval, whichever replica sweeps first.
  const bucket = Math.floor(now.getTime() / tickEveryMs);
  for (const grant of await store.findGrants(now, "active")) {
    await jobs.enqueue({
      kind: "grant_tick",
      installationId: grant.installationId,
      requestId: grant.id,
      dedupeKey: `tick:${grant.id}:${bucket}`,
      payload: {},
    });
  }
}
