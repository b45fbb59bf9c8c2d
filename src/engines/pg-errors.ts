/**
 * A PostgreSQL error → what the outcome reports: the server's message with its DETAIL, HINT
 * and CONTEXT, a plain explanation of the two timeouts, and the error position made relative
 * to the whole command. The message is not yet redacted (the execution skeleton does that).
 */
import type { OutcomeError } from "./dialect-hooks.js";
import type { PgStatement } from "./pg-split.js";
import { messageOf } from "./thrown-message.js";

/** The fields of a pg DatabaseError the engine reads. */
export type PgErrorLike = Error & {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
};

export function describePgError(
  e: PgErrorLike,
  statement: PgStatement | undefined,
  timeouts: { statementTimeoutMs: number; lockTimeoutMs: number },
): OutcomeError {
  let message = messageOf(e);
  if (e.code === "57014" && /statement timeout/i.test(message)) {
    message = `Statement timeout: a statement ran longer than ${timeouts.statementTimeoutMs} ms (statement_timeout) and was cancelled. Server said: ${message}`;
  } else if (e.code === "55P03" && /lock timeout/i.test(message)) {
    message = `Lock timeout: a statement waited longer than ${timeouts.lockTimeoutMs} ms for a lock (lock_timeout) and was cancelled. Server said: ${message}`;
  }
  const extra = [
    e.detail ? `DETAIL: ${e.detail}` : "",
    e.hint ? `HINT: ${e.hint}` : "",
    e.where ? `CONTEXT: ${e.where}` : "",
  ].filter((s) => s !== "");
  if (extra.length > 0) message += "\n" + extra.join("\n");
  const error: OutcomeError = { message };
  if (typeof e.code === "string") error.code = e.code;
  const position = Number(e.position);
  // PG's position is 1-based within the statement sent; make it relative to the whole command.
  if (statement !== undefined && Number.isInteger(position) && position > 0) {
    error.position = statement.charOffset + position;
  }
  return error;
}

/** A failed connection attempt: the driver's message, and its code when it has one. */
export function describePgConnectError(error: unknown): OutcomeError {
  const e = error as PgErrorLike;
  return {
    message: `Could not connect to PostgreSQL: ${messageOf(error)}`,
    ...(typeof e.code === "string" ? { code: e.code } : {}),
  };
}
