/** `issue_comment` on issues and pull requests: slash commands, and edits of a command. */
import type { Context } from "probot";
import { parseComment } from "../commands/parse.js";
import { refuseInvalidCommand, type IntakeDeps } from "../requests/intake.js";
import { queueIntake } from "../requests/intake-job.js";
import { revokeFromComment } from "../requests/grants.js";
import { sourceKey } from "../requests/source.js";
import { sourceEdited } from "../requests/webhook-events.js";
import { cancelFromComment } from "../requests/cancel.js";
import { undoFromComment } from "../requests/undo.js";
import { scheduleFromComment } from "../requests/schedule.js";
import { isBot, sourceFromComment, type CommentPayload } from "./payload.js";

export function onCommentCreated(deps: IntakeDeps) {
  return async (context: Context<"issue_comment.created">): Promise<void> => {
    const payload = context.payload as unknown as CommentPayload;
    if (isBot(payload.comment.user) || isBot(payload.sender)) return;
    const parsed = parseComment(payload.comment.body);
    if (parsed.kind === "none") return;
    const source = sourceFromComment(payload, context.id);
    if (parsed.kind === "invalid" && (parsed.verb === "run" || parsed.verb === "jit")) {
      await refuseInvalidCommand(deps, source, parsed);
      return;
    }
    if (parsed.kind === "run" || parsed.kind === "jit") {
      // Intake reads GitHub (permission, configuration): in its job, not in the webhook.
      const queued = await queueIntake(deps, source, parsed);
      context.log.info({ source: sourceKey(source), queued }, `${parsed.kind} intake queued`);
      return;
    }
    if (parsed.kind === "revoke") {
      await revokeFromComment(deps, source, parsed.resource);
      return;
    }
    if (parsed.kind === "cancel") {
      await cancelFromComment(deps, source);
    }
    if (parsed.kind === "undo") await undoFromComment(deps, source);
    if (parsed.kind === "schedule") await scheduleFromComment(deps, source, parsed.time);
  };
}

/**
 * The request PR's file is the command: editing the comment afterwards changes nothing,
 * and the request PR says so, so nobody believes the edited text is what will run.
 */
export function onCommentEdited(deps: IntakeDeps) {
  return async (context: Context<"issue_comment.edited">): Promise<void> => {
    const payload = context.payload as unknown as CommentPayload & {
      comment: { updated_at: string };
    };
    if (isBot(payload.comment.user)) return;
    await sourceEdited(
      deps,
      sourceFromComment(payload, context.id),
      payload.sender.login,
      payload.comment.updated_at,
    );
  };
}
