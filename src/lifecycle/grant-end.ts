/**
 * The end of an active grant (DESIGN §2): approved → expired | cancelled | rejected, and
 * then what an ended grant shows: its check run completes with the number of commands that
 * ran under it, and the grant PR is merged as the audit record of the grant, with trailers.
 */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { mergeRequest } from "../github/execution.js";
import type { Evaluation } from "../policy/evaluate.js";
import { grantCommit } from "../render/grant-commit.js";
import { statusView } from "../render/status-view.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import { APP_ACTOR, endGrant, type ClosedStatus } from "./moves.js";
import { publishStatus } from "./publish-status.js";
import type { RequestRecord } from "./records.js";

export interface GrantEnd {
  to: ClosedStatus;
  actor: string;
  /** In words, for the comment and the trailer: "the window closed", "revoked by bob". */
  ended: string;
}

/** Ends the grant unless someone else did first; false when it was not this call's move. */
export async function endActiveGrant(
  store: RequestStore,
  github: GitHub,
  grantId: number,
  end: GrantEnd,
  /** The grant's evaluation now: its approvers go into the audit trailer. */
  evaluation: Evaluation,
  now: Date,
): Promise<boolean> {
  const moved = await endGrant(store, grantId, end.to, { actor: end.actor, detail: end.ended });
  if (!moved.ok) return false;
  await publishGrantEnd(store, github, moved.request, end, evaluation, now);
  return true;
}

async function publishGrantEnd(
  store: RequestStore,
  github: GitHub,
  grant: RequestRecord,
  end: GrantEnd,
  evaluation: Evaluation,
  now: Date,
): Promise<void> {
  const repo = { owner: grant.owner, repo: grant.repo };
  const prNumber = grant.prNumber as number;
  const windowEnd = grant.grantEndsAt as Date;
  const commands = await store.countGrantCommands(grant.id);
  await publishStatus(
    store,
    github,
    grant,
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
    grantId: grant.id,
    resource: grant.resource,
    grantee: grant.requester,
    approvers: evaluation.approvers,
    startsAt: new Date(windowEnd.getTime() - (grant.grantDurationMs ?? 0)),
    endsAt: end.to === "expired" ? windowEnd : now,
    ended: end.ended,
    commands,
  });
  const merge = await mergeRequest(github, repo, prNumber, {
    sha: grant.headSha as string,
    ...commit,
    base: grant.baseBranch,
  });
  if (!merge.merged) {
    await store.note(
      grant.id,
      APP_ACTOR,
      `merge refused (${merge.status ?? "not asked"}): ${merge.message}`,
    );
  }
  await postComment(
    github,
    repo,
    prNumber,
    renderTemplate("grant-ended", {
      id: grant.id,
      ended: end.ended,
      commands,
      merged: merge.merged,
      mergeMessage: merge.merged ? "" : merge.message,
    }),
  );
}
