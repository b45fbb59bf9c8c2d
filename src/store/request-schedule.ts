/**
 * `/schedule` in the store (issue 17): when an open command request may run at the earliest,
 * and who said so, set in one transaction under the request's row lock.
 */
import type { Knex } from "knex";
import { OPEN_STATUSES } from "../lifecycle/states.js";
import type { RequestRecord } from "../lifecycle/records.js";
import { fromRow, type Row } from "./request-rows.js";

/** How a /schedule's event detail starts: "scheduled by bob to run at …". */
export const SCHEDULED_BY = "scheduled by";

export interface ScheduleResult {
  /** False (and no event) when that exact schedule was already set (a retried job). */
  changed: boolean;
  request: RequestRecord;
  /** Set when the time asked for was earlier than one this person may not undo. */
  heldUntil?: Date;
}

/**
 * Sets `not_before` to `at` for `actor`, noting `detail` (which starts with SCHEDULED_BY) as
 * an event. Null when the request is no longer an open command.
 */
export async function scheduleRequest(
  knex: Knex,
  id: number,
  at: Date,
  actor: string,
  detail: string,
): Promise<ScheduleResult | null> {
  return knex.transaction(async (trx) => {
    const row = (await trx("requests")
      .where({ id, kind: "command" })
      .whereIn("status", [...OPEN_STATUSES])
      .forUpdate()
      .first()) as Row | undefined;
    if (row === undefined) return null;
    const current = fromRow(row);
    if (current.notBefore?.getTime() === at.getTime() && current.scheduledBy === actor) {
      return { changed: false, request: current };
    }
    if (
      current.notBefore !== null &&
      at.getTime() < current.notBefore.getTime() &&
      !(await soleScheduler(trx, current, actor))
    ) {
      return { changed: false, request: current, heldUntil: current.notBefore };
    }
    const [updated] = (await trx("requests")
      .where({ id })
      .update({ not_before: at, scheduled_by: actor, updated_at: trx.fn.now() })
      .returning("*")) as Row[];
    const event = { from_status: current.status, to_status: current.status, actor, detail };
    await trx("request_events").insert({ request_id: id, ...event });
    return { changed: true, request: fromRow(updated as Row) };
  });
}

/**
 * A schedule only delays, so nobody undoes a colleague's "not before": a time moves earlier
 * only for the one person who ever scheduled this request (to fix their own mistake). Taking
 * the time over first (the same time, or a later one) does not make it one's own.
 */
async function soleScheduler(
  trx: Knex.Transaction,
  current: RequestRecord,
  actor: string,
): Promise<boolean> {
  if (current.scheduledBy?.toLowerCase() !== actor.toLowerCase()) return false;
  const other = await trx("request_events")
    .where({ request_id: current.id })
    .andWhere("detail", "like", `${SCHEDULED_BY} %`)
    .andWhereRaw("lower(actor) <> ?", [actor.toLowerCase()])
    .first("id");
  return other === undefined;
}
