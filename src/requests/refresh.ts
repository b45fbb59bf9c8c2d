/**
 * The missed-webhook sweep (DESIGN §3, issue: nothing lost). GitHub does not redeliver a
 * webhook it failed to send, and a delivery answered with an error is lost too: a pending
 * request whose approving review never arrived would wait until it expires. So every few
 * minutes each pending request with a pull request is read fresh: the head (a push nobody
 * told us about) and the reviews; then it is re-evaluated as after a webhook.
 *
 * Cost per pending request and sweep: 2 reads (the pull request, its reviews), plus team
 * member lists when the team cache has expired.
 */
import type { GitHub } from "../github/client.js";
import { pullRequestState } from "../github/execution.js";
import { listReviews } from "../github/reviews.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import type { CheckCommand } from "./command-check.js";
import { onHeadMoved } from "./head-moved.js";
import { reevaluate, type ReevaluateDeps } from "./reevaluate.js";

export const DEFAULT_REFRESH_MS = 5 * 60_000;

/** Queues one `refresh` job per pending request per interval, whichever replica sweeps first. */
export async function sweepPendingRequests(
  store: RequestStore,
  jobs: JobQueue,
  now = new Date(),
  everyMs = DEFAULT_REFRESH_MS,
): Promise<number> {
  const bucket = Math.floor(now.getTime() / everyMs);
  const pending = await store.findPendingWithPullRequest();
  for (const request of pending) {
    await jobs.enqueue({
      kind: "refresh",
      installationId: request.installationId,
      requestId: request.id,
      dedupeKey: `refresh:${request.id}:${bucket}`,
      payload: {},
    });
  }
  return pending.length;
}

/** The pusher recorded when the head moved and no webhook said who moved it. */
export const UNKNOWN_PUSHER = "an unknown pusher (missed webhook)";

/** A push younger than this may still have its webhook on the way: look again next sweep. */
export const PUSH_GRACE_MS = 2 * 60_000;

export async function refreshRequest(
  deps: ReevaluateDeps & { checkCommand: CheckCommand; jobs: JobQueue; now(): Date },
  github: GitHub,
  requestId: number,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null || request.status !== "pending" || request.prNumber === null) return;
  const repo = { owner: request.owner, repo: request.repo };
  const live = await pullRequestState(github, repo, request.prNumber);
  if (live.state !== "open") return;
  if (request.headSha !== null && live.headSha !== request.headSha) {
    // The webhook may be on its way or its job queued: leave the push to it for now.
    const recent = deps.now().getTime() - Date.parse(live.updatedAt) < PUSH_GRACE_MS;
    if (recent || (await deps.jobs.hasPending(request.id, "head_moved"))) return;
    // Someone pushed and the webhook never came: who is unknown, so nobody can be made
    // ineligible for it. Fail closed, as for a push by a bot.
    await onHeadMoved(deps, github, request.id, live.headSha, UNKNOWN_PUSHER, true);
    return;
  }
  const reviews = await listReviews(github, repo, request.prNumber);
  await deps.store.patch(request.id, { reviews });
  await reevaluate(deps, github, request.id);
}
