/**
 * Ends a request that will not run: rejected, cancelled or expired. One compare-and-set,
 * then the PR is closed with its final status, a final comment and a label, and the check
 * run completes. If another actor ended it first, nothing is written.
 */
import { formatDurationSetting } from "../policy/duration.js";
import type { Evaluation } from "../policy/evaluate.js";
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { addLabels } from "../github/status.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import type { RequestStatus } from "./states.js";
import { close, type ClosedStatus } from "./moves.js";
import { publishStatus } from "./publish-status.js";
import { closedConclusion, statusView } from "../render/status-view.js";

export interface CloseOptions {
  actor: string;
  detail?: string;
  evaluation?: Evaluation | null;
  /** The PR is closed already (closed by a person): don't close it again. */
  prClosed?: boolean;
  /**
   * A retry of a job whose earlier attempt moved the request but failed to show it:
   * publish again. (Without it, a request someone else ended first is left alone.)
   */
  retrying?: boolean;
}

export async function closeRequest(
  store: RequestStore,
  github: GitHub,
  requestId: number,
  from: readonly RequestStatus[],
  to: ClosedStatus,
  options: CloseOptions,
): Promise<boolean> {
  const moved = await close(store, requestId, from, to, options);
  const retry = !moved.ok && options.retrying === true && moved.current?.status === to;
  if (!moved.ok && !retry) return false;
  const request = moved.ok ? moved.request : (moved.current as NonNullable<typeof moved.current>);
  if (request.prNumber === null) return true;
  const repo = { owner: request.owner, repo: request.repo };
  const policy = request.policy;
  const timeout = formatDurationSetting(policy.timeoutMs);
  await publishStatus(
    store,
    github,
    request,
    statusView({
      status: to,
      evaluation: options.evaluation ?? null,
      autoApproval: null,
      actor: options.actor,
      timeout,
    }),
    { conclusion: closedConclusion(to), close: !options.prClosed },
  );
  await postComment(
    github,
    repo,
    request.prNumber,
    renderTemplate("request-closed", {
      status: to,
      id: request.id,
      actor: options.actor,
      timeout,
      rejections: options.evaluation?.rejections ?? [],
    }),
  );
  await addLabels(github, repo, request.prNumber, [`countersign:${to}`]);
  return true;
}
