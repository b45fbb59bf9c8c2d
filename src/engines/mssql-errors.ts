/**
 * A SQL Server or driver error → what the outcome reports: the error number as the code, a
 * plain explanation of the timeouts, and the line made relative to the whole command. The
 * message is not yet redacted (the execution skeleton does that). Also what a failed COMMIT
 * proves about the transaction. Pure, tested without a server.
 */
import type { CommitResult } from "./dialect-hooks.js";
import { fieldOf, messageOf, numberFieldOf, stringFieldOf } from "./thrown-message.js";

/** Fields of an mssql RequestError / ConnectionError the engine reports. */
export interface MssqlErrorLike {
  message: string;
  code?: string;
  number?: number;
  lineNumber?: number;
  originalError?: { message?: string; info?: { number?: number; lineNumber?: number } };
}

/**
 * Error → outcome error. `code` is the SQL Server error number when the server raised it, else
 * the driver's code (ETIMEOUT, ELOGIN, ESOCKET …). The line is made relative to the whole
 * command (batch start line + line within the batch).
 */
export function formatMssqlError(
  e: MssqlErrorLike,
  batchStartLine: number | undefined,
  requestTimeoutMs: number,
  phase: "connect" | "execute" = "execute",
): { message: string; code?: string } {
  const number = e.number ?? e.originalError?.info?.number;
  const line = e.lineNumber ?? e.originalError?.info?.lineNumber;
  let message = e.message;
  if (phase === "connect") {
    message = `Could not connect to SQL Server: ${message}`;
  } else if (e.code === "ETIMEOUT" && number === undefined) {
    message = `Request timeout: a batch ran longer than ${requestTimeoutMs} ms and was cancelled. Driver said: ${message}`;
  } else if (number === 1222) {
    message = `Lock timeout (SET LOCK_TIMEOUT): ${message}`;
  }
  if (batchStartLine !== undefined && line !== undefined && line > 0) {
    message += ` (line ${batchStartLine + line - 1} of the command)`;
  }
  const out: { message: string; code?: string } = { message };
  if (number !== undefined) out.code = String(number);
  else if (e.code !== undefined) out.code = e.code;
  return out;
}

/** Anything thrown → the fields formatMssqlError reads; never throws, whatever was thrown. */
export function toMssqlErrorLike(error: unknown): MssqlErrorLike {
  const like: MssqlErrorLike = { message: messageOf(error) };
  const code = stringFieldOf(error, "code");
  if (code !== undefined) like.code = code;
  const number = numberFieldOf(error, "number");
  if (number !== undefined) like.number = number;
  const lineNumber = numberFieldOf(error, "lineNumber");
  if (lineNumber !== undefined) like.lineNumber = lineNumber;
  const info = fieldOf(fieldOf(error, "originalError"), "info");
  const infoNumber = numberFieldOf(info, "number");
  const infoLine = numberFieldOf(info, "lineNumber");
  if (infoNumber !== undefined || infoLine !== undefined) {
    like.originalError = {
      info: {
        ...(infoNumber === undefined ? {} : { number: infoNumber }),
        ...(infoLine === undefined ? {} : { lineNumber: infoLine }),
      },
    };
  }
  return like;
}

/**
 * The mssql driver's code for a transaction the server already rolled back (XACT_ABORT, or a
 * ROLLBACK the server ran): the driver then refuses COMMIT and ROLLBACK without sending them.
 */
export const MSSQL_ABORTED_CODE = "EABORT";

/**
 * A COMMIT that failed → rolled back, or unknown; the rule is PostgreSQL's (pgCommitFailure):
 * rolled back only when the answer proves nothing was committed. On SQL Server that is EABORT
 * alone: the server had rolled the transaction back before COMMIT, which was never sent. A lost
 * connection, a timeout (the server may have committed before the cancel reached it) or a server
 * error during COMMIT proves nothing, and ENOTBEGUN or EREQINPROG cannot happen after the
 * @@TRANCOUNT check: all of them are unknown.
 */
export function mssqlCommitFailure(error: unknown): CommitResult {
  if (stringFieldOf(error, "code") === MSSQL_ABORTED_CODE)
    return { committed: false, rolledBack: true, error };
  const code = stringFieldOf(error, "code");
  return {
    committed: false,
    rolledBack: false,
    reason: (code === undefined ? "" : `${code}: `) + messageOf(error),
  };
}
