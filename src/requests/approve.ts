/**
 * The move to `approved`. A grant's window starts at its approval (DESIGN §2), so the
 * first approval of a grant also fixes when it ends; a re-approval never extends it.
 */
import type { RequestRecord, RequestStore, TransitionResult } from "../store/requests.js";
import { APP_ACTOR } from "./intake.js";
import type { RequestStatus } from "../lifecycle/states.js";

export async function approveRequest(
  store: RequestStore,
  request: RequestRecord,
  from: RequestStatus,
  detail: string | undefined,
  now: Date,
): Promise<TransitionResult> {
  // Past its timeout a pending request can only expire, however late the sweep comes.
  if (from === "pending" && request.expiresAt !== null && request.expiresAt <= now) {
    return { ok: false, current: request };
  }
  const startsWindow = request.kind === "grant" && request.grantEndsAt === null;
  return store.transition(request.id, from, "approved", {
    actor: APP_ACTOR,
    detail,
    patch: startsWindow
      ? { grantEndsAt: new Date(now.getTime() + (request.grantDurationMs ?? 0)) }
      : undefined,
  });
}
