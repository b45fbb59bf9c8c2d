/** `issues.opened`: an issue whose body holds a `/run` block (the issue form makes one). */
import type { Context } from "probot";
import { parseComment } from "../commands/parse.js";
import { refuseInvalidCommand, type IntakeDeps } from "../requests/intake.js";
import { queueIntake } from "../requests/intake-job.js";
import { sourceKey } from "../requests/source.js";
import { isBot, sourceFromIssue, type IssuePayload } from "./payload.js";

export function onIssueOpened(deps: IntakeDeps) {
  return async (context: Context<"issues.opened">): Promise<void> => {
    const payload = context.payload as unknown as IssuePayload;
    if (isBot(payload.issue.user) || isBot(payload.sender)) return;
    const parsed = parseComment(payload.issue.body);
    const source = sourceFromIssue(payload, context.id);
    if (parsed.kind === "invalid" && parsed.verb === "run") {
      await refuseInvalidCommand(deps, source, parsed);
      return;
    }
    if (parsed.kind !== "run") return;
    // Intake reads GitHub (permission, configuration): in its job, not in the webhook.
    const queued = await queueIntake(deps, source, parsed);
    context.log.info({ source: sourceKey(source), queued }, "run intake queued");
  };
}
