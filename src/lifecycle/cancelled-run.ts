/**
 * What a command cancelled while it ran publishes: the check run completes as cancelled,
 * the PR is closed unmerged (nothing was committed, so there is nothing to audit in git;
 * `request_events` keeps the story), and a comment says who stopped it and shows what had
 * run before the rollback.
 */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { addLabels } from "../github/status.js";
import { MAX_COMMENT_LENGTH } from "../render/result.js";
import type { StatusView } from "../render/status-view.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import { APP_ACTOR } from "./moves.js";
import { publishStatus } from "./publish-status.js";
import type { RequestRecord } from "./records.js";

interface Logger {
  warn(object: object, message: string): void;
}

export async function publishCancelledRun(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  request: RequestRecord,
  actor: string,
  /** The result comment of what ran before the cancel, rendered and scrubbed to a length. */
  outcomeComment: (maxLength: number) => string,
): Promise<void> {
  const repo = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  const view: StatusView = {
    headline: `Cancelled by ${actor} while running: rolled back`,
    progress: "",
    reasons: [
      `${actor} asked to stop the command; it was cancelled on the server and rolled back.`,
    ],
  };
  try {
    await publishStatus(deps.store, github, request, view, {
      conclusion: "cancelled",
      close: true,
    });
    const lead = renderTemplate("execution-cancelled", { id: request.id, actor });
    const body = outcomeComment(MAX_COMMENT_LENGTH - lead.length - 1);
    await postComment(github, repo, prNumber, `${lead}\n${body}`);
    await addLabels(github, repo, prNumber, ["countersign:cancelled"]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn({ requestId: request.id, err: message }, "could not publish the cancellation");
    await deps.store.note(request.id, APP_ACTOR, `publishing the cancellation failed: ${message}`);
  }
}
