/**
 * Engine selection (DESIGN §1.5): connections come from the server's environment,
 * COUNTERSIGN_RESOURCE_<NAME>_URL, never from the repository; the engine follows the URL scheme.
 * Nothing here connects: a missing or malformed URL is reported before any network traffic,
 * and no message quotes the URL (it holds the password).
 */
import { resourceUrlVariable } from "../policy/config.js";
import { parseMssqlUrl } from "./mssql-url.js";
import { MssqlEngine } from "./mssql.js";
import { parseMysqlUrl } from "./mysql-url.js";
import { MysqlEngine } from "./mysql.js";
import { PostgresEngine } from "./postgres.js";
import type { Engine } from "./types.js";
import { dialectOfUrl } from "./url-dialect.js";

export type {
  Engine,
  ExecuteOptions,
  ExecutionOutcome,
  ResultSet,
  SessionIdentity,
} from "./types.js";
export { terminateSession, type TerminateResult } from "./pg-terminate.js";
export { credentialRedactor, redactCredentials, type Redactor } from "./redact.js";
export { PostgresEngine } from "./postgres.js";
export { MssqlEngine } from "./mssql.js";
export { MysqlEngine } from "./mysql.js";
export { dialectOfUrl, type UrlDialect } from "./url-dialect.js";

export type OpenEngineResult = { ok: true; engine: Engine } | { ok: false; error: string };

export function openEngine(resource: string, env: NodeJS.ProcessEnv): OpenEngineResult {
  const variable = resourceUrlVariable(resource);
  const url = env[variable]?.trim();
  if (url === undefined || url === "") {
    return {
      ok: false,
      error: `No connection configured for resource "${resource}": set ${variable} in the server's environment.`,
    };
  }
  switch (dialectOfUrl(url)) {
    case "postgres":
      return openPostgres(url, variable);
    case "mssql": {
      const parsed = parseMssqlUrl(url);
      if (!parsed.ok) return { ok: false, error: `${variable}: ${parsed.error}` };
      return { ok: true, engine: new MssqlEngine(url, parsed.config) };
    }
    case "mysql": {
      const parsed = parseMysqlUrl(url);
      if (!parsed.ok) return { ok: false, error: `${variable}: ${parsed.error}` };
      return { ok: true, engine: new MysqlEngine(url, parsed.target) };
    }
    case "unknown":
      return {
        ok: false,
        error: `${variable} has an unsupported or missing URL scheme; expected postgres://, postgresql://, mssql://, sqlserver://, mysql:// or mariadb://.`,
      };
  }
}

/** `variable` names the URL in errors; the URL itself is never quoted. */
function openPostgres(url: string, variable: string): OpenEngineResult {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      ok: false,
      error: `${variable} is not a valid PostgreSQL URL (postgres://user:password@host:5432/database).`,
    };
  }
  // An empty host is only meaningful with ?host=/socket/dir (a Unix socket).
  if (parsed.hostname === "" && !parsed.searchParams.has("host")) {
    return {
      ok: false,
      error: `${variable} has no host (postgres://user:password@host:5432/database).`,
    };
  }
  return { ok: true, engine: new PostgresEngine(url) };
}
