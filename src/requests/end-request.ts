/**
 * Ends an open request that will not run (rejected, cancelled, expired), whoever asks: a
 * `/cancel`, a closed PR, a "changes requested", the timeout. The one place that decides
 * how: an active grant ends as a grant (merged as the audit record of its window, with its
 * trailers); anything else is closed unmerged with a final comment.
 */
import type { GitHub } from "../github/client.js";
import { closeRequest, type CloseOptions } from "../lifecycle/close-request.js";
import type { ClosedStatus } from "../lifecycle/moves.js";
import { OPEN_STATUSES } from "../lifecycle/states.js";
import { endGrant, type GrantDeps } from "./grant-lifecycle.js";
import { aboutRequest, queueNotification, type NotifyQueueDeps } from "../notify/notify-job.js";

export async function endOpenRequest(
  deps: GrantDeps & NotifyQueueDeps,
  github: GitHub,
  requestId: number,
  to: ClosedStatus,
  options: CloseOptions & { detail: string },
): Promise<boolean> {
  const request = await deps.store.get(requestId);
  if (request?.kind === "grant" && request.status === "approved") {
    await endGrant(deps, github, requestId, { to, actor: options.actor, ended: options.detail });
    return true;
  }
  const closed = await closeRequest(deps.store, github, requestId, OPEN_STATUSES, to, options);
  if (closed && request !== null) {
    await queueNotification(deps, request.installationId, {
      kind: "outcome",
      ...aboutRequest(request),
      status: to,
    });
  }
  return closed;
}
