/**
 * The connections of the MySQL/MariaDB engine: the mysql2 options every one of them is opened
 * with (each a safety choice), and the second connection that stops a running statement.
 */
import mysql from "mysql2";
import type { ConnectionOptions } from "mysql2";
import type { MysqlTarget } from "./mysql-url.js";

const KILL_CONNECT_TIMEOUT_MS = 5_000;

/** mysql2's options for a connection to `target`; every choice here is a safety one. */
export function mysqlConnectionOptions(
  target: MysqlTarget,
  connectTimeoutMs?: number,
): ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(target.database === "" ? {} : { database: target.database }),
    connectTimeout: connectTimeoutMs ?? target.connectTimeoutMs,
    ...(target.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    // utf8mb4 both ways: no multi-byte character set whose trailing byte can be a backslash.
    charset: "UTF8MB4_UNICODE_CI",
    // One statement per query, always: the splitter's cut is the server's.
    multipleStatements: false,
    // LOCAL INFILE would let the server ask the worker for any of its files. mysql2 asks for
    // IGNORE_SPACE by default, which puts it in the session's sql_mode: `count (*)` would then
    // call a function the guardrails read as a name, and the engine refuses that mode.
    flags: ["-LOCAL_FILES", "-MULTI_STATEMENTS", "-IGNORE_SPACE"],
    // The text is sent exactly as written: no `?` placeholder is ever substituted.
    queryFormat: (sql: string) => sql,
    // Raw bytes for every column (exact numbers and dates, cheap for dropped rows).
    typeCast: false,
    rowsAsArray: true,
    // Only for counts (affectedRows), which then never lose precision.
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/**
 * `KILL QUERY` from a second connection: the statement ends with an error (or, for SLEEP, early),
 * and the session and its transaction stay, to be rolled back. A user may always kill its own
 * connections' queries. Best effort and never throws: the statement's bounds still apply.
 */
export async function killQuery(target: MysqlTarget, threadId: number): Promise<void> {
  const killer = mysql.createConnection(
    mysqlConnectionOptions(target, Math.min(target.connectTimeoutMs, KILL_CONNECT_TIMEOUT_MS)),
  );
  killer.on("error", () => undefined);
  try {
    await new Promise<void>((resolve, reject) =>
      // threadId is the server's integer connection id, never text: safe to interpolate.
      killer.query(`KILL QUERY ${Math.trunc(threadId)}`, (error: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
  } catch {
    // Best effort: the statement timeout still bounds the statement.
  } finally {
    killer.destroy();
  }
}
