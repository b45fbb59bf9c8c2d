/**
 * Statements that change how the server reads the rest of the command, how the worker's
 * transaction is bounded, or whose identity runs it (issue 12, class 1, for MySQL and
 * MariaDB). The worker runs every command in one transaction with its own sql_mode,
 * autocommit, time limits and read-only mode; a statement that changes any of that is
 * refused at intake, on every resource, before anyone is asked to review it.
 */
import type { MysqlToken } from "./mysql-tokenize.js";

/**
 * Session settings a command may change: they shape results (time zone, output limits) or
 * memory, never how text is read, how the transaction ends, or which checks run. Every
 * other setting is refused, because MySQL has hundreds and many defeat a safety net
 * (sql_mode, autocommit, foreign_key_checks, unique_checks, sql_log_bin, sql_safe_updates,
 * max_execution_time, innodb_lock_wait_timeout, character_set_client, completion_type …).
 */
const HARMLESS_SESSION_SETTINGS = new Set([
  "time_zone",
  "lc_time_names",
  "lc_messages",
  "group_concat_max_len",
  "sort_buffer_size",
  "join_buffer_size",
  "read_buffer_size",
  "read_rnd_buffer_size",
  "tmp_table_size",
  "max_heap_table_size",
  "div_precision_increment",
  "cte_max_recursion_depth",
  "max_recursive_iterations",
  "max_sort_length",
  "optimizer_search_depth",
  "optimizer_prune_level",
  "eq_range_index_dive_limit",
  "profiling",
  "profiling_history_size",
  "net_read_timeout",
  "net_write_timeout",
  "default_week_format",
]);

export interface SetFacts {
  /** `SET @a = …` only: user variables, which live in the session. */
  userVariablesOnly: boolean;
  /** Lower-case system settings assigned (`sort_buffer_size` …). */
  settings: string[];
  refusal?: string;
  /** The statement is not a variable assignment but privilege management (SET PASSWORD). */
  dcl?: string;
}

function word(token: MysqlToken | undefined): string | undefined {
  return token?.type === "word" ? token.value : undefined;
}

const SCOPES = new Set(["GLOBAL", "SESSION", "LOCAL", "PERSIST", "PERSIST_ONLY"]);
const SERVER_SCOPES = new Set(["GLOBAL", "PERSIST", "PERSIST_ONLY"]);

const TRANSACTION_REFUSAL =
  "SET TRANSACTION is refused: the worker chooses the isolation level and access mode of its transaction";

/** SET forms that are not variable assignments; undefined for an assignment list. */
function specialSet(toks: MysqlToken[], s: number, e: number): SetFacts | undefined {
  let k = s + 1;
  const first = word(toks[k]);
  if (first !== undefined && SCOPES.has(first) && word(toks[k + 1]) === "TRANSACTION") k += 1;
  const what = word(toks[k]);
  const next = word(toks[k + 1]);
  const base: SetFacts = { userVariablesOnly: false, settings: [] };
  if (k >= e) return { ...base, refusal: "SET without anything to set is refused" };
  switch (what) {
    case "TRANSACTION":
      return { ...base, refusal: TRANSACTION_REFUSAL };
    case "NAMES":
    case "CHARSET":
      return {
        ...base,
        refusal: `SET ${what} is refused: it changes the character set the server reads the command in`,
      };
    case "CHARACTER":
      return next === "SET"
        ? {
            ...base,
            refusal:
              "SET CHARACTER SET is refused: it changes the character set the server reads the command in",
          }
        : undefined;
    case "ROLE":
      return {
        ...base,
        refusal: "SET ROLE is refused: the command must run with the worker's own privileges",
      };
    case "STATEMENT":
      return {
        ...base,
        refusal:
          "SET STATEMENT … FOR is refused: it changes settings Countersign pins for the statement",
      };
    case "PASSWORD":
      return { ...base, dcl: "SET PASSWORD changes an account's password" };
    case "DEFAULT":
      return next === "ROLE"
        ? { ...base, dcl: "SET DEFAULT ROLE changes an account's roles" }
        : undefined;
    case "RESOURCE":
      return next === "GROUP"
        ? { ...base, refusal: "SET RESOURCE GROUP is refused: it moves the worker's thread" }
        : undefined;
    default:
      return undefined;
  }
}

interface Target {
  user: boolean;
  server: boolean;
  name: string;
}

/** The variable an assignment item (tokens [a, b), before its `=`) targets. */
function target(toks: MysqlToken[], a: number, b: number, scope: string | undefined): Target {
  const first = toks[a];
  const rest = toks
    .slice(a + 1, b)
    .map((token) => (token.type === "word" ? token.value.toLowerCase() : token.value))
    .join("");
  if (first?.type === "variable" && !first.text.startsWith("@@")) {
    return { user: true, server: false, name: first.text };
  }
  if (first?.type === "variable") {
    const head = first.text.slice(2).toUpperCase();
    if (SCOPES.has(head) && rest.startsWith(".")) {
      return { user: false, server: SERVER_SCOPES.has(head), name: rest.slice(1) };
    }
    return { user: false, server: false, name: (first.text.slice(2) + rest).toLowerCase() };
  }
  const head = word(first);
  if (head !== undefined && SCOPES.has(head)) {
    const name = toks
      .slice(a + 1, b)
      .map((token) => token.value.toLowerCase())
      .join("");
    return { user: false, server: SERVER_SCOPES.has(head), name };
  }
  const name = toks
    .slice(a, b)
    .map((token) => token.value.toLowerCase())
    .join("");
  return { user: false, server: scope !== undefined && SERVER_SCOPES.has(scope), name };
}

/** Splits `SET a = 1, b = (x, y)` into its items' token ranges. */
function items(toks: MysqlToken[], s: number, e: number): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let from = s + 1;
  for (let k = s + 1; k < e; k += 1) {
    const type = toks[k]?.type;
    if (type === "lparen") depth += 1;
    else if (type === "rparen") depth -= 1;
    else if (type === "comma" && depth === 0) {
      out.push([from, k]);
      from = k + 1;
    }
  }
  out.push([from, e]);
  return out;
}

/** What a SET statement (tokens [s, e), SET first) changes, and whether it is refused. */
export function setFacts(toks: MysqlToken[], s: number, e: number): SetFacts {
  const special = specialSet(toks, s, e);
  if (special !== undefined) return special;
  const facts: SetFacts = { userVariablesOnly: true, settings: [] };
  let scope: string | undefined;
  for (const [a, b] of items(toks, s, e)) {
    const equals = toks.findIndex(
      (token, k) =>
        k >= a && k < b && token.type === "op" && (token.text === "=" || token.text === ":="),
    );
    if (equals === -1) {
      return {
        ...facts,
        refusal: "SET could not be read as variable assignments, so it is refused",
      };
    }
    const lead = word(toks[a]);
    if (lead !== undefined && SCOPES.has(lead)) scope = lead;
    const assigned = target(toks, a, equals, scope);
    if (assigned.user) continue;
    facts.userVariablesOnly = false;
    facts.settings.push(assigned.name);
    if (assigned.server) {
      facts.refusal ??= `SET GLOBAL/PERSIST ${assigned.name} is refused: it changes the server for every session; run it outside Countersign`;
    } else if (!HARMLESS_SESSION_SETTINGS.has(assigned.name)) {
      facts.refusal ??= `SET ${assigned.name} is refused: the worker pins the session's settings (sql_mode, autocommit, time limits, checks) for the whole command, and only a few harmless ones may change`;
    }
  }
  return facts;
}

/** Why a transaction-control statement is refused. */
export function transactionRefusal(command: string): string {
  return `${command} is refused: it would end or split the transaction Countersign runs the command in`;
}

/** Why LOCK/UNLOCK TABLES or INSTANCE and FLUSH … WITH READ LOCK are refused. */
export function lockRefusal(command: string): string {
  return `${command} is refused: in MySQL it commits the worker's transaction and holds locks beyond it`;
}

/** Why a statement that commits implicitly may not share a command with other statements. */
export function implicitCommitRefusal(command: string): string {
  return `${command} commits the transaction implicitly in MySQL, so the statements around it would not run in the worker's one transaction: send it as a command of its own`;
}
