/**
 * The end of a command stopped by `/cancel` while it ran: when the engine reports it did not
 * commit, the request ends `cancelled` (not `failed`: nobody's command broke, a person
 * stopped it) with what ran kept in its result. A cancel that arrived after COMMIT changes
 * nothing: the command's own outcome stands.
 */
import type { GitHub } from "../github/client.js";
import { publishCancelledRun } from "../lifecycle/cancelled-run.js";
import { cancelRunning } from "../lifecycle/moves.js";
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { renderResultComment, type ResultView } from "../render/result.js";
import { CancelRequested, type Claim, type ExecuteDeps } from "./execution-context.js";
import type { DescribedOutcome } from "./describe-outcome.js";
import type { RunResult } from "./run-command.js";

/** Who cancelled the command, when a /cancel is why it stopped without committing. */
export function cancelledBy(signal: AbortSignal, run: RunResult): string | null {
  if (!signal.aborted || !(signal.reason instanceof CancelRequested)) return null;
  return run.status === "failed" ? signal.reason.actor : null;
}

/** Records `cancelled` and publishes it; false when the lease was lost meanwhile. */
export async function finishCancelled(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  actor: string,
  described: DescribedOutcome & { view: ResultView },
  claim: Claim,
  scrub: (text: string) => string,
): Promise<boolean> {
  const result: ResultSummary = { ...described.finished, status: "cancelled" };
  const moved = await cancelRunning(deps.store, request.id, claim.workerId, actor, result);
  if (!moved.ok) return false;
  deps.log.info({ requestId: request.id, actor }, "cancelled while running; rolled back");
  await publishCancelledRun(deps, github, moved.request, actor, (maxLength) =>
    renderResultComment(described.view, { maxLength, redact: scrub }),
  );
  return true;
}
