/** `pull_request` on a request PR: a push (head moved) or a close by a person. */
import type { Context } from "probot";
import type { Services } from "../requests/services.js";
import { headMoved, pullClosedByPerson, type PullRequestRef } from "../requests/webhook-events.js";
import { isBot } from "./payload.js";

interface PullRequestPayload {
  installation?: { id: number };
  repository: { name: string; owner: { login: string } };
  pull_request: { number: number; merged?: boolean | null; head: { sha: string } };
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

/** Closed by a person (not merged by Countersign): the request is cancelled. */
export function onClosed(deps: Pick<Services, "store" | "jobs">) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const payload = context.payload as unknown as PullRequestPayload;
    if (payload.pull_request.merged || isBot(payload.sender)) return;
    const pull = pullOf(payload);
    if (pull === null) return;
    await pullClosedByPerson(deps, context.id, pull, payload.sender.login);
  };
}
