/**
 * Probot entry: wires webhook events to handlers; nothing else (DESIGN §3). Each handler is
 * timed for the operator's metrics when an observer is given.
 */
import type { ApplicationFunction } from "probot";
import { onCommentCreated, onCommentEdited } from "./handlers/issue-comment.js";
import { onIssueOpened } from "./handlers/issues.js";
import { onTeamChanged } from "./handlers/membership.js";
import { onReview } from "./handlers/pull-request-review.js";
import { onClosed, onPullRequestForIntake, onSynchronize } from "./handlers/pull-request.js";
import { onPullRequestPushed } from "./handlers/config-change.js";
import type { Services } from "./requests/services.js";
import {
  BadDeliveryError,
  LARGE_PAYLOAD_CHARS,
  missingPayloadParts,
  rejectedDeliveryNote,
} from "./handlers/payload-shape.js";

interface WebhookContext {
  id: string;
  name: string;
  payload: unknown;
  log: { warn(object: object, message: string): void };
}

export interface WebhookObserver {
  webhookHandled(event: string, seconds: number): void;
}

export function createApp(services: Services, observer?: WebhookObserver): ApplicationFunction {
  // Every handler: the payload checked at the edge (400, not a TypeError's 500), and timed.
  const timed =
    <C extends WebhookContext>(handler: (context: C) => Promise<void>) =>
    async (context: C): Promise<void> => {
      const missing = missingPayloadParts(context.name, context.payload);
      if (missing.length > 0) {
        context.log.warn(
          { deliveryId: context.id, event: context.name, missing },
          "malformed delivery: answered 400",
        );
        throw new BadDeliveryError(`the ${context.name} payload has no ${missing.join(", ")}`);
      }
      // GitHub's payloads for these events stay far below this; a huge one is worth a line
      // (who sends it, and why), though it is handled like any other.
      const size = JSON.stringify(context.payload).length;
      if (size > LARGE_PAYLOAD_CHARS) {
        context.log.warn(
          { deliveryId: context.id, event: context.name, chars: size },
          "unusually large delivery",
        );
      }
      const started = performance.now();
      try {
        await handler(context);
      } finally {
        observer?.webhookHandled(context.name, (performance.now() - started) / 1000);
      }
    };
  return (app) => {
    // Probot logs every refused delivery as a secret mismatch; say what it really was.
    app.webhooks.onError((error) => {
      const note = rejectedDeliveryNote(error);
      if (note !== null) app.log.warn(note.fields, note.message);
    });
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
    app.on(
      [
        "pull_request.opened",
        "pull_request.reopened",
        "pull_request.ready_for_review",
        "pull_request.synchronize",
      ],
      timed(onPullRequestForIntake(services)),
    );
    app.on("pull_request.closed", timed(onClosed(services)));
    app.on(["membership", "team"], timed(onTeamChanged(services)));
  };
}
