/** `issues.opened`: an issue whose body holds a `/run` block (the issue form makes one). */
import type { Context } from "probot";
import { parseComment } from "../commands/parse.js";
import { intakeRun, refuseInvalidCommand, type IntakeDeps } from "../requests/intake.js";
import { sourceKey } from "../requests/source.js";
import { intakeReads } from "./intake-reads.js";
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
    const result = await intakeRun(deps, intakeReads(context, context.repo()), source, parsed);
    context.log.info({ ...result, source: sourceKey(source) }, "intake");
  };
}
