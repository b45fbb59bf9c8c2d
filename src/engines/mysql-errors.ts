/**
 * A MySQL/MariaDB error → what the outcome reports: the server's message with its SQLSTATE, a
 * plain explanation of the timeouts, and where in the command the failing statement starts.
 * `code` is the server's error number ("1205"), or the driver's code (ECONNREFUSED …) when the
 * server did not answer. Messages are not yet redacted (the execution skeleton does that).
 * Also what a failed COMMIT proves. Pure, tested without a server.
 */
import type { CommitResult, OutcomeError } from "./dialect-hooks.js";
import type { MysqlStatement } from "./mysql-split.js";
import { messageOf, numberFieldOf, stringFieldOf } from "./thrown-message.js";

/** The error numbers the engine explains. */
export const MYSQL_ERRORS = {
  LOCK_WAIT_TIMEOUT: 1205,
  LOCK_DEADLOCK: 1213,
  QUERY_INTERRUPTED: 1317,
  /** MariaDB: max_statement_time exceeded. */
  STATEMENT_TIMEOUT: 1969,
  /** MySQL: max_execution_time exceeded. */
  QUERY_TIMEOUT: 3024,
  READ_ONLY_TRANSACTION: 1792,
} as const;

export interface MysqlErrorContext {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Countersign's own timer stopped the statement with KILL QUERY (see MysqlSession.run). */
  killedByTimer: boolean;
  /** The failing statement, its 1-based number among the command's statements. */
  statement?: { unit: MysqlStatement; number: number };
}

/** The lock timeout as the server applies it: whole seconds, rounded up. */
export function lockTimeoutSeconds(lockTimeoutMs: number): number {
  return Math.max(1, Math.ceil(lockTimeoutMs / 1000));
}

function explain(errno: number | undefined, message: string, context: MysqlErrorContext): string {
  if (context.killedByTimer && (errno === undefined || errno === MYSQL_ERRORS.QUERY_INTERRUPTED))
    return `Statement timeout: a statement ran longer than ${context.statementTimeoutMs} ms and Countersign stopped it (KILL QUERY). Server said: ${message}`;
  if (errno === MYSQL_ERRORS.STATEMENT_TIMEOUT || errno === MYSQL_ERRORS.QUERY_TIMEOUT)
    return `Statement timeout: a statement ran longer than ${context.statementTimeoutMs} ms and was interrupted. Server said: ${message}`;
  if (errno === MYSQL_ERRORS.LOCK_WAIT_TIMEOUT) {
    const seconds = lockTimeoutSeconds(context.lockTimeoutMs);
    return `Lock timeout: a statement waited longer than ${seconds} s for a row lock (innodb_lock_wait_timeout, ${context.lockTimeoutMs} ms rounded up to whole seconds) and was stopped. Server said: ${message}`;
  }
  if (errno === MYSQL_ERRORS.LOCK_DEADLOCK)
    return `Deadlock: the server chose this command's transaction as the victim and rolled it back. Server said: ${message}`;
  if (errno === MYSQL_ERRORS.READ_ONLY_TRANSACTION)
    return `The command was run as read-only and tried to write. Server said: ${message}`;
  return message;
}

/**
 * The server's error number. Node's system errors carry a NEGATIVE errno (-111 for
 * ECONNREFUSED), which is no server error: those are reported by their code.
 */
function serverErrno(thrown: unknown): number | undefined {
  const errno = numberFieldOf(thrown, "errno");
  return errno !== undefined && errno > 0 ? errno : undefined;
}

/** Whatever was thrown while running a statement (or connecting) → the outcome's error. */
export function describeMysqlError(
  thrown: unknown,
  phase: "connect" | "execute",
  context: MysqlErrorContext,
): OutcomeError {
  const errno = serverErrno(thrown);
  const sqlState = stringFieldOf(thrown, "sqlState");
  const driverCode = stringFieldOf(thrown, "code");
  const said = messageOf(thrown) + (sqlState === undefined ? "" : ` [SQLSTATE ${sqlState}]`);
  let message: string;
  if (phase === "connect") {
    message = `Could not connect to MySQL/MariaDB: ${said}`;
  } else {
    message = explain(errno, said, context);
    const at = context.statement;
    if (at !== undefined)
      message += ` (statement ${at.number} of the command, starting on line ${at.unit.line})`;
  }
  const code = errno !== undefined ? String(errno) : driverCode;
  return code === undefined ? { message } : { message, code };
}

/**
 * A COMMIT that failed → rolled back, or unknown (the rule of pgCommitFailure): rolled back only
 * when the answer proves nothing was committed. For MySQL that is a deadlock reported on COMMIT
 * (Galera's certification failure): the server rolled the transaction back. A lost connection,
 * an interrupted COMMIT or any other error proves nothing: unknown.
 */
export function mysqlCommitFailure(error: unknown): CommitResult {
  const errno = serverErrno(error);
  if (errno === MYSQL_ERRORS.LOCK_DEADLOCK) return { committed: false, rolledBack: true, error };
  const code = errno !== undefined ? String(errno) : stringFieldOf(error, "code");
  return {
    committed: false,
    rolledBack: false,
    reason: (code === undefined ? "" : `${code}: `) + messageOf(error),
  };
}
