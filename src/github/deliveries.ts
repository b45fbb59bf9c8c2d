/**
 * The app's webhook deliveries (`GET /app/hook/deliveries`, app-level authentication) and
 * the request to deliver one again (`POST /app/hook/deliveries/{id}/attempts`).
 */
import type { GitHub } from "./client.js";

export interface Delivery {
  id: number;
  guid: string;
  deliveredAt: string;
  statusCode: number;
  event: string;
  redelivery: boolean;
}

/** Deliveries at or after `since` (ISO time), newest first; at most `maxPages` pages of 100. */
export async function listDeliveriesSince(
  appGithub: GitHub,
  since: string,
  maxPages = 10,
): Promise<Delivery[]> {
  const sinceMs = Date.parse(since);
  const deliveries: Delivery[] = [];
  let pages = 0;
  for await (const page of appGithub.paginate.iterator(appGithub.rest.apps.listWebhookDeliveries, {
    per_page: 100,
  })) {
    pages += 1;
    let older = false;
    for (const delivery of page.data) {
      if (Date.parse(delivery.delivered_at) < sinceMs) {
        older = true;
        break;
      }
      deliveries.push({
        id: delivery.id,
        guid: delivery.guid,
        deliveredAt: delivery.delivered_at,
        statusCode: delivery.status_code,
        event: delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event,
        redelivery: delivery.redelivery,
      });
    }
    if (older || pages >= maxPages) break;
  }
  return deliveries;
}

export async function redeliver(appGithub: GitHub, deliveryId: number): Promise<void> {
  await appGithub.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId });
}
