/**
 * Probot entry: wires webhook events to handlers; nothing else (DESIGN §3).
 */
import type { ApplicationFunction } from "probot";
import { onCommentCreated, onCommentEdited } from "./handlers/issue-comment.js";
import { onIssueOpened } from "./handlers/issues.js";
import { onTeamChanged } from "./handlers/membership.js";
import { onReview } from "./handlers/pull-request-review.js";
import { onClosed, onSynchronize } from "./handlers/pull-request.js";
import type { Services } from "./server/services.js";

export function createApp(services: Services): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", onCommentCreated(services));
    app.on("issue_comment.edited", onCommentEdited(services));
    app.on("issues.opened", onIssueOpened(services));
    app.on(
      [
        "pull_request_review.submitted",
        "pull_request_review.edited",
        "pull_request_review.dismissed",
      ],
      onReview(services),
    );
    app.on("pull_request.synchronize", onSynchronize(services));
    app.on("pull_request.closed", onClosed(services));
    app.on(["membership", "team"], onTeamChanged(services));
  };
}
