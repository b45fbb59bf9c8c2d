/**
 * Shows a request's status on GitHub, edited in place: the check run's output and the
 * status section of the PR body. Nothing is written when nothing changed (a digest of the
 * last published status is kept), so a COMMENTED review or a redelivery costs no write.
 */
import { createHash } from "node:crypto";
import type { GitHub } from "../github/client.js";
import { updateApprovalCheck, updatePullRequest } from "../github/status.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import { checkSummary, requestBody } from "../render/request-pr-text.js";
import type { StatusView } from "../render/status-view.js";
import { withExecutionWait } from "../render/execution-wait.js";

export interface PublishOptions {
  /** Completes the check run with this conclusion (terminal states). */
  conclusion?: "success" | "failure" | "cancelled" | "timed_out" | "neutral";
  /** Closes the pull request in the same call that updates its body. */
  close?: boolean;
}

export async function publishStatus(
  store: RequestStore,
  github: GitHub,
  request: RequestRecord,
  shown: StatusView,
  options: PublishOptions = {},
): Promise<RequestRecord> {
  if (request.prNumber === null) return request;
  // A command that waits for its execution window or a /schedule says when it runs (issue 17).
  const status = withExecutionWait(shown, request);
  const repo = { owner: request.owner, repo: request.repo };
  const check = request.classification;
  const body = requestBody(request, request.policy, check, status);
  const summary = checkSummary(check, status);
  const digest = createHash("sha256")
    .update(JSON.stringify([request.checkRunId, status.headline, summary, body, options]))
    .digest("hex");
  if (digest === request.statusDigest) return request;
  if (request.checkRunId !== null) {
    await updateApprovalCheck(
      github,
      repo,
      request.checkRunId,
      { title: status.headline, summary },
      options.conclusion,
    );
  }
  await updatePullRequest(github, repo, request.prNumber, { body, close: options.close });
  return store.patch(request.id, { statusDigest: digest });
}
