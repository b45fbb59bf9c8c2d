/**
 * Settings and transaction bounds (issue 12, class 1). The worker pins the settings that
 * decide how the server reads text or bounds the transaction; a command that changes one
 * would make the server read the rest of the command differently from the guardrails (the
 * `standard_conforming_strings` desync) or escape the worker's safety nets. Such statements
 * are refused at intake, before anyone is asked to approve them.
 */
import { defElems, isObject, list, str, type JsonObject } from "./pg-ast.js";
import { constValue } from "./pg-fold.js";

/**
 * Settings no command may change: the engine pins most of them at the start of the
 * transaction and checks all of them after every statement; the guardrails refuse a
 * statement that changes one at intake. The one list both use. Lower case: PostgreSQL's
 * setting names are case-insensitive.
 */
export const PROTECTED_SETTINGS: ReadonlySet<string> = new Set([
  // How the server reads the text of later statements.
  "standard_conforming_strings",
  "backslash_quote",
  "escape_string_warning",
  "client_encoding",
  // The worker's safety nets.
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "client_connection_check_interval",
  "transaction_timeout",
  "transaction_read_only",
  "default_transaction_read_only",
  "transaction_isolation",
  "default_transaction_isolation",
  "transaction_deferrable",
  "default_transaction_deferrable",
  // Which function a name means: a changed search_path lets a user function shadow an
  // allowlisted built-in.
  "search_path",
  // Who runs the command, and whether triggers and foreign keys fire.
  "session_replication_role",
  "role",
  "session_authorization",
]);

export function pinnedSetting(name: string): boolean {
  return PROTECTED_SETTINGS.has(name.toLowerCase());
}

/**
 * The settings a `VariableSetStmt` body changes. SET TRANSACTION and SET SESSION
 * CHARACTERISTICS carry theirs as options; RESET ALL changes every one (`*`).
 */
export function settingsChanged(body: JsonObject): string[] {
  if (body.kind === "VAR_RESET_ALL") return ["*"];
  const name = (str(body.name) ?? "").toLowerCase();
  if (body.kind === "VAR_SET_MULTI") {
    const prefix = name === "session characteristics" ? "default_" : "";
    const names = defElems(body.args).map((option) => `${prefix}${str(option.defname) ?? ""}`);
    // An unknown multi-setting form is treated as touching the transaction's bounds.
    return names.length > 0 ? names : ["transaction_isolation"];
  }
  return [name];
}

function describe(body: JsonObject): string {
  if (body.kind === "VAR_RESET_ALL") return "RESET ALL";
  const name = str(body.name) ?? "";
  if (body.kind === "VAR_SET_MULTI") return `SET ${name.toUpperCase()}`;
  if (name === "role") return "SET ROLE";
  if (name === "session_authorization") return "SET SESSION AUTHORIZATION";
  if (name === "client_encoding") return "SET NAMES / client_encoding";
  return str(body.kind)?.startsWith("VAR_RESET") === true ? "RESET" : "SET";
}

/** Why a SET/RESET statement that runs now must be refused, or undefined. */
export function settingRefusal(body: JsonObject): string | undefined {
  const changed = settingsChanged(body);
  const pinned = changed.find((name) => name === "*" || pinnedSetting(name));
  if (pinned === undefined) return undefined;
  const what = pinned === "*" ? "every setting, including those" : pinned;
  return `${describe(body)} changes ${what}, which Countersign pins for the whole command`;
}

/** The pinned setting a `SET` nested in another statement makes permanent, if any. */
export function nestedPinnedSetting(body: JsonObject): string | undefined {
  return settingsChanged(body).find((name) => name === "*" || pinnedSetting(name));
}

/**
 * `set_config(name, value, is_local)` anywhere in a statement. Undefined when the name is a
 * literal, unpinned setting; otherwise why the statement must be refused.
 */
export function setConfigRefusal(args: unknown): string | undefined {
  const first = constValue(list(args)[0]);
  if (first?.t !== "str") {
    return "set_config with a setting name that is not a string literal could change a pinned setting";
  }
  if (!pinnedSetting(first.v)) return undefined;
  return `set_config('${first.v}', …) changes a setting Countersign pins for the whole command`;
}

/** Why a transaction-control statement is refused at intake. */
export function transactionRefusal(command: string): string {
  return `${command} would end or split the transaction Countersign runs the command in`;
}

/** `INSERT/UPDATE/DELETE/MERGE … pg_settings` is `set_config` in disguise. */
export function targetsPgSettings(body: JsonObject): boolean {
  const relation = isObject(body.relation) ? body.relation : undefined;
  const name = relation === undefined ? undefined : str(relation.relname);
  const schema = relation === undefined ? undefined : str(relation.schemaname);
  return name === "pg_settings" && (schema === undefined || schema === "pg_catalog");
}

/** `DISCARD ALL` resets every setting, as RESET ALL does. */
export function discardRefusal(body: JsonObject): string | undefined {
  return body.target === "DISCARD_ALL"
    ? "DISCARD ALL resets every setting, including the ones Countersign pins"
    : undefined;
}
