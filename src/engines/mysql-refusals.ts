/**
 * What the MySQL/MariaDB engine refuses to run, before connecting. The engine runs a command in
 * one transaction so that it can count the writes and roll them back; MySQL ends that
 * transaction by itself more often than PostgreSQL does (every DDL and administration statement
 * commits implicitly), so the engine runs only statements it knows keep the transaction open:
 * an ALLOW-list of leading keywords, everything else refused (fail closed). SET is read further:
 * a command may not change what the engine pins (timeouts, sql_mode, autocommit, character
 * sets, the warnings it reports) nor reach beyond its session (GLOBAL, PERSIST). Pure, tested
 * without a server.
 */
import type { PreparedCommand } from "./dialect-hooks.js";
import { splitMysqlStatements } from "./mysql-split.js";
import type { MysqlStatement, MysqlToken } from "./mysql-split.js";

const REFUSED = "COUNTERSIGN_REFUSED_STATEMENT";

/**
 * Statements that keep the transaction open and whose effects it holds. SET is checked by
 * setRefusal; the rest are data reads and writes, and statements that only describe.
 */
const ALLOWED = new Set([
  "SELECT",
  "WITH",
  "VALUES",
  "TABLE",
  "INSERT",
  "REPLACE",
  "UPDATE",
  "DELETE",
  "SET",
  "SHOW",
  "DESCRIBE",
  "DESC",
  "EXPLAIN",
  "DO",
]);

const TRANSACTION_CONTROL = new Set([
  "BEGIN",
  "COMMIT",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
  "XA",
  "LOCK",
  "UNLOCK",
]);

/**
 * Statements MySQL and MariaDB commit around implicitly (their manuals' "Statements That Cause
 * an Implicit Commit"): DDL, account management, table maintenance, replication control.
 */
const IMPLICIT_COMMIT = new Set([
  "CREATE",
  "ALTER",
  "DROP",
  "TRUNCATE",
  "RENAME",
  "GRANT",
  "REVOKE",
  "OPTIMIZE",
  "REPAIR",
  "CACHE",
  "FLUSH",
  "RESET",
  "INSTALL",
  "UNINSTALL",
  "CHANGE",
  "STOP",
  "PURGE",
  "IMPORT",
  "BACKUP",
  "SHUTDOWN",
  "RESTART",
]);

/**
 * Session settings the engine pins or relies on (lower case). Changing one would lift a bound
 * (timeouts), end the transaction (autocommit, completion_type), change how the server reads
 * the rest of the command (sql_mode, character sets), hide warnings, or let the server drop
 * the connection in the middle of the command.
 */
export const PINNED_VARIABLES = new Set([
  "autocommit",
  "completion_type",
  "innodb_lock_wait_timeout",
  "lock_wait_timeout",
  "max_statement_time",
  "max_execution_time",
  "sql_mode",
  "transaction_read_only",
  "tx_read_only",
  "transaction_isolation",
  "tx_isolation",
  "character_set_client",
  "character_set_connection",
  "character_set_results",
  "collation_connection",
  "sql_notes",
  "sql_warnings",
  "max_error_count",
  "sql_log_bin",
  "wait_timeout",
  "interactive_timeout",
  "net_read_timeout",
  "net_write_timeout",
]);

/** Words that, right after SET (and its scope), make it something other than an assignment. */
const SET_FORMS: ReadonlyMap<string, string> = new Map([
  ["TRANSACTION", "SET TRANSACTION changes the transaction Countersign opened for the command"],
  ["NAMES", "SET NAMES changes how the server reads the rest of the command"],
  ["CHARACTER", "SET CHARACTER SET changes how the server reads the rest of the command"],
  ["CHARSET", "SET CHARSET changes how the server reads the rest of the command"],
  ["PASSWORD", "SET PASSWORD is account management, which MySQL commits implicitly"],
  ["ROLE", "SET ROLE changes the privileges the command runs with; it runs as the resource's user"],
  ["DEFAULT", "SET DEFAULT ROLE is account management, which MySQL commits implicitly"],
  ["STATEMENT", "SET STATEMENT … FOR runs a statement under other settings"],
]);

const SCOPES_BEYOND_SESSION = new Set(["GLOBAL", "PERSIST", "PERSIST_ONLY"]);
const SESSION_SCOPES = new Set(["SESSION", "LOCAL"]);

const ONE_TRANSACTION =
  "Countersign runs the whole command in one transaction so that it can check it and roll it back";

function wordAt(tokens: MysqlToken[], index: number): string | null {
  const token = tokens[index];
  return token?.type === "word" ? token.value : null;
}

/** A name a SET may touch: an unquoted word or a `quoted` identifier, lower case. */
function nameAt(tokens: MysqlToken[], index: number): string | null {
  const token = tokens[index];
  if (token?.type === "word" || token?.type === "quoted") return token.value.toLowerCase();
  return null;
}

function setRefusal(tokens: MysqlToken[]): string | null {
  let form = 1;
  const scope = wordAt(tokens, form);
  if (scope !== null && SESSION_SCOPES.has(scope)) form += 1;
  const word = wordAt(tokens, form);
  const named = word === null ? undefined : SET_FORMS.get(word);
  if (named !== undefined) return `${named}: it is not allowed.`;
  for (let i = 1; i < tokens.length; i += 1) {
    const name = nameAt(tokens, i);
    if (name === null) continue;
    if (SCOPES_BEYOND_SESSION.has(name.toUpperCase()))
      return `SET ${name.toUpperCase()} is not allowed: it changes the server beyond this command's session, which no rollback undoes.`;
    if (PINNED_VARIABLES.has(name))
      return `A SET that names ${name} is not allowed: Countersign pins it for the execution (timeouts, transaction, how the command is read and reported), and the command may not change it.`;
  }
  return null;
}

/** INTO OUTFILE / DUMPFILE writes a file on the database server, outside the transaction. */
function outfileRefusal(tokens: MysqlToken[]): string | null {
  for (let i = 0; i + 1 < tokens.length; i += 1) {
    const next = wordAt(tokens, i + 1);
    if (wordAt(tokens, i) === "INTO" && (next === "OUTFILE" || next === "DUMPFILE"))
      return `SELECT … INTO ${next} is not allowed: it writes a file on the database server, which no rollback undoes.`;
  }
  return null;
}

function unsupported(word: string): string {
  return (
    `${word} is not supported by the MySQL/MariaDB engine. It runs only statements that keep its ` +
    `transaction open and whose effects it can count and roll back: SELECT, WITH, VALUES, TABLE, ` +
    `INSERT, REPLACE, UPDATE, DELETE, SET (of session settings it does not pin), SHOW, DESCRIBE, ` +
    `EXPLAIN and DO.`
  );
}

/** Why the engine refuses `statement`, or null. */
export function mysqlStatementRefusal(statement: MysqlStatement): string | null {
  const { tokens } = statement;
  let first = 0;
  while (tokens[first]?.type === "punct" && (tokens[first] as { value: string }).value === "(")
    first += 1;
  const word = wordAt(tokens, first);
  if (word === null)
    return "A statement that does not start with a keyword cannot be classified, so it is not run.";
  const next = wordAt(tokens, first + 1);
  if (word === "DELIMITER")
    return "DELIMITER is a command of the mysql client, not SQL, and compound statements (BEGIN … END) are not supported: separate the statements with ';'.";
  if (TRANSACTION_CONTROL.has(word) || (word === "START" && next === "TRANSACTION"))
    return `${word} is not allowed: transaction control (START TRANSACTION, BEGIN, COMMIT, ROLLBACK, SAVEPOINT, XA, LOCK/UNLOCK TABLES) ends or reshapes the transaction; ${ONE_TRANSACTION}.`;
  if (
    IMPLICIT_COMMIT.has(word) ||
    word === "START" ||
    ((word === "ANALYZE" || word === "CHECK") && next === "TABLE") ||
    (word === "LOAD" && next === "INDEX")
  )
    return (
      `${word} is not allowed: MySQL and MariaDB commit the open transaction implicitly around it ` +
      `(DDL, account management, table maintenance, replication control), so the command could ` +
      `neither be held to max_affected_rows nor rolled back. Run it outside Countersign's MySQL engine.`
    );
  if (word === "CALL")
    return "CALL is not allowed: a stored procedure can commit, run DDL or write rows that its result does not count, none of which the engine could check or roll back.";
  if (word === "PREPARE" || word === "EXECUTE" || word === "DEALLOCATE")
    return `${word} is not allowed: dynamic SQL runs text that neither Countersign nor the reviewers can read before it runs.`;
  if (word === "LOAD")
    return "LOAD DATA / LOAD XML is not allowed: it reads a file (on the database server, or with LOCAL on the worker).";
  if (!ALLOWED.has(word)) return unsupported(word);
  if (word === "SET") return setRefusal(tokens.slice(first));
  return outfileRefusal(tokens);
}

/** The command's statements, or why it is refused; nothing here connects. */
export function prepareMysqlCommand(sql: string): PreparedCommand<MysqlStatement> {
  const split = splitMysqlStatements(sql);
  if (!split.ok) return split;
  for (const [index, statement] of split.statements.entries()) {
    const refused = mysqlStatementRefusal(statement);
    if (refused !== null) {
      const where =
        split.statements.length > 1 ? ` (statement ${index + 1}, line ${statement.line})` : "";
      return { ok: false, message: refused + where, code: REFUSED };
    }
  }
  return { ok: true, units: split.statements };
}
