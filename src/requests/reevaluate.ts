/**
 * Re-evaluation (DESIGN §1.3): after a review, a push, a membership change. Moves the
 * request by compare-and-set (pending ⇄ approved, → rejected) and shows the result.
 */
import { formatDuration } from "../policy/duration.js";
import type { GitHub } from "../github/client.js";
import type { RequestStore, StoredReview } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { evaluateRequest } from "./approval-inputs.js";
import { approveRequest } from "./approve.js";
import { autoApprovalReason } from "./auto-approval.js";
import { activeGrantOf, timeLeft } from "./grants.js";
import { closeRequest } from "./close-request.js";
import { endGrant } from "./grant-lifecycle.js";
import { APP_ACTOR } from "./intake.js";
import { isOpen, OPEN_STATUSES, type RequestStatus } from "../lifecycle/states.js";
import { publishStatus } from "./publish-status.js";
import { statusView } from "./status-view.js";

export interface ReevaluateDeps {
  store: RequestStore;
  teams: TeamCache;
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
  const now = new Date();
  const autoApproval = autoApprovalReason(
    request.kind,
    policy,
    check,
    await activeGrantOf(deps.store, request, now),
  );
  const target: RequestStatus =
    evaluation.status === "rejected" ? "rejected" : autoApproval ? "approved" : evaluation.status;

  if (target === "rejected" && request.kind === "grant" && request.status === "approved") {
    // A "no" on an active grant ends it as a grant: merged with its trailers.
    const by = evaluation.rejections.map((rejection) => rejection.login).join(", ");
    await endGrant(deps, github, request.id, {
      to: "rejected",
      actor: evaluation.rejections[0]?.login ?? APP_ACTOR,
      ended: `changes requested by ${by}`,
    });
    return;
  }
  if (target === "rejected") {
    await closeRequest(deps.store, github, request.id, OPEN_STATUSES, "rejected", {
      actor: evaluation.rejections[0]?.login ?? APP_ACTOR,
      detail: evaluation.rejections
        .map((rejection) => `changes requested by ${rejection.login}`)
        .join("; "),
      evaluation,
    });
    return;
  }
  if (target !== request.status) {
    const moved =
      target === "approved"
        ? await approveRequest(deps.store, request, request.status, autoApproval ?? undefined, now)
        : await deps.store.transition(request.id, request.status, target, {
            actor: APP_ACTOR,
            detail: autoApproval ?? undefined,
          });
    // Someone else moved it first (a worker claimed it, a /cancel): their update wins.
    if (!moved.ok) return;
    request = moved.request;
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
      timeout: formatDuration(policy.timeoutMs),
      grantWindow: request.kind === "grant" ? timeLeft(request, now) : undefined,
    }),
  );
}
