/**
 * Splits a PostgreSQL command into its statements with PostgreSQL's own parser (libpg-query,
 * WASM). The extended protocol, which row streaming through a cursor needs, takes one statement
 * per Parse message, so the split must be exact: a regex cannot know about dollar quoting,
 * nested comments or E'' strings. The parser also lets the engine refuse, before anything
 * runs, the statements that would end the transaction it wraps the command in or change a
 * setting it pins (pg-settings.ts): SET/RESET of those names, RESET ALL, SET ROLE, SET SESSION
 * AUTHORIZATION, and set_config(…) anywhere in a statement's tree (CTE, subquery, WHERE,
 * argument) with a pinned or computed name. What the tree cannot show (a DO block or a function
 * calling set_config) is caught by the engine's check after each statement.
 */
import { parse } from "libpg-query";
import type { RawStmt } from "libpg-query";
import { GUARDED_SETTINGS } from "./pg-settings.js";

export interface PgStatement {
  /** Exactly the statement's source text (without the separating semicolon). */
  text: string;
  /** 0-based offset of `text` in the whole command, in characters (code points), like PG's. */
  charOffset: number;
  /** Parse-node kind, e.g. "SelectStmt", "UpdateStmt"; "unparsed" for the fallback. */
  kind: string;
}

export type SplitResult =
  | { ok: true; statements: PgStatement[]; parsed: boolean }
  | { ok: false; message: string; code: string };

function codePoints(text: string): number {
  // Spreading a string walks code points, so a surrogate pair counts once, as PG counts it.
  return [...text].length;
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every object in a parse tree, depth first, without recursion: a statement nested thousands
 * deep must not overflow the stack here.
 */
function* treeNodes(root: unknown): Generator<Node> {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (isNode(value)) {
      yield value;
      for (const child of Object.values(value)) if (typeof child === "object") stack.push(child);
    }
  }
}

/** The last part of a (possibly schema-qualified) name list: `pg_catalog.set_config` → set_config. */
function lastName(names: unknown): string | null {
  if (!Array.isArray(names)) return null;
  const last: unknown = names.at(-1);
  if (!isNode(last) || !isNode(last.String)) return null;
  const sval = last.String.sval;
  return typeof sval === "string" ? sval.toLowerCase() : null;
}

/** The text of a plain string literal; null for anything else (casts, parameters, columns …). */
function stringLiteral(node: unknown): string | null {
  if (!isNode(node) || !isNode(node.A_Const)) return null;
  const sval = node.A_Const.sval;
  if (!isNode(sval)) return null;
  // libpg-query omits the field for the empty string.
  return typeof sval.sval === "string" ? sval.sval : "";
}

const PINNED_EXPLANATION =
  "Countersign keeps it fixed for the whole execution, so that the database reads and bounds the command exactly as the guardrails and the reviewers did";

/** set_config(name, …) anywhere in a statement: refused for a guarded or computed name. */
function setConfigRefusal(call: Node): string | null {
  if (lastName(call.funcname) !== "set_config") return null;
  const args = Array.isArray(call.args) ? (call.args as unknown[]) : [];
  const name = stringLiteral(args[0]);
  if (name === null)
    return "set_config(…) whose setting name is not a string literal is not allowed: Countersign cannot tell which setting it changes.";
  if (GUARDED_SETTINGS.has(name.toLowerCase()))
    return `set_config('${name}', …) is not allowed: ${PINNED_EXPLANATION}.`;
  return null;
}

/** Writing to pg_settings calls set_config through the view's rule. */
function settingsViewRefusal(kind: string, statement: Node): string | null {
  const relation = statement.relation;
  if (!isNode(relation) || typeof relation.relname !== "string") return null;
  if (relation.relname.toLowerCase() !== "pg_settings") return null;
  return `${kind.replace(/Stmt$/, "").toUpperCase()} on pg_settings is not allowed: it changes settings, and ${PINNED_EXPLANATION}.`;
}

const WRITE_STATEMENTS = new Set(["UpdateStmt", "InsertStmt", "DeleteStmt", "MergeStmt"]);
const FUNCTION_DEFINITIONS = new Set(["CreateFunctionStmt", "AlterFunctionStmt"]);

/**
 * A `SET name …` attached to a function or procedure applies while its body runs, where the
 * pinned reading of text would not hold. search_path is the exception: setting it on a
 * SECURITY DEFINER function is good practice, and it does not change how text is read.
 */
function functionSettingRefusal(set: Node): string | null {
  const name = typeof set.name === "string" ? set.name.toLowerCase() : "";
  if (name === "search_path" || !GUARDED_SETTINGS.has(name)) return null;
  return `A function or procedure that sets ${name} is not allowed: ${PINNED_EXPLANATION}.`;
}

/** Refusals found anywhere inside one statement's parse tree. */
function nestedRefusal(kind: string, statement: unknown): string | null {
  const definesFunction = FUNCTION_DEFINITIONS.has(kind);
  for (const node of treeNodes(statement)) {
    for (const [key, value] of Object.entries(node)) {
      if (!isNode(value)) continue;
      let refused: string | null = null;
      if (key === "FuncCall") refused = setConfigRefusal(value);
      else if (WRITE_STATEMENTS.has(key)) refused = settingsViewRefusal(key, value);
      else if (key === "VariableSetStmt" && definesFunction)
        refused = functionSettingRefusal(value);
      if (refused !== null) return refused;
    }
  }
  return null;
}

/** A top-level SET / RESET / SET ROLE / SET SESSION AUTHORIZATION. */
function variableSetRefusal(set: Node, readOnly: boolean): string | null {
  if (set.kind === "VAR_RESET_ALL")
    return "RESET ALL is not allowed: it would undo the settings Countersign pins for the execution (timeouts, read-only, how text is read).";
  const name = typeof set.name === "string" ? set.name.toLowerCase() : "";
  if (name === "role" || name === "session_authorization")
    return `${name === "role" ? "SET ROLE / RESET ROLE" : "SET SESSION AUTHORIZATION"} is not allowed: a command runs as the resource's user, which the reviewers approved.`;
  if (GUARDED_SETTINGS.has(name)) return `Setting ${name} is not allowed: ${PINNED_EXPLANATION}.`;
  if (readOnly && (name === "transaction" || name === "session characteristics"))
    return "SET TRANSACTION / SET SESSION CHARACTERISTICS is not allowed in a read-only command.";
  return null;
}

function refusal(node: Node, kind: string, readOnly: boolean): string | null {
  if (kind === "TransactionStmt") {
    return (
      "Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION …) is not " +
      "allowed in a command: Countersign runs the whole command in one transaction so that it " +
      "can check it and roll it back."
    );
  }
  const statement = node[kind];
  if (kind === "VariableSetStmt" && isNode(statement)) {
    const refused = variableSetRefusal(statement, readOnly);
    if (refused !== null) return refused;
  }
  return nestedRefusal(kind, node);
}

/**
 * Splits `sql` into statements. When libpg-query cannot parse the command (syntax newer or
 * older than its grammar, or an error) the whole command is returned as ONE statement: the
 * server then either runs it (it really was one statement) or refuses it ("cannot insert
 * multiple commands into a prepared statement"), so nothing runs half-split. Guardrails decide
 * earlier whether an unparsed command may run at all.
 */
export async function splitPgStatements(sql: string, readOnly: boolean): Promise<SplitResult> {
  let stmts: RawStmt[];
  try {
    stmts = (await parse(sql)).stmts ?? [];
  } catch {
    return {
      ok: true,
      parsed: false,
      statements: [{ text: sql, charOffset: 0, kind: "unparsed" }],
    };
  }
  if (stmts.length === 0) {
    return {
      ok: false,
      code: "COUNTERSIGN_EMPTY",
      message: "The command contains no SQL statement.",
    };
  }
  // stmt_location / stmt_len are BYTE offsets into the UTF-8 text.
  const bytes = Buffer.from(sql, "utf8");
  const statements: PgStatement[] = [];
  for (const raw of stmts) {
    const start = raw.stmt_location ?? 0;
    // A missing (zero) length means "up to the end of the string".
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const node = (raw.stmt ?? {}) as Record<string, unknown>;
    const kind = Object.keys(node)[0] ?? "unknown";
    const refused = refusal(node, kind, readOnly);
    if (refused !== null)
      return { ok: false, code: "COUNTERSIGN_REFUSED_STATEMENT", message: refused };
    statements.push({
      text: bytes.subarray(start, end).toString("utf8"),
      charOffset: codePoints(bytes.subarray(0, start).toString("utf8")),
      kind,
    });
  }
  return { ok: true, parsed: true, statements };
}
