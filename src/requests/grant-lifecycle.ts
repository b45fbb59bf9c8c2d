/**
 * The end of a grant (DESIGN §2): its window closes at its end time exactly (a sweep ends
 * it, and the worker checks the window again before running a command), or `/revoke` ends
 * it early. Either way the grant PR is merged as the audit record of the grant, with its
 * trailers, and the check run completes. While active, its check run shows the time left.
 */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { mergeRequest } from "../github/execution.js";
import { grantCommit } from "../render/grant-commit.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { evaluateRequest, ruleOf, teamMembers } from "./approval-inputs.js";
import { closeRequest } from "./close-request.js";
import { isEligibleApprover, isGrantActive, timeLeft } from "./grants.js";
import { APP_ACTOR } from "./intake.js";
import { publishStatus } from "./publish-status.js";
import { statusView } from "./status-view.js";

export interface GrantDeps {
  store: RequestStore;
  teams: TeamCache;
}

export async function endGrant(
  deps: GrantDeps,
  github: GitHub,
  grantId: number,
  end: { to: "expired" | "cancelled" | "rejected"; actor: string; ended: string },
  now = new Date(),
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
  const moved = await deps.store.transition(grant.id, "approved", end.to, {
    actor: end.actor,
    detail: end.ended,
  });
  if (!moved.ok) return;
  const ended = moved.request;
  const repo = { owner: ended.owner, repo: ended.repo };
  const endsAt = end.to === "expired" ? (ended.grantEndsAt as Date) : now;
  const startsAt = new Date((ended.grantEndsAt as Date).getTime() - (ended.grantDurationMs ?? 0));
  const commands = await deps.store.countGrantCommands(ended.id);

  await publishStatus(
    deps.store,
    github,
    ended,
    statusView({
      status: end.to,
      evaluation,
      autoApproval: null,
      headline: `Ended: ${end.ended}; ${commands} command(s) ran under it`,
    }),
    // The window served its purpose when it simply ran out; an early end is neutral.
    { conclusion: end.to === "expired" ? "success" : "neutral" },
  );
  const commit = grantCommit({
    grantId: ended.id,
    resource: ended.resource,
    grantee: ended.requester,
    approvers: evaluation.approvers,
    startsAt,
    endsAt,
    ended: end.ended,
    commands,
  });
  const merge = await mergeRequest(github, repo, ended.prNumber as number, {
    sha: ended.headSha as string,
    ...commit,
  });
  if (!merge.merged) {
    await deps.store.note(ended.id, APP_ACTOR, `merge refused (${merge.status}): ${merge.message}`);
  }
  await postComment(
    github,
    repo,
    ended.prNumber as number,
    renderTemplate("grant-ended", {
      id: ended.id,
      ended: end.ended,
      commands,
      merged: merge.merged,
      mergeMessage: merge.merged ? "" : merge.message,
    }),
  );
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
export async function tickGrant(
  deps: GrantDeps,
  github: GitHub,
  grantId: number,
  now = new Date(),
): Promise<void> {
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
