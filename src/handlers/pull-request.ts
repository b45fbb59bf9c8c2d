/** `pull_request` on a request PR: a push (head moved) or a close by a person. */
import type { Context } from "probot";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import { isBot } from "./payload.js";

export interface PullRequestHandlerDeps {
  store: RequestStore;
  jobs: JobQueue;
}

interface PullRequestPayload {
  installation?: { id: number };
  repository: { name: string; owner: { login: string } };
  pull_request: { number: number; merged?: boolean | null; head: { sha: string } };
  sender: { login: string; type?: string };
}

async function requestFor(deps: PullRequestHandlerDeps, payload: PullRequestPayload) {
  return deps.store.findByPullRequest(
    payload.repository.owner.login,
    payload.repository.name,
    payload.pull_request.number,
  );
}

export function onSynchronize(deps: PullRequestHandlerDeps) {
  return async (context: Context<"pull_request.synchronize">): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    const request = await requestFor(deps, payload);
    if (request === null || payload.installation === undefined) return;
    await deps.jobs.enqueue({
      kind: "head_moved",
      installationId: payload.installation.id,
      requestId: request.id,
      // Per delivery: pushes A→B→A→B are four head moves, not two.
      dedupeKey: `head:${request.id}:${context.id}`,
      payload: {
        headSha: payload.pull_request.head.sha,
        pusher: payload.sender.login,
        // A bot or an app pushed: the human behind its token is unknown.
        pusherIsBot: isBot(payload.sender),
      },
    });
  };
}

/** Closed by a person (not merged by Countersign): the request is cancelled. */
export function onClosed(deps: PullRequestHandlerDeps) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    if (payload.pull_request.merged || isBot(payload.sender)) return;
    const request = await requestFor(deps, payload);
    if (request === null || payload.installation === undefined) return;
    if (request.status !== "pending" && request.status !== "approved") return;
    await deps.jobs.enqueue({
      kind: "cancel",
      installationId: payload.installation.id,
      requestId: request.id,
      dedupeKey: `cancel:${request.id}`,
      payload: { actor: payload.sender.login, prClosed: true },
    });
  };
}
