/**
 * Probot entry: wires webhook events to handlers; nothing else (DESIGN §3). Each handler is
 * timed for the operator's metrics when an observer is given.
 */
import type { ApplicationFunction } from "probot";
import { onCommentCreated, onCommentEdited } from "./handlers/issue-comment.js";
import { onIssueOpened } from "./handlers/issues.js";
import { onTeamChanged } from "./handlers/membership.js";
import { onReview } from "./handlers/pull-request-review.js";
import { onClosed, onSynchronize } from "./handlers/pull-request.js";
import { onPullRequestPushed } from "./handlers/config-change.js";
import type { Services } from "./server/services.js";

export interface WebhookObserver {
  webhookHandled(event: string, seconds: number): void;
}

export function createApp(services: Services, observer?: WebhookObserver): ApplicationFunction {
  const timed =
    <C extends { name: string }>(handler: (context: C) => Promise<void>) =>
    async (context: C): Promise<void> => {
      const started = performance.now();
      try {
        await handler(context);
      } finally {
        observer?.webhookHandled(context.name, (performance.now() - started) / 1000);
      }
    };
  return (app) => {
    app.on("issue_comment.created", timed(onCommentCreated(services)));
    app.on("issue_comment.edited", timed(onCommentEdited(services)));
    app.on("issues.opened", timed(onIssueOpened(services)));
    app.on(
      [
        "pull_request_review.submitted",
        "pull_request_review.edited",
        "pull_request_review.dismissed",
      ],
      timed(onReview(services)),
    );
    app.on("pull_request.synchronize", timed(onSynchronize(services)));
    app.on(
      ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"],
      timed(onPullRequestPushed(services)),
    );
    app.on("pull_request.closed", timed(onClosed(services)));
    app.on(["membership", "team"], timed(onTeamChanged(services)));
  };
}
