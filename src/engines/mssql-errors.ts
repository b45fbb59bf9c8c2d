/**
 * A SQL Server or driver error → what the outcome reports: the error number as the code, a
 * plain explanation of the timeouts, and the line made relative to the whole command. The
 * message is not yet redacted (the execution skeleton does that). Pure, tested without a server.
 */
import { messageOf } from "./thrown-message.js";

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

/** Anything thrown → the fields formatMssqlError reads. */
export function toMssqlErrorLike(error: unknown): MssqlErrorLike {
  if (error instanceof Error) return error as Error & MssqlErrorLike;
  return { message: messageOf(error) };
}
