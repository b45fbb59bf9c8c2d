/**
 * The refusals both engines make before touching a server: a closed engine, invalid options,
 * or a caller that gave up already. Pure, and reported without any network traffic.
 */
import type { ExecuteOptions, ExecutionOutcome } from "./types.js";

/** Problems with the options themselves; reported before any connection is made. */
export function validateOptions(options: ExecuteOptions): string | null {
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  if (typeof options.sql !== "string" || options.sql.trim() === "") return "The command is empty.";
  if (!positiveInt(options.statementTimeoutMs))
    return "statementTimeoutMs must be a positive integer (0 would mean no timeout).";
  if (!positiveInt(options.lockTimeoutMs))
    return "lockTimeoutMs must be a positive integer (0 would mean no timeout).";
  if (!Number.isInteger(options.keepRows) || options.keepRows < 0)
    return "keepRows must be a non-negative integer.";
  if (
    options.maxAffectedRows !== undefined &&
    (!Number.isInteger(options.maxAffectedRows) || options.maxAffectedRows < 0)
  )
    return "maxAffectedRows must be a non-negative integer.";
  // It names the backup tables (countersign_undo.r<requestId>_<n>).
  if (
    options.undo !== undefined &&
    !(Number.isSafeInteger(options.undo.requestId) && options.undo.requestId > 0)
  )
    return "undo.requestId must be a positive integer.";
  return null;
}

/** A failure that happened before any transaction existed. */
export function failedBeforeStart(
  message: string,
  startedAt: number,
  code?: string,
): ExecutionOutcome {
  return {
    status: "failed",
    resultSets: [],
    affectedRows: 0,
    durationMs: elapsedMs(startedAt),
    notices: [],
    error: code === undefined ? { message } : { message, code },
    rolledBack: false,
  };
}

/** Milliseconds since `startedAt` (a performance.now() reading), as an outcome reports them. */
export function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

/** Null when execution may start. */
export function refuseBeforeStart(
  closed: boolean,
  options: ExecuteOptions,
  startedAt: number,
): ExecutionOutcome | null {
  if (closed) return failedBeforeStart("The engine is closed.", startedAt);
  const invalid = validateOptions(options);
  if (invalid !== null) return failedBeforeStart(invalid, startedAt, "COUNTERSIGN_INVALID_OPTIONS");
  if (options.signal?.aborted) {
    return failedBeforeStart(
      "Execution was aborted before it started.",
      startedAt,
      "COUNTERSIGN_ABORTED",
    );
  }
  return null;
}
