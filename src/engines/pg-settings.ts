/**
 * The settings the PostgreSQL engine pins for every execution (issue 12, class 1).
 *
 * The guardrails and the engine's statement splitter read the command with PostgreSQL's own
 * parser under the default lexical rules. The server must read it the same way, so every
 * setting that changes how text is read (standard_conforming_strings, backslash_quote,
 * client_encoding) or how the transaction is bounded (the timeouts, read-only) is set with
 * set_config(…, is_local => true) at the start of the transaction, whatever the role's or
 * database's defaults say, and checked again after every statement: a change made where the
 * splitter cannot see it (a DO block, a function) stops the command before the next statement
 * is sent. All of these are `user`-context settings, settable by any role.
 */
import { PROTECTED_SETTINGS } from "../guardrails/pg-settings.js";

export interface PinnedSetting {
  name: string;
  value: string;
  /** server_version_num from which the server knows the setting; older servers skip it. */
  since: number;
}

/**
 * The server drops a session idle inside our transaction after this long. The engine never
 * waits between its own round trips, so a transaction idle this long has lost its worker, and
 * must not keep holding its locks.
 */
export const IDLE_IN_TRANSACTION_MS = 30_000;

/**
 * How often the server checks, while a statement runs, that the client is still connected
 * (PostgreSQL 14+): a statement whose worker died stops within seconds, not at its timeout.
 */
export const CONNECTION_CHECK_MS = 5_000;

/**
 * Every setting a command may not change, with SET/RESET, set_config or otherwise: the
 * guardrails' list, so intake and the engine never disagree.
 */
export const GUARDED_SETTINGS: ReadonlySet<string> = PROTECTED_SETTINGS;

export interface PinOptions {
  readOnly: boolean;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** The settings pinned for one execution, in the order they are set. */
export function pinnedSettings(options: PinOptions): PinnedSetting[] {
  const settings: PinnedSetting[] = [
    // How the text is read: '\' is an ordinary character in '…' strings, as the parser
    // that split the command assumed; no encoding whose bytes can hide a quote or backslash.
    { name: "standard_conforming_strings", value: "on", since: 0 },
    { name: "backslash_quote", value: "safe_encoding", since: 0 },
    { name: "escape_string_warning", value: "on", since: 0 },
    { name: "client_encoding", value: "UTF8", since: 0 },
    // How the transaction is bounded (values in ms, the settings' base unit).
    { name: "statement_timeout", value: String(options.statementTimeoutMs), since: 0 },
    { name: "lock_timeout", value: String(options.lockTimeoutMs), since: 0 },
    {
      name: "idle_in_transaction_session_timeout",
      value: String(IDLE_IN_TRANSACTION_MS),
      since: 90_600,
    },
    {
      name: "client_connection_check_interval",
      value: String(CONNECTION_CHECK_MS),
      since: 140_000,
    },
  ];
  // BEGIN READ ONLY already sets it; pinning it too puts it under the same after-statement
  // check as everything else.
  if (options.readOnly) settings.push({ name: "transaction_read_only", value: "on", since: 0 });
  return settings;
}

/**
 * One round trip that pins the settings the server knows and returns their values as the
 * server shows them (e.g. `10s`), which become the baseline of the after-statement check.
 * Everything is schema-qualified, operators included: nothing here may resolve through a
 * search_path that a role's defaults could point elsewhere.
 */
export const PIN_SQL =
  "SELECT s.name, pg_catalog.set_config(s.name, s.value, true) AS value " +
  "FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]), " +
  "pg_catalog.unnest($3::pg_catalog.int4[])) AS s(name, value, since) " +
  "WHERE s.since OPERATOR(pg_catalog.<=) pg_catalog.current_setting('server_version_num')::pg_catalog.int4";

export function pinParameters(settings: PinnedSetting[]): [string[], string[], number[]] {
  return [settings.map((s) => s.name), settings.map((s) => s.value), settings.map((s) => s.since)];
}

/**
 * The current value of each watched setting; NULL for a setting the server does not have
 * (missing_ok), so older servers compare equal to themselves.
 */
export const WATCH_SQL =
  "SELECT s.name, pg_catalog.current_setting(s.name, true) AS value " +
  "FROM pg_catalog.unnest($1::pg_catalog.text[]) AS s(name)";

/** The names checked after every statement: what was pinned, and what may never change. */
export function watchedNames(settings: PinnedSetting[]): string[] {
  return [...new Set([...settings.map((s) => s.name), ...GUARDED_SETTINGS])];
}

export interface SettingValue {
  name: string;
  value: string | null;
}

/** Names whose value differs from the baseline (a name missing from `now` counts as changed). */
export function changedSettings(baseline: SettingValue[], now: SettingValue[]): string[] {
  const current = new Map(now.map((row) => [row.name, row.value]));
  return baseline
    .filter((row) => !current.has(row.name) || current.get(row.name) !== row.value)
    .map((row) => row.name);
}

/** Checks that the pin took: every setting the server knows came back with a value. */
export function pinProblem(settings: PinnedSetting[], returned: SettingValue[]): string | null {
  const names = new Set(returned.map((row) => row.name));
  const missing = settings.filter((s) => s.since === 0 && !names.has(s.name)).map((s) => s.name);
  return missing.length === 0 ? null : `could not pin ${missing.join(", ")}`;
}
