/**
 * Probot entry: wires webhook events to handlers; nothing else (DESIGN §3).
 */
import type { ApplicationFunction } from "probot";
import { onCommentCreated, onCommentEdited } from "./handlers/issue-comment.js";
import { onIssueOpened } from "./handlers/issues.js";
import type { IntakeDeps } from "./requests/intake.js";

export type AppDeps = IntakeDeps;

export function createApp(deps: AppDeps): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", onCommentCreated(deps));
    app.on("issue_comment.edited", onCommentEdited(deps));
    app.on("issues.opened", onIssueOpened(deps));
  };
}
