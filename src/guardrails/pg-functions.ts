/**
 * "Read" is an allowlist (issue 12, class 2): a statement is read-only only when every
 * function it calls is known to change nothing. Known means a PostgreSQL built-in from
 * the generated list (pg-read-functions.ts), or a name the operator lists for the resource
 * (`read_functions`). Anything else may write, over this connection or another one
 * (dblink_exec, http_post, pg_background_launch), so it needs a reviewer.
 */
import { pgAdminFunction } from "./danger.js";
import { PG_OTHER_BUILTINS, PG_READ_FUNCTIONS } from "./pg-read-functions.js";
import { PG_BUILTIN_OPERATORS, PG_BUILTIN_TYPES } from "./pg-builtin-names.js";

export type FunctionVerdict = "read" | "admin" | "unknown";

/**
 * Names the parser writes for SQL-standard syntax (`SYSTEM_USER`) or that newer servers
 * added after the version the list was generated from; all immutable or stable.
 */
const NEWER_READ_FUNCTIONS = new Set([
  "system_user",
  "any_value",
  "pg_input_is_valid",
  "pg_input_error_info",
  "random_normal",
  "array_sample",
  "array_shuffle",
]);

/**
 * The schema a call resolves in, when the name says so. The engine pins search_path, so an
 * unqualified name resolves in pg_catalog first, as the parser assumes.
 */
function split(parts: readonly string[]): { schema: string | undefined; name: string } {
  const name = parts[parts.length - 1] ?? "";
  return { schema: parts.length > 1 ? parts.slice(0, -1).join(".") : undefined, name };
}

function builtinRead(name: string): boolean {
  return PG_READ_FUNCTIONS.has(name) || NEWER_READ_FUNCTIONS.has(name);
}

/**
 * How a call of `parts` (the parser's name parts: unquoted ones already lower case) is
 * judged. `readFunctions` entries are lower case, optionally schema-qualified.
 */
export function functionVerdict(
  parts: readonly string[],
  readFunctions: ReadonlySet<string>,
): FunctionVerdict {
  const { schema, name } = split(parts);
  // By name in any schema: an extension's admin function is admin wherever it lives.
  if (pgAdminFunction(name.toLowerCase())) return "admin";
  if (schema === undefined || schema === "pg_catalog") {
    if (builtinRead(name)) return "read";
  }
  return readFunctions.has(parts.join(".")) ? "read" : "unknown";
}

/**
 * Whether planning the call could run code nobody reviewed. The planner evaluates only
 * immutable and stable functions with constant arguments; built-ins do nothing there, but
 * a user function declared IMMUTABLE could do anything (plain EXPLAIN, class 7).
 */
export function plannerSafe(parts: readonly string[], readFunctions: ReadonlySet<string>): boolean {
  const { schema, name } = split(parts);
  if (schema === undefined || schema === "pg_catalog") {
    if (builtinRead(name) || PG_OTHER_BUILTINS.has(name)) return true;
  }
  return readFunctions.has(parts.join("."));
}

/**
 * Whether an operator (the parser's name parts: `===`, or `OPERATOR(myschema.===)`) is
 * PostgreSQL's own. Anything else is implemented by a function nobody reviewed, called
 * where no call is written.
 */
export function builtinOperator(parts: readonly string[]): boolean {
  const { schema, name } = split(parts);
  return (schema === undefined || schema === "pg_catalog") && PG_BUILTIN_OPERATORS.has(name);
}

/**
 * Whether a cast's target type is PostgreSQL's own. A cast to a type of a user's schema
 * (or a domain, an enum) may run code of that type (its input function, a user-defined
 * cast): not provably a read.
 */
export function builtinType(parts: readonly string[]): boolean {
  const { schema, name } = split(parts);
  return (schema === undefined || schema === "pg_catalog") && PG_BUILTIN_TYPES.has(name);
}

/** The operator's list, normalised once per classification. */
export function readFunctionSet(names: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((names ?? []).map((name) => name.trim().toLowerCase()));
}
