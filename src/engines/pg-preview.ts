/**
 * The dry run on a preview target (issue 16): the command runs on the operator's preview
 * database (`COUNTERSIGN_RESOURCE_<NAME>_PREVIEW_URL`, a replica clone or a staging copy) through
 * the PostgreSQL engine's own path, with the resource's timeouts, and is always rolled back
 * (ExecuteOptions.alwaysRollBack), so the request shows the real affected-row count of each
 * statement and the first rows of any result or RETURNING, and the preview keeps nothing.
 *
 * What a rollback cannot undo is not undone here either: sequences advance, dblink and COPY …
 * TO a file act outside the transaction. That is why it runs on a copy, never the resource.
 */
import type { PreviewResult } from "./plan-types.js";
import { PostgresEngine } from "./postgres.js";
import type { ExecuteOptions } from "./types.js";
import { dialectOfUrl } from "./url-dialect.js";

export interface PreviewOptions {
  /** The resource's timeouts, as the real execution uses them. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Rows kept per result for the request PR; default 10. */
  keepRows?: number;
  /** Run it as a read-only command (the classification said read). */
  readOnly?: boolean;
  /** The resource's limit: a dry run over it reports the refusal the execution would make. */
  maxAffectedRows?: number;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * The resource's own URL: a preview URL that names the same database is refused, whatever
   * the configuration says (a dry run on the resource would lock and consume its sequences).
   */
  resourceUrl?: string;
}

const DEFAULT_KEEP_ROWS = 10;

/** host, port and database of a PostgreSQL URL, for telling two targets apart; null if unreadable. */
function targetOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    const host = (parsed.searchParams.get("host") ?? parsed.hostname).toLowerCase();
    const port = parsed.port === "" ? "5432" : parsed.port;
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    return JSON.stringify([host, port, database]);
  } catch {
    return null;
  }
}

/** Why the dry run may not start, or null. */
function refusal(previewUrl: string, options: PreviewOptions): string | null {
  if (dialectOfUrl(previewUrl) !== "postgres")
    return "The preview target is not a PostgreSQL URL; dry runs are made on PostgreSQL only.";
  const preview = targetOf(previewUrl);
  if (preview === null) return "The preview target's URL is not a valid PostgreSQL URL.";
  if (options.resourceUrl !== undefined && targetOf(options.resourceUrl) === preview)
    return "The preview target is the resource itself; a dry run is only made on a separate copy.";
  return null;
}

/**
 * Runs `sql` on the preview target and rolls it back. Never throws: a refusal is
 * `{ ok: false, reason }`; a target that cannot be reached or a command that fails there is an
 * outcome with its (redacted) error, which the request PR shows as such.
 */
export async function previewCommand(
  previewUrl: string,
  sql: string,
  options: PreviewOptions,
): Promise<PreviewResult> {
  const refused = refusal(previewUrl, options);
  if (refused !== null) return { ok: false, reason: refused };
  const ranAt = new Date().toISOString();
  const engine = new PostgresEngine(
    previewUrl,
    options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs },
  );
  const execute: ExecuteOptions = {
    sql,
    readOnly: options.readOnly ?? false,
    statementTimeoutMs: options.statementTimeoutMs,
    lockTimeoutMs: options.lockTimeoutMs,
    keepRows: options.keepRows ?? DEFAULT_KEEP_ROWS,
    alwaysRollBack: true,
    ...(options.maxAffectedRows === undefined ? {} : { maxAffectedRows: options.maxAffectedRows }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  try {
    const outcome = await engine.execute(execute);
    return { ok: true, ranAt, outcome };
  } finally {
    await engine.close();
  }
}
