/**
 * A PostgreSQL error → what the outcome reports: the server's message with its DETAIL, HINT
 * and CONTEXT, a plain explanation of the two timeouts, and the error position made relative
 * to the whole command. The message is not yet redacted (the execution skeleton does that).
 * Also what a failed COMMIT proves about the transaction.
 */
import type { CommitResult, OutcomeError } from "./dialect-hooks.js";
import type { PgStatement } from "./pg-split.js";
import { messageOf, stringFieldOf } from "./thrown-message.js";

/**
 * A pg DatabaseError's fields, read from whatever was thrown: a driver callback may hand null,
 * a string or a plain object, and describing it must not throw.
 */
export function describePgError(
  thrown: unknown,
  statement: PgStatement | undefined,
  timeouts: { statementTimeoutMs: number; lockTimeoutMs: number },
): OutcomeError {
  const code = stringFieldOf(thrown, "code");
  let message = messageOf(thrown);
  if (code === "57014" && /statement timeout/i.test(message)) {
    message = `Statement timeout: a statement ran longer than ${timeouts.statementTimeoutMs} ms (statement_timeout) and was cancelled. Server said: ${message}`;
  } else if (code === "55P03" && /lock timeout/i.test(message)) {
    message = `Lock timeout: a statement waited longer than ${timeouts.lockTimeoutMs} ms for a lock (lock_timeout) and was cancelled. Server said: ${message}`;
  }
  const extra: string[] = [];
  for (const [label, field] of [
    ["DETAIL", "detail"],
    ["HINT", "hint"],
    ["CONTEXT", "where"],
  ] as const) {
    const text = stringFieldOf(thrown, field);
    if (text !== undefined && text !== "") extra.push(`${label}: ${text}`);
  }
  if (extra.length > 0) message += "\n" + extra.join("\n");
  const error: OutcomeError = { message };
  if (code !== undefined) error.code = code;
  const position = Number(stringFieldOf(thrown, "position"));
  // PG's position is 1-based within the statement sent; make it relative to the whole command.
  if (statement !== undefined && Number.isInteger(position) && position > 0) {
    error.position = statement.charOffset + position;
  }
  return error;
}

/** A failed connection attempt: the driver's message, and its code when it has one. */
export function describePgConnectError(error: unknown): OutcomeError {
  const code = stringFieldOf(error, "code");
  return {
    message: `Could not connect to PostgreSQL: ${messageOf(error)}`,
    ...(code === undefined ? {} : { code }),
  };
}

/**
 * A COMMIT that failed → rolled back, or unknown. Only a plain ERROR proves the rollback:
 * PostgreSQL raises those before it writes the commit record (deferred constraint,
 * serialization failure, a cancel), and an error after the record is a PANIC, never an ERROR.
 * A FATAL error (session terminated, server shutting down) can come after the record, while
 * COMMIT waits for a synchronous standby, and a lost connection proves nothing: both are
 * unknown. The severity is read as sent; a localised one (FEHLER, ERREUR …) is not recognised
 * and counts as unknown, which errs on the side that never re-runs the command.
 */
export function pgCommitFailure(error: unknown): CommitResult {
  const code = stringFieldOf(error, "code");
  const severity = stringFieldOf(error, "severity");
  if (code !== undefined && severity === "ERROR")
    return { committed: false, rolledBack: true, error };
  const said = severity === undefined ? "" : `${severity}${code === undefined ? "" : ` ${code}`}: `;
  return { committed: false, rolledBack: false, reason: said + messageOf(error) };
}
