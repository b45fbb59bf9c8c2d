/**
 * The run stage: the file's content on the resource's engine, read-only when the command
 * only reads, with the stricter policy's row limit. Never throws: what happened comes back
 * as an outcome with its final status, credentials already scrubbed from its texts.
 */
import { openEngine } from "../engines/index.js";
import type { ExecutionOutcome } from "../engines/types.js";
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { errorText, type Claim, type ExecuteDeps } from "./execution-context.js";
import type { Passed } from "./recheck.js";

export type FinalStatus = "succeeded" | "failed" | "unknown";

export interface RunResult {
  outcome: ExecutionOutcome;
  status: FinalStatus;
}

export async function runCommand(
  deps: ExecuteDeps,
  request: RequestRecord,
  run: { passed: Passed; summary: ResultSummary },
  claim: Claim,
  scrub: (text: string) => string,
): Promise<RunResult> {
  const { passed, summary } = run;
  const opened = openEngine(request.resource, deps.env);
  if (!opened.ok)
    return { outcome: scrubOutcome(notAttempted(opened.error), scrub), status: "failed" };
  const undo = passed.policy.undo !== undefined;
  if (undo && opened.engine.kind !== "postgres") {
    // Fail closed: the backups the resource promises exist on PostgreSQL only.
    await opened.engine.close();
    const why = `undo backups are made on PostgreSQL only; ${request.resource} is ${opened.engine.kind}: remove undo from it in the server file`;
    return { outcome: scrubOutcome(notAttempted(why), scrub), status: "failed" };
  }
  try {
    const outcome = await opened.engine.execute({
      sql: passed.content,
      readOnly: passed.check.readOnly,
      statementTimeoutMs: deps.limits.statementTimeoutMs,
      lockTimeoutMs: deps.limits.lockTimeoutMs,
      ...(passed.policy.guardrails.maxAffectedRows === undefined
        ? {}
        : { maxAffectedRows: passed.policy.guardrails.maxAffectedRows }),
      keepRows: deps.limits.keepRows,
      signal: claim.signal,
      ...(undo ? { undo: { requestId: request.id } } : {}),
      // Recorded before anything runs, so the lease sweeper can stop the session if this
      // worker dies; if it cannot be recorded, nothing runs.
      onSession: async (session) => {
        const held = await deps.store.patchIfLeased(request.id, claim.workerId, {
          result: { ...summary, session },
        });
        if (!held) throw new Error("the worker lost its lease before the command ran");
      },
      beforeCommit: () => claim.renewLease(),
    });
    return { outcome: scrubOutcome(outcome, scrub), status: finalStatus(outcome) };
  } catch (error) {
    // The engines report failures as outcomes; a throw means we cannot tell what happened.
    const message = `The engine stopped unexpectedly: ${errorText(error)}`;
    const outcome = {
      ...notAttempted(message),
      error: { message, code: "COUNTERSIGN_ENGINE_ERROR" },
    };
    return { outcome: scrubOutcome(outcome, scrub), status: "unknown" };
  } finally {
    await opened.engine.close().catch(() => undefined);
  }
}

/** The outcome when no engine could be opened: nothing was attempted. */
function notAttempted(message: string): ExecutionOutcome {
  return {
    status: "failed",
    resultSets: [],
    affectedRows: 0,
    durationMs: 0,
    notices: [],
    error: { message, code: "COUNTERSIGN_NOT_CONFIGURED" },
    rolledBack: false,
  };
}

/** `unknown` when the engine cannot say whether the command's changes were committed. */
export function finalStatus(outcome: ExecutionOutcome): FinalStatus {
  if (outcome.error?.code === "COUNTERSIGN_COMMIT_UNKNOWN") return "unknown";
  // The command ended the transaction itself (COMMIT inside it): its effects may be committed.
  if (outcome.error?.code === "COUNTERSIGN_TRANSACTION_ENDED" && !outcome.rolledBack) {
    return "unknown";
  }
  return outcome.status;
}

/** Outcome with the resource's credentials removed once more (the engines already do). */
function scrubOutcome(outcome: ExecutionOutcome, scrub: (text: string) => string) {
  return {
    ...outcome,
    notices: outcome.notices.map(scrub),
    ...(outcome.error === undefined
      ? {}
      : { error: { ...outcome.error, message: scrub(outcome.error.message) } }),
  };
}
