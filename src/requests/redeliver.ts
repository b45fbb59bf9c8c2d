/**
 * The redelivery reconciler (DESIGN §3, issue: nothing lost). A delivery Countersign could
 * not take (the store was down: it answered 500, or it timed out) is lost unless someone
 * asks GitHub to send it again. One replica at a time (a lease in the store) lists the
 * app's deliveries since its cursor and asks once for every delivery that failed and whose
 * event never got through on a later attempt. Answers of 4xx are not retried: they were
 * refused on purpose (a bad payload, a bad signature).
 */
import { listDeliveriesSince, redeliver, type Delivery } from "../github/deliveries.js";
import type { GitHub } from "../github/client.js";
import type { ReconcilerState } from "../store/reconciler-state.js";

export const RECONCILER = "webhook-redelivery";
/** On the first run (no cursor yet), look this far back. */
export const FIRST_LOOK_BACK_MS = 60 * 60_000;
/** The cursor trails the newest delivery seen, so a slow delivery is not skipped. */
const CURSOR_OVERLAP_MS = 2 * 60_000;

export interface ReconcileDeps {
  state: ReconcilerState;
  holder: string;
  leaseMs: number;
  now(): Date;
}

export interface ReconcileResult {
  leader: boolean;
  seen: number;
  redelivered: string[];
}

function failed(delivery: Delivery): boolean {
  // 0: no answer (timed out, connection refused); 5xx: Countersign could not take it.
  return delivery.statusCode === 0 || delivery.statusCode >= 500;
}

export async function reconcileDeliveries(
  deps: ReconcileDeps,
  appGithub: GitHub,
): Promise<ReconcileResult> {
  if (!(await deps.state.lead(RECONCILER, deps.holder, deps.leaseMs))) {
    return { leader: false, seen: 0, redelivered: [] };
  }
  const now = deps.now();
  const since =
    (await deps.state.cursor(RECONCILER)) ??
    new Date(now.getTime() - FIRST_LOOK_BACK_MS).toISOString();
  const deliveries = await listDeliveriesSince(appGithub, since);
  const delivered = new Set(deliveries.filter((d) => !failed(d)).map((d) => d.guid));
  const redelivered: string[] = [];
  // Oldest first, one request per event (guid), never for an event that got through.
  for (const delivery of [...deliveries].reverse()) {
    if (!failed(delivery) || delivered.has(delivery.guid)) continue;
    if (!(await deps.state.claimRedelivery(delivery.guid, delivery.id, delivery.event))) continue;
    try {
      await redeliver(appGithub, delivery.id);
    } catch (error) {
      // Not asked after all: the next run asks again.
      await deps.state.forgetRedelivery(delivery.guid);
      throw error;
    }
    redelivered.push(delivery.guid);
  }
  const newest = Math.max(Date.parse(since), ...deliveries.map((d) => Date.parse(d.deliveredAt)));
  const cursor = new Date(Math.max(Date.parse(since), newest - CURSOR_OVERLAP_MS));
  await deps.state.setCursor(RECONCILER, deps.holder, cursor.toISOString());
  return { leader: true, seen: deliveries.length, redelivered };
}
