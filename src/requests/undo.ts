/**
 * `/undo` on a request PR (issue 16): a command that ran with undo backups gets a new request
 * whose command restores the rows it changed, from the backups the engine made in the same
 * transaction. The new request goes through intake like any `/run` (the commenter's write
 * permission, the guardrails, the plan, reviews, the worker's re-check): an undo is reviewed
 * and approved like any other command. Runs in the webhook handler: reads and records only.
 */
import { restoreCommand } from "../engines/pg-undo-restore.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import { queueIntake } from "./intake-job.js";
import { replyJob, type RequestSource } from "./source.js";

export interface UndoDeps {
  store: RequestStore;
  jobs: JobQueue;
}

/** Statement n's parse-node kind, from the command tag the run recorded for it. */
const KIND_OF_TAG: Readonly<Record<string, string>> = {
  UPDATE: "UpdateStmt",
  DELETE: "DeleteStmt",
};

/** The restore command for a request, or why there is none. */
export function undoCommandFor(request: RequestRecord): { sql: string } | { problem: string } {
  const result = request.result;
  const backups = result?.undo ?? [];
  if (request.status !== "succeeded" || backups.length === 0) {
    return {
      problem: `request ${request.id} has no undo backup (only a command that succeeded on a resource with \`undo\` has one)`,
    };
  }
  if (result?.undoDroppedAt !== undefined) {
    return {
      problem: `the backups of request ${request.id} were dropped on ${result.undoDroppedAt} (kept for the resource's undo.keep_for)`,
    };
  }
  const kinds = (result?.resultSets ?? []).map((set) => KIND_OF_TAG[set.command] ?? set.command);
  const restore = restoreCommand(backups, kinds);
  return restore.ok ? { sql: restore.sql } : { problem: restore.message };
}

export async function undoFromComment(deps: UndoDeps, source: RequestSource): Promise<void> {
  const request = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  // Not a request PR: `/undo` means nothing here.
  if (request === null || request.kind !== "command") return;
  const undo = undoCommandFor(request);
  if ("problem" in undo) {
    await deps.jobs.enqueue(
      replyJob(
        source,
        `reply:undo:${source.commentId ?? source.number}`,
        renderTemplate("undo-refused", { problem: undo.problem }),
      ),
    );
    return;
  }
  await queueIntake(deps, source, {
    kind: "run",
    resource: request.resource,
    command: undo.sql,
    reason: `Undo of request ${request.id} (${request.prUrl ?? request.sourceUrl})`,
  });
}
