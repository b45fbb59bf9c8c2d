/**
 * A SQL Server resource URL → the mssql package's config. Errors never quote the URL: it holds
 * the password. Pure, so it is tested without a server.
 */
import type { config as MssqlConfig } from "mssql";
import { dialectOfUrl } from "./url-dialect.js";

export const MSSQL_DEFAULT_PORT = 1433;
export const MSSQL_DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

type Parsed<T> = { ok: true } & T;
type Refused = { ok: false; error: string };
type MssqlOptions = NonNullable<MssqlConfig["options"]>;

/** Query parameters understood in a resource URL; anything else is refused, not ignored. */
const KNOWN_PARAMS = new Set([
  "encrypt",
  "trustservercertificate",
  "instancename",
  "connecttimeout",
  "applicationintent",
]);

function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === "true" || v === "1" || v === "yes") return true;
  if (v === "false" || v === "0" || v === "no") return false;
  return null;
}

/**
 * `mssql://user:password@host:1433/database?encrypt=true&trustServerCertificate=false` (or
 * `sqlserver://…`) → the mssql package's config. Encryption is on and certificates are
 * verified unless the URL says otherwise.
 */
export function parseMssqlUrl(
  url: string,
): { ok: true; config: MssqlConfig } | { ok: false; error: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      ok: false,
      error:
        "The SQL Server URL is malformed; expected mssql://user:password@host:1433/database?encrypt=true " +
        "(the JDBC form with ';' properties is not supported).",
    };
  }
  const address = readAddress(parsed);
  if (!address.ok) return address;
  const params = readParameters(parsed.searchParams);
  if (!params.ok) return params;
  const { options, connectionTimeout } = params;
  const config: MssqlConfig = {
    server: parsed.hostname.replace(/^\[|\]$/g, ""),
    database: address.database,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    connectionTimeout,
    // One execution, one connection: a pool of one that never keeps an idle connection.
    pool: { max: 1, min: 0, idleTimeoutMillis: 1_000 },
    options,
  };
  // mssql ignores the port when an instance name is given (the browser service resolves it).
  if (options.instanceName === undefined) config.port = address.port;
  return { ok: true, config };
}

/** Scheme, host, user, database and port: what the URL must say outside its parameters. */
function readAddress(parsed: URL): Parsed<{ database: string; port: number }> | Refused {
  // parsed.href starts with the normalized (lower-case) scheme.
  if (dialectOfUrl(parsed.href) !== "mssql")
    return { ok: false, error: `Not a SQL Server URL (scheme ${parsed.protocol}).` };
  if (parsed.hostname === "") return { ok: false, error: "The SQL Server URL has no host." };
  if (parsed.username === "")
    return {
      ok: false,
      error: "The SQL Server URL has no user (only SQL authentication is supported).",
    };
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database === "" || database.includes("/"))
    return {
      ok: false,
      error: "The SQL Server URL must name exactly one database: mssql://…@host:1433/<database>.",
    };
  let port = MSSQL_DEFAULT_PORT;
  if (parsed.port !== "") port = Number(parsed.port);
  return { ok: true, database, port };
}

/** The URL's query parameters → driver options; an unknown or invalid one is refused. */
function readParameters(
  params: URLSearchParams,
): Parsed<{ options: MssqlOptions; connectionTimeout: number }> | Refused {
  const options: MssqlOptions = {
    encrypt: true,
    trustServerCertificate: false,
    appName: "countersign",
  };
  let connectionTimeout = MSSQL_DEFAULT_CONNECT_TIMEOUT_MS;
  for (const [rawKey, value] of params) {
    const key = rawKey.toLowerCase();
    if (!KNOWN_PARAMS.has(key))
      return {
        ok: false,
        error: `Unknown SQL Server URL parameter "${rawKey}" (known: encrypt, trustServerCertificate, instanceName, connectTimeout, applicationIntent).`,
      };
    if (key === "encrypt" || key === "trustservercertificate") {
      const b = parseBoolean(value);
      if (b === null) return { ok: false, error: `URL parameter ${rawKey} must be true or false.` };
      if (key === "encrypt") options.encrypt = b;
      else options.trustServerCertificate = b;
    } else if (key === "instancename") {
      options.instanceName = value;
    } else if (key === "connecttimeout") {
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms <= 0)
        return {
          ok: false,
          error: "URL parameter connectTimeout must be a positive number of milliseconds.",
        };
      connectionTimeout = ms;
    } else if (key === "applicationintent") {
      const intent = value.toLowerCase();
      if (intent !== "readonly" && intent !== "readwrite")
        return {
          ok: false,
          error: "URL parameter applicationIntent must be ReadOnly or ReadWrite.",
        };
      options.readOnlyIntent = intent === "readonly";
    }
  }
  return { ok: true, options, connectionTimeout };
}
