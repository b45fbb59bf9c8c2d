/**
 * `pull_request` opened, pushed or reopened on any pull request: queue the check of a changed
 * `.github/countersign.yml` (the job reads the PR's files; most PRs end there). Countersign's
 * own request branches never change the file, so they are skipped without a call.
 */
import type { Context } from "probot";
import type { JobQueue } from "../store/jobs.js";

interface PullRequestPayload {
  installation?: { id: number };
  repository: { id: number; name: string; owner: { login: string } };
  pull_request: { number: number; head: { sha: string; ref: string }; base: { ref: string } };
}

export function onPullRequestPushed(deps: { jobs: JobQueue }) {
  return async (
    context: Context<"pull_request.opened" | "pull_request.synchronize" | "pull_request.reopened">,
  ): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    const pull = payload.pull_request;
    if (payload.installation === undefined || pull.head.ref.startsWith("countersign/")) return;
    await deps.jobs.enqueue({
      kind: "check_config",
      installationId: payload.installation.id,
      // One check per commit, however often GitHub redelivers.
      dedupeKey: `config:${payload.repository.id}:${pull.number}:${pull.head.sha}`,
      payload: {
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        number: pull.number,
        headSha: pull.head.sha,
        baseRef: pull.base.ref,
      },
    });
  };
}
