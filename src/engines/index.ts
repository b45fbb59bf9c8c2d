/**
 * Engine selection (DESIGN §1.5): connections come from the server's environment,
 * COUNTERSIGN_RESOURCE_<NAME>_URL, never from the repository; the engine follows the URL scheme.
 * Nothing here connects: a missing or malformed URL is reported before any network traffic,
 * and no message quotes the URL (it holds the password).
 */
import { resourceUrlVariable } from "../policy/config.js";
import { parseMssqlUrl } from "./mssql-logic.js";
import { MssqlEngine } from "./mssql.js";
import { PostgresEngine } from "./postgres.js";
import type { Engine } from "./types.js";

export type { Engine, ExecuteOptions, ExecutionOutcome, ResultSet } from "./types.js";
export { credentialRedactor, redactCredentials, type Redactor } from "./redact.js";
export { PostgresEngine } from "./postgres.js";
export { MssqlEngine } from "./mssql.js";

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
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "postgres":
    case "postgresql": {
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
    case "mssql":
    case "sqlserver": {
      const parsed = parseMssqlUrl(url);
      if (!parsed.ok) return { ok: false, error: `${variable}: ${parsed.error}` };
      return { ok: true, engine: new MssqlEngine(url, parsed.config) };
    }
    case "mysql":
    case "mariadb":
      return {
        ok: false,
        error: `${variable} points to MySQL/MariaDB, which Countersign does not support yet (supported: postgres://, mssql://).`,
      };
    default:
      return {
        ok: false,
        error: `${variable} has an unsupported or missing URL scheme; expected postgres://, postgresql://, mssql:// or sqlserver://.`,
      };
  }
}
