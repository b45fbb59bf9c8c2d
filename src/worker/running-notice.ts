/**
 * A command that runs for more than a moment says so on GitHub: the check run and the PR
 * show "Running since …, on <resource>" and how to stop it. Quick commands pay no write for
 * it (the notice waits `runningNoticeMs`), the command never waits for it (it is published
 * beside the run), and the outcome is published only after it, so it never overwrites the
 * final status.
 */
import type { GitHub } from "../github/client.js";
import { publishStatus } from "../lifecycle/publish-status.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import type { RequestRecord } from "../lifecycle/records.js";
import { errorText, type ExecuteDeps } from "./execution-context.js";
import type { Passed } from "./recheck.js";

export interface RunningNotice {
  /** Stops the timer, and waits for a notice already on its way. */
  settle(): Promise<void>;
}

export function scheduleRunningNotice(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  passed: Passed,
  startedAt: Date,
): RunningNotice {
  let publishing: Promise<void> = Promise.resolve();
  const timer = setTimeout(() => {
    publishing = publishRunning(deps, github, request, passed, startedAt);
  }, deps.limits.runningNoticeMs);
  return {
    async settle() {
      clearTimeout(timer);
      await publishing;
    },
  };
}

async function publishRunning(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  passed: Passed,
  startedAt: Date,
): Promise<void> {
  const since = startedAt.toISOString().replace(/\.\d+Z$/, "Z");
  const approvedBy = passed.basis.approvedBy;
  try {
    await publishStatus(deps.store, github, request, {
      headline: `Running since ${since}, on ${request.resource}`,
      progress: approvedBy.length > 0 ? `approved by ${approvedBy.join(", ")}` : "",
      reasons: [
        "To stop it, the requester or an approver comments /cancel: the command is cancelled on the server and rolled back.",
      ],
    });
  } catch (error) {
    deps.log.warn({ requestId: request.id, err: errorText(error) }, "could not show running");
    await deps.store.note(request.id, APP_ACTOR, `showing "running" failed: ${errorText(error)}`);
  }
}
