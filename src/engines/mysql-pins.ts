/**
 * The session settings the MySQL/MariaDB engine pins for a command, and how it checks after
 * every statement that they still hold (a trigger or stored function can SET them where the
 * refusals cannot see it). Pure: the session sends the text and hands back what it read.
 *
 * Bounds, per server flavour:
 * - lock waits: innodb_lock_wait_timeout (row locks) and lock_wait_timeout (metadata locks), in
 *   whole seconds, so lockTimeoutMs is rounded UP (never shorter than asked, at least 1 s);
 * - statements: MariaDB's max_statement_time (seconds, with fractions) bounds every statement.
 *   MySQL's max_execution_time (ms) bounds only read-only SELECTs: there an UPDATE, DELETE or
 *   INSERT … SELECT has NO server-side bound, and only the engine's own timer (KILL QUERY from a
 *   second connection, see MysqlSession.run) stops it, a little after statementTimeoutMs.
 */
import { lockTimeoutSeconds } from "./mysql-errors.js";

export type MysqlFlavour = "mariadb" | "mysql";

/** The server's VERSION() → its flavour; MariaDB says so in its version string. */
export function flavourOf(version: string): MysqlFlavour {
  return /mariadb/i.test(version) ? "mariadb" : "mysql";
}

/** Milliseconds as exact decimal seconds ("0.300"): no float rounding in the SET. */
function secondsText(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;
}

/**
 * The SET that pins the bounds. The numbers are integers checked by validateOptions, so
 * interpolating them is safe.
 */
export function pinStatement(
  flavour: MysqlFlavour,
  options: { statementTimeoutMs: number; lockTimeoutMs: number },
): string {
  const lock = lockTimeoutSeconds(options.lockTimeoutMs);
  const statement =
    flavour === "mariadb"
      ? `SESSION max_statement_time = ${secondsText(options.statementTimeoutMs)}`
      : `SESSION max_execution_time = ${options.statementTimeoutMs}`;
  return `SET SESSION innodb_lock_wait_timeout = ${lock}, SESSION lock_wait_timeout = ${lock}, ${statement}`;
}

/** What is read back after pinning and after every statement, in this order. */
export function watchedVariables(flavour: MysqlFlavour): string[] {
  return [
    "autocommit",
    "innodb_lock_wait_timeout",
    "lock_wait_timeout",
    flavour === "mariadb" ? "max_statement_time" : "max_execution_time",
    "sql_mode",
    "character_set_client",
    "character_set_connection",
    "character_set_results",
    "max_error_count",
    "sql_notes",
  ];
}

/**
 * Reads the watched variables. Its FROM names a (derived) table on purpose: the server clears
 * its warning list only for a statement that uses a table, so this read also empties the list
 * before the next statement, whose SHOW WARNINGS then shows that statement's warnings alone.
 */
export function watchQuery(flavour: MysqlFlavour): string {
  return `SELECT ${watchedVariables(flavour)
    .map((name) => `@@SESSION.${name}`)
    .join(", ")} FROM (SELECT 1) AS countersign_watch`;
}

/** The first watched variable whose value differs from the baseline, or null. */
export function changedVariable(
  flavour: MysqlFlavour,
  baseline: (string | null)[],
  now: (string | null)[],
): string | null {
  const names = watchedVariables(flavour);
  for (const [i, name] of names.entries()) if (baseline[i] !== now[i]) return name;
  return null;
}

/**
 * sql_mode flags under which the server reads the command differently from the way the
 * guardrails, the splitter (mysql-split.ts) and the reviewers read it, which is the server's
 * default reading. The engine refuses to run under them rather than change the mode, which
 * would change what the command means to whoever wrote it for that mode. Composite modes
 * (ANSI, ORACLE, MSSQL, DB2, POSTGRESQL, MAXDB, MYSQL323, MYSQL40) show in @@sql_mode with
 * these flags spelled out, so they are caught by them.
 */
const MISREAD_MODES: Readonly<Record<string, string>> = {
  ANSI_QUOTES: '"…" is an identifier, not a string',
  NO_BACKSLASH_ESCAPES: "a backslash in a string escapes nothing, which moves where strings end",
  PIPES_AS_CONCAT: "|| concatenates instead of OR",
  HIGH_NOT_PRECEDENCE: "NOT a BETWEEN b AND c is (NOT a) BETWEEN b AND c",
  IGNORE_SPACE: "a space may follow a function name, and built-in function names are reserved",
  ORACLE: "MariaDB reads Oracle syntax",
  SIMULTANEOUS_ASSIGNMENT: "UPDATE … SET a = b, b = a assigns from the old row",
  EMPTY_STRING_IS_NULL: "'' is NULL",
};

export function sqlModeRefusal(sqlMode: string | null): string | null {
  if (sqlMode === null) return "The session's sql_mode could not be read; the command was not run.";
  const modes = sqlMode.toUpperCase().split(",");
  const misread = Object.keys(MISREAD_MODES).filter((mode) => modes.includes(mode));
  if (misread.length === 0) return null;
  const reasons = misread.map((mode) => `${mode}: ${MISREAD_MODES[mode] ?? ""}`).join("; ");
  return (
    `The session's sql_mode includes ${misread.join(", ")}, under which the server reads the ` +
    `command differently from Countersign's guardrails and its reviewers (${reasons}); the ` +
    `command was not run. Remove ${misread.join(", ")} from the server's sql_mode for this ` +
    `resource's user.`
  );
}
