/**
 * Re-evaluation (DESIGN §1.3): after a review, a push, a membership change. Moves the
 * request by compare-and-set (pending ⇄ approved, → rejected) and shows the result.
 */
import { formatDurationSetting } from "../policy/duration.js";
import { aboutRequest, queueNotification, type NotifyQueueDeps } from "../notify/notify-job.js";
import type { GitHub } from "../github/client.js";
import type { RequestStore, StoredReview } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { evaluateRequest } from "./evaluate-request.js";
import { approve, unapprove } from "../lifecycle/moves.js";
import { autoApprovalReason } from "./auto-approval.js";
import { activeGrantOf, timeLeft } from "./grants.js";
import { endOpenRequest } from "./end-request.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import { isOpen, type RequestStatus } from "../lifecycle/states.js";
import { publishStatus } from "../lifecycle/publish-status.js";
import { statusView } from "../render/status-view.js";

export interface ReevaluateDeps extends NotifyQueueDeps {
  store: RequestStore;
  teams: TeamCache;
  now(): Date;
}

export async function reevaluate(
  deps: ReevaluateDeps,
  github: GitHub,
  requestId: number,
  notes: string[] = [],
  review?: StoredReview,
): Promise<void> {
  let request = await deps.store.get(requestId);
  if (request === null || !isOpen(request.status) || request.prNumber === null) return;
  const policy = request.policy;
  const check = request.classification;
  const { evaluation } = await evaluateRequest(
    { github, store: deps.store, teams: deps.teams },
    request,
    { fresh: false, review },
  );
  const now = deps.now();
  const autoApproval = autoApprovalReason(
    request.kind,
    policy,
    check,
    await activeGrantOf(deps.store, request, now),
  );
  const target: RequestStatus =
    evaluation.status === "rejected" ? "rejected" : autoApproval ? "approved" : evaluation.status;

  if (target === "rejected") {
    const by = evaluation.rejections.map((rejection) => rejection.login).join(", ");
    await endOpenRequest(deps, github, request.id, "rejected", {
      actor: evaluation.rejections[0]?.login ?? APP_ACTOR,
      detail: `changes requested by ${by}`,
      evaluation,
    });
    return;
  }
  if (target !== request.status) {
    const moved =
      target === "approved"
        ? await approve(deps.store, request, autoApproval ?? undefined, now)
        : await unapprove(deps.store, request.id);
    // Someone else moved it first (a worker claimed it, a /cancel): their update wins.
    if (!moved.ok) return;
    request = moved.request;
    if (request.status === "approved") {
      await queueNotification(deps, request.installationId, {
        kind: "approved",
        ...aboutRequest(request),
        approvers: [...new Set(evaluation.approvers.map((approver) => approver.login))],
      });
    }
  }
  await publishStatus(
    deps.store,
    github,
    request,
    statusView({
      status: request.status,
      evaluation,
      autoApproval,
      notes,
      timeout: formatDurationSetting(policy.timeoutMs),
      grantWindow: request.kind === "grant" ? timeLeft(request, now) : undefined,
    }),
  );
}
