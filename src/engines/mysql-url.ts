/**
 * A MySQL/MariaDB resource URL → where and as whom the engine connects. Errors never quote the
 * URL: it holds the password. Pure, tested without a server.
 */
import { dialectOfUrl } from "./url-dialect.js";

export const MYSQL_DEFAULT_PORT = 3306;
export const MYSQL_DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The connection's address and login; the session adds how it reads and runs (mysql-session). */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Empty: no default database (every table name must then be qualified). */
  database: string;
  connectTimeoutMs: number;
  /** TLS with the server's certificate verified; off unless the URL asks for it. */
  tls: boolean;
}

type Parsed = { ok: true; target: MysqlTarget } | { ok: false; error: string };

const SHAPE = "mysql://user:password@host:3306/database";

function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === "true" || v === "1" || v === "yes") return true;
  if (v === "false" || v === "0" || v === "no") return false;
  return null;
}

/** Percent-decoded parts, or null when one is malformed (decodeURIComponent would throw). */
function decodeAll(parts: string[]): string[] | null {
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    return null;
  }
}

/** `mysql://user:password@host:3306/database?ssl=true&connectTimeout=10000` (or `mariadb://…`). */
export function parseMysqlUrl(url: string): Parsed {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: `The MySQL/MariaDB URL is malformed; expected ${SHAPE}.` };
  }
  if (dialectOfUrl(parsed.href) !== "mysql")
    return { ok: false, error: `Not a MySQL/MariaDB URL (scheme ${parsed.protocol}).` };
  if (parsed.hostname === "")
    return { ok: false, error: `The MySQL/MariaDB URL has no host (${SHAPE}).` };
  if (parsed.username === "")
    return { ok: false, error: `The MySQL/MariaDB URL has no user (${SHAPE}).` };
  const decoded = decodeAll([parsed.pathname.replace(/^\//, ""), parsed.username, parsed.password]);
  if (decoded === null)
    return { ok: false, error: "The MySQL/MariaDB URL has a malformed %-escape." };
  const [database = "", user = "", password = ""] = decoded;
  if (database.includes("/"))
    return { ok: false, error: `The MySQL/MariaDB URL names more than one database (${SHAPE}).` };
  const target: MysqlTarget = {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? MYSQL_DEFAULT_PORT : Number(parsed.port),
    user,
    password,
    database,
    connectTimeoutMs: MYSQL_DEFAULT_CONNECT_TIMEOUT_MS,
    tls: false,
  };
  for (const [rawKey, value] of parsed.searchParams) {
    const key = rawKey.toLowerCase();
    if (key === "ssl") {
      const on = parseBoolean(value);
      if (on === null) return { ok: false, error: "URL parameter ssl must be true or false." };
      target.tls = on;
    } else if (key === "connecttimeout") {
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms <= 0)
        return {
          ok: false,
          error: "URL parameter connectTimeout must be a positive number of milliseconds.",
        };
      target.connectTimeoutMs = ms;
    } else {
      // Refused rather than ignored: a parameter the operator believes applies must not be lost.
      return {
        ok: false,
        error: `Unknown MySQL/MariaDB URL parameter "${rawKey}" (known: ssl, connectTimeout).`,
      };
    }
  }
  return { ok: true, target };
}
