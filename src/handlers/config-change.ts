/**
 * `pull_request` opened, pushed or reopened on any pull request: queue the check of a changed
 * `.github/countersign.yml` (the job reads the PR's files; most PRs end there). Countersign's
 * own request branches never change the file, so they are skipped without a call.
 */
import type { Context } from "probot";
import type { Services } from "../requests/services.js";
import { configMayHaveChanged } from "../requests/webhook-events.js";

interface PullRequestPayload {
  installation?: { id: number };
  repository: { id: number; name: string; owner: { login: string } };
  pull_request: { number: number; head: { sha: string; ref: string }; base: { ref: string } };
}

export function onPullRequestPushed(deps: Pick<Services, "jobs">) {
  return async (
    context: Context<"pull_request.opened" | "pull_request.synchronize" | "pull_request.reopened">,
  ): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    const pull = payload.pull_request;
    if (payload.installation === undefined || pull.head.ref.startsWith("countersign/")) return;
    await configMayHaveChanged(deps, context.id, {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      number: pull.number,
      repoId: payload.repository.id,
      headSha: pull.head.sha,
      baseRef: pull.base.ref,
    });
  };
}
