/** `pull_request` on a request PR: a push (head moved) or a close by a person. */
import type { Context } from "probot";
import type { Services } from "../requests/services.js";
import { queueGitopsIntake } from "../requests/gitops-intake.js";
import { headMoved, pullClosedByPerson, type PullRequestRef } from "../requests/webhook-events.js";
import { isBot } from "./payload.js";

interface PullRequestPayload {
  installation?: { id: number };
  repository: { name: string; owner: { login: string } };
  pull_request: { number: number; head: { sha: string } };
  sender: { login: string; type?: string };
}

function pullOf(payload: PullRequestPayload): PullRequestRef | null {
  if (payload.installation === undefined) return null;
  return {
    installationId: payload.installation.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    number: payload.pull_request.number,
  };
}

export function onSynchronize(deps: Pick<Services, "store" | "jobs">) {
  return async (context: Context<"pull_request.synchronize">): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    const pull = pullOf(payload);
    if (pull === null) return;
    await headMoved(deps, context.id, pull, {
      headSha: payload.pull_request.head.sha,
      pusher: payload.sender.login,
      // A bot or an app pushed: the human behind its token is unknown.
      pusherIsBot: isBot(payload.sender),
    });
  };
}

/**
 * Closed by a person: the request is cancelled. Merged by a person counts the same: only a
 * request that has not run is cancelled (pending or approved), and merging one of those puts
 * a command nobody ran into the audit history; the worker would refuse it at its re-check
 * anyway, but the request must not wait for its timeout. Countersign's own merge comes from
 * its bot, after the run.
 */
export function onClosed(deps: Pick<Services, "store" | "jobs">) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    if (isBot(payload.sender)) return;
    const pull = pullOf(payload);
    if (pull === null) return;
    await pullClosedByPerson(deps, context.id, pull, payload.sender.login);
  };
}

interface OpenedPullPayload {
  action: string;
  installation?: { id: number };
  repository: { id: number; name: string; default_branch: string; owner: { login: string } };
  pull_request: {
    number: number;
    node_id: string;
    html_url: string;
    title: string;
    body: string | null;
    draft?: boolean;
    user: { login: string; type?: string } | null;
    head: { sha: string; ref: string; repo: { id: number } | null };
    base: { ref: string };
  };
  sender: { login: string; type?: string };
}

/**
 * Any pull request opened, reopened, made ready or pushed: it may be a GitOps request
 * (DESIGN §1.1 item 3). The `gitops_intake` job reads its files; the webhook only records
 * the job. Countersign's own request PRs are skipped without a call.
 */
export function onPullRequestForIntake(deps: Pick<Services, "jobs">) {
  return async (
    context: Context<
      | "pull_request.opened"
      | "pull_request.reopened"
      | "pull_request.ready_for_review"
      | "pull_request.synchronize"
    >,
  ): Promise<void> => {
    const payload = context.payload as unknown as OpenedPullPayload;
    const pull = payload.pull_request;
    const authorIsBot = isBot(pull.user);
    if (payload.installation === undefined) return;
    if (authorIsBot && pull.head.ref.startsWith("countersign/")) return;
    await queueGitopsIntake(deps, {
      source: {
        type: "pull_request",
        deliveryId: context.id,
        installationId: payload.installation.id,
        repoId: payload.repository.id,
        owner: payload.repository.owner.login,
        repo: payload.repository.name,
        defaultBranch: payload.repository.default_branch,
        number: pull.number,
        threadNodeId: pull.node_id,
        commentId: null,
        commentNodeId: null,
        url: pull.html_url,
        author: pull.user?.login ?? "ghost",
        body: pull.body ?? "",
        headSha: pull.head.sha,
      },
      pull: {
        nodeId: pull.node_id,
        headRef: pull.head.ref,
        // A deleted fork has no head repository: not this one.
        headRepoId: pull.head.repo?.id ?? null,
        baseRef: pull.base.ref,
        title: pull.title,
        draft: pull.draft === true,
        authorIsBot,
        ...(payload.action === "synchronize"
          ? { pusher: { login: payload.sender.login, isBot: isBot(payload.sender) } }
          : {}),
      },
      action: payload.action,
    });
  };
}
