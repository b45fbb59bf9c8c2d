/**
 * The end of a grant (DESIGN §2): its window closes at its end time exactly (a sweep ends
 * it, and the worker checks the window again before running a command), or `/revoke` ends
 * it early. Either way the grant PR is merged as the audit record of the grant, with its
 * trailers, and the check run completes. While active, its check run shows the time left.
 */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { evaluateRequest, ruleOf, teamMembers } from "./evaluate-request.js";
import { closeRequest } from "../lifecycle/close-request.js";
import { endActiveGrant, type GrantEnd } from "../lifecycle/grant-end.js";
import { isEligibleApprover, isGrantActive, timeLeft } from "./grants.js";
import { publishStatus } from "../lifecycle/publish-status.js";
import { statusView } from "../render/status-view.js";

export interface GrantDeps {
  store: RequestStore;
  teams: TeamCache;
  now(): Date;
}

export async function endGrant(
  deps: GrantDeps,
  github: GitHub,
  grantId: number,
  end: GrantEnd,
): Promise<void> {
  const grant = await deps.store.get(grantId);
  if (grant === null || grant.kind !== "grant" || grant.prNumber === null) return;
  if (grant.status === "pending" && end.to === "cancelled") {
    await closeRequest(deps.store, github, grant.id, ["pending"], "cancelled", {
      actor: end.actor,
      detail: end.ended,
    });
    return;
  }
  if (grant.status !== "approved") return;
  const { evaluation } = await evaluateRequest(
    { github, store: deps.store, teams: deps.teams },
    grant,
    { fresh: false },
  );
  await endActiveGrant(deps.store, github, grant.id, end, evaluation, deps.now());
}

/** `/revoke` by the grantee or an eligible approver; anyone else is told so. */
export async function revokeGrant(
  deps: GrantDeps,
  github: GitHub,
  grantId: number,
  actor: string,
  replyTo: { owner: string; repo: string; number: number },
): Promise<void> {
  const grant = await deps.store.get(grantId);
  if (grant === null || grant.kind !== "grant") return;
  const isGrantee = grant.requester.toLowerCase() === actor.toLowerCase();
  if (!isGrantee) {
    // Read fresh: revoking is rare, and a stale cache must not decide who may do it.
    const members = await teamMembers(
      { github, teams: deps.teams },
      ruleOf(grant),
      grant.owner,
      true,
    );
    if (!isEligibleApprover(grant, actor, members)) {
      await postComment(
        github,
        { owner: replyTo.owner, repo: replyTo.repo },
        replyTo.number,
        renderTemplate("revoke-refused", { actor, id: grant.id, grantee: grant.requester }),
      );
      return;
    }
  }
  await endGrant(deps, github, grant.id, {
    to: "cancelled",
    actor,
    ended: `revoked by ${actor}`,
  });
}

/** Refreshes an active grant's check run with the time left. */
export async function tickGrant(deps: GrantDeps, github: GitHub, grantId: number): Promise<void> {
  const now = deps.now();
  const grant = await deps.store.get(grantId);
  if (grant === null || !isGrantActive(grant, now)) return;
  await publishStatus(
    deps.store,
    github,
    grant,
    statusView({
      status: "approved",
      evaluation: null,
      autoApproval: null,
      grantWindow: timeLeft(grant, now),
    }),
  );
}
