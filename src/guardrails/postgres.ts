/**
 * PostgreSQL classification with PostgreSQL's own parser (libpg-query, WASM). The JSON
 * tree is walked generically: every `*Stmt` node, `RangeVar`-shaped object and `FuncCall`
 * anywhere in a statement is looked at, so a DELETE inside a CTE, a locking clause inside
 * a subquery or a `pg_terminate_backend` call deep in an expression cannot slip through.
 */
import { hasSqlDetails, loadModule, parsePlPgSQLSync, parseSync } from "libpg-query";
import type { StatementClass } from "../policy/config.js";
import { pgAdminFunction, pgDangerousSetting } from "./danger.js";
import {
  LineCounter,
  finishStatement,
  flag,
  mergeDraft,
  newDraft,
  strongerKind,
  type StatementDraft,
} from "./text.js";
import type { Classification, ClassifyOptions, StatementInfo } from "./types.js";

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The single `{ TypeName: body }` entry of a node wrapper. */
function unwrap(node: unknown): [string, JsonObject] | undefined {
  if (!isObject(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  const body = node[type];
  return isObject(body) && /^[A-Z]/.test(type) ? [type, body] : undefined;
}

let loaded = false;

export async function loadPostgresParser(): Promise<void> {
  await loadModule();
  loaded = true;
}

export function postgresParserLoaded(): boolean {
  return loaded;
}

/** Thrown inside the walk when part of a statement cannot be analysed (fail closed). */
class AnalysisError extends Error {}

// ---------------------------------------------------------------------------------------
// Names

// Unquoted identifiers are folded to lower case (ASCII only, as PostgreSQL does), so a
// name in this shape needs no quotes to mean the same thing.
const PLAIN_IDENTIFIER = /^[\p{Ll}\p{Lo}\p{Lm}_][\p{Ll}\p{Lo}\p{Lm}\p{M}\p{Nd}_$]*$/u;

function quotePart(part: string): string {
  return PLAIN_IDENTIFIER.test(part) ? part : `"${part.replace(/"/g, '""')}"`;
}

function qualifiedName(parts: (string | undefined)[]): string {
  return parts
    .filter((part): part is string => part !== undefined && part !== "")
    .map(quotePart)
    .join(".");
}

function stringList(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const node = unwrap(item);
    if (node?.[0] === "String") {
      const value = str(node[1].sval);
      if (value !== undefined) out.push(value);
    }
  }
  return out;
}

function objectTypeName(objtype: unknown): string {
  const raw = str(objtype) ?? "OBJECT";
  const name = raw.replace(/^OBJECT_/, "");
  const special: Record<string, string> = {
    MATVIEW: "MATERIALIZED VIEW",
    FOREIGN_TABLE: "FOREIGN TABLE",
    FDW: "FOREIGN DATA WRAPPER",
    FOREIGN_SERVER: "SERVER",
    EVENT_TRIGGER: "EVENT TRIGGER",
    ACCESS_METHOD: "ACCESS METHOD",
    OPCLASS: "OPERATOR CLASS",
    OPFAMILY: "OPERATOR FAMILY",
    TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
    TSDICTIONARY: "TEXT SEARCH DICTIONARY",
    TSPARSER: "TEXT SEARCH PARSER",
    TSTEMPLATE: "TEXT SEARCH TEMPLATE",
    STATISTIC_EXT: "STATISTICS",
    USER_MAPPING: "USER MAPPING",
    LARGEOBJECT: "LARGE OBJECT",
  };
  return special[name] ?? name.replace(/_/g, " ");
}

/** `CreateForeignServerStmt` → `CREATE FOREIGN SERVER`, for node types without a name. */
function commandFromType(type: string): string {
  return type
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
}

// ---------------------------------------------------------------------------------------
// Always-true WHERE clauses

type Value =
  | { t: "bool"; v: boolean }
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "col"; v: string }
  | { t: "null" };

function constValue(node: unknown): Value | undefined {
  const wrapped = unwrap(node);
  if (wrapped === undefined) return undefined;
  const [type, body] = wrapped;
  if (type === "A_Const") {
    if (body.isnull === true) return { t: "null" };
    if (isObject(body.ival)) return { t: "num", v: Number(body.ival.ival ?? 0) };
    if (isObject(body.fval)) return { t: "num", v: Number(str(body.fval.fval) ?? "NaN") };
    if (isObject(body.sval)) return { t: "str", v: str(body.sval.sval) ?? "" };
    if (isObject(body.boolval)) return { t: "bool", v: body.boolval.boolval === true };
    return undefined;
  }
  if (type === "TypeCast") {
    const inner = constValue(body.arg);
    const typeName = isObject(body.typeName) ? stringList(body.typeName.names).pop() : undefined;
    if (inner !== undefined && (typeName === "bool" || typeName === "boolean")) {
      if (inner.t === "str") {
        const text = inner.v.trim().toLowerCase();
        if (["t", "true", "y", "yes", "on", "1"].includes(text)) return { t: "bool", v: true };
        if (["f", "false", "n", "no", "off", "0"].includes(text)) return { t: "bool", v: false };
      }
      if (inner.t === "num") return { t: "bool", v: inner.v !== 0 };
      return inner.t === "bool" ? inner : undefined;
    }
    return inner;
  }
  if (type === "ColumnRef") return { t: "col", v: JSON.stringify(body.fields) };
  const truth = truthValue(node);
  return truth === undefined ? undefined : { t: "bool", v: truth };
}

function compare(op: string, left: Value, right: Value): boolean | undefined {
  if (left.t === "col" && right.t === "col") {
    // `x = x` holds for every row where x is not null: near enough to "every row".
    return left.v === right.v && ["=", "<=", ">="].includes(op) ? true : undefined;
  }
  if (left.t === "null" || right.t === "null" || left.t === "col" || right.t === "col") {
    return undefined;
  }
  const a = left.v;
  const b = right.v;
  if (typeof a !== typeof b) {
    // '1' = 1 and the like: PostgreSQL coerces the literal, so compare as text.
    return compare(op, { t: "str", v: String(a) }, { t: "str", v: String(b) });
  }
  switch (op) {
    case "=":
      return a === b;
    case "<>":
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
    default:
      return undefined;
  }
}

/** true / false when the expression is constant, undefined when it depends on the row. */
function truthValue(node: unknown): boolean | undefined {
  const wrapped = unwrap(node);
  if (wrapped === undefined) return undefined;
  const [type, body] = wrapped;
  if (type === "BoolExpr") {
    const args = Array.isArray(body.args) ? body.args.map(truthValue) : [];
    if (body.boolop === "NOT_EXPR") {
      const only = args[0];
      return only === undefined ? undefined : !only;
    }
    if (body.boolop === "AND_EXPR") {
      if (args.some((value) => value === false)) return false;
      return args.every((value) => value === true) ? true : undefined;
    }
    if (body.boolop === "OR_EXPR") {
      if (args.some((value) => value === true)) return true;
      return args.every((value) => value === false) ? false : undefined;
    }
    return undefined;
  }
  if (type === "A_Expr" && body.kind === "AEXPR_OP") {
    const op = stringList(body.name).pop();
    const left = constValue(body.lexpr);
    const right = constValue(body.rexpr);
    if (op === undefined || left === undefined || right === undefined) return undefined;
    return compare(op, left, right);
  }
  if (type === "NullTest") {
    const arg = constValue(body.arg);
    if (arg === undefined || arg.t === "col") return undefined;
    const isNull = arg.t === "null";
    return body.nulltesttype === "IS_NULL" ? isNull : !isNull;
  }
  if (type === "A_Const" || type === "TypeCast") {
    const value = constValue(node);
    return value?.t === "bool" ? value.v : undefined;
  }
  return undefined;
}

function missingOrAlwaysTrue(where: unknown): string | undefined {
  if (where === undefined || where === null) return "has no WHERE clause";
  if (truthValue(where) === true) return "has a WHERE clause that is always true";
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Statement facts

interface Facts {
  kind: StatementClass;
  command: string;
  /** Admin statements that only change this session (SET, DISCARD …): no `write` flag. */
  sessionOnly?: boolean;
}

const TRANSACTION_COMMANDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

const DANGEROUS_EXTENSIONS = new Set([
  "dblink",
  "adminpack",
  "file_fdw",
  "postgres_fdw",
  "plpythonu",
  "plpython2u",
  "plpython3u",
  "plperlu",
  "pltclu",
]);

const LOCK_STRENGTH: Record<string, string> = {
  LCS_FORUPDATE: "FOR UPDATE",
  LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
  LCS_FORSHARE: "FOR SHARE",
  LCS_FORKEYSHARE: "FOR KEY SHARE",
};

/**
 * What a statement node is, plus the flags that follow from the node itself (children are
 * handled by the walk). Called for the top-level statement and for every nested one.
 */
function statementFacts(type: string, body: JsonObject, draft: StatementDraft): Facts {
  switch (type) {
    case "SelectStmt": {
      if (isObject(body.intoClause)) {
        flag(draft, "write", "SELECT … INTO creates and fills a table");
        return { kind: "ddl", command: "SELECT INTO" };
      }
      return { kind: "read", command: "SELECT" };
    }
    case "InsertStmt":
      flag(draft, "write", "INSERT adds rows");
      return { kind: "write", command: "INSERT" };
    case "UpdateStmt": {
      flag(draft, "write", "UPDATE changes rows");
      const problem = missingOrAlwaysTrue(body.whereClause);
      if (problem !== undefined) {
        flag(draft, "update_without_where", `UPDATE ${problem}: it changes every row`);
      }
      return { kind: "write", command: "UPDATE" };
    }
    case "DeleteStmt": {
      flag(draft, "write", "DELETE removes rows");
      const problem = missingOrAlwaysTrue(body.whereClause);
      if (problem !== undefined) {
        flag(draft, "delete_without_where", `DELETE ${problem}: it removes every row`);
      }
      return { kind: "write", command: "DELETE" };
    }
    case "MergeStmt":
      flag(draft, "write", "MERGE changes rows");
      return { kind: "write", command: "MERGE" };
    case "TruncateStmt":
      flag(draft, "truncate", "TRUNCATE removes every row");
      return { kind: "ddl", command: "TRUNCATE" };
    case "DropStmt": {
      const command = `DROP ${objectTypeName(body.removeType)}`;
      flag(draft, "drop", `${command} destroys objects and their data`);
      if (
        ["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"].includes(
          str(body.removeType) ?? "",
        )
      ) {
        for (const object of Array.isArray(body.objects) ? body.objects : []) {
          const list = unwrap(object);
          if (list?.[0] === "List") draft.tables.add(qualifiedName(stringList(list[1].items)));
        }
      }
      return { kind: "ddl", command };
    }
    case "DropRoleStmt":
      flag(draft, "drop", "DROP ROLE removes roles");
      return { kind: "dcl", command: "DROP ROLE" };
    case "DropOwnedStmt":
      flag(draft, "drop", "DROP OWNED drops every object the roles own");
      return { kind: "dcl", command: "DROP OWNED" };
    case "DropdbStmt":
      flag(draft, "drop", "DROP DATABASE destroys a database");
      return { kind: "ddl", command: "DROP DATABASE" };
    case "GrantStmt": {
      const command = body.is_grant === true ? "GRANT" : "REVOKE";
      flag(draft, "grant", `${command} changes privileges`);
      return { kind: "dcl", command };
    }
    case "GrantRoleStmt": {
      const command = body.is_grant === true ? "GRANT ROLE" : "REVOKE ROLE";
      flag(draft, "grant", `${command} changes role membership`);
      return { kind: "dcl", command };
    }
    case "AlterDefaultPrivilegesStmt":
      flag(draft, "grant", "ALTER DEFAULT PRIVILEGES changes future privileges");
      return { kind: "dcl", command: "ALTER DEFAULT PRIVILEGES" };
    case "CreateRoleStmt": {
      const what = body.stmt_type === "ROLESTMT_USER" ? "USER" : "ROLE";
      return {
        kind: "dcl",
        command: `CREATE ${body.stmt_type === "ROLESTMT_GROUP" ? "GROUP" : what}`,
      };
    }
    case "AlterRoleStmt":
    case "AlterRoleSetStmt":
      return { kind: "dcl", command: "ALTER ROLE" };
    case "ReassignOwnedStmt":
      return { kind: "dcl", command: "REASSIGN OWNED" };
    case "AlterOwnerStmt":
      return { kind: "dcl", command: `ALTER ${objectTypeName(body.objectType)} OWNER` };
    case "TransactionStmt":
      return {
        kind: "transaction",
        command: TRANSACTION_COMMANDS[str(body.kind) ?? ""] ?? "TRANSACTION",
      };
    case "ConstraintsSetStmt":
      return { kind: "transaction", command: "SET CONSTRAINTS" };
    case "CreateStmt":
      return { kind: "ddl", command: "CREATE TABLE" };
    case "CreateTableAsStmt":
      flag(draft, "write", "creates and fills a table");
      return {
        kind: "ddl",
        command: body.objtype === "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS",
      };
    case "IndexStmt":
      return { kind: "ddl", command: "CREATE INDEX" };
    case "ViewStmt":
      return { kind: "ddl", command: "CREATE VIEW" };
    case "AlterTableStmt":
      return { kind: "ddl", command: `ALTER ${objectTypeName(body.objtype)}` };
    case "RenameStmt":
      return { kind: "ddl", command: `ALTER ${objectTypeName(body.renameType)} RENAME` };
    case "CreateFunctionStmt": {
      const command = body.is_procedure === true ? "CREATE PROCEDURE" : "CREATE FUNCTION";
      flag(draft, "procedural", `${command}: the body is code the guardrails do not read`);
      return { kind: "ddl", command };
    }
    case "CreateExtensionStmt": {
      const name = str(body.extname) ?? "";
      if (DANGEROUS_EXTENSIONS.has(name.toLowerCase())) {
        flag(draft, "admin_functions", `CREATE EXTENSION ${name} enables server-level access`);
      }
      return { kind: "ddl", command: "CREATE EXTENSION" };
    }
    case "RefreshMatViewStmt":
      return { kind: "write", command: "REFRESH MATERIALIZED VIEW" };
    case "DoStmt":
      flag(draft, "procedural", "DO runs a procedural block");
      return { kind: "admin", command: "DO" };
    case "CallStmt":
      flag(draft, "procedural", "CALL runs a procedure");
      return { kind: "admin", command: "CALL" };
    case "ExecuteStmt":
      flag(draft, "procedural", "EXECUTE runs a prepared statement");
      return { kind: "admin", command: "EXECUTE" };
    case "CopyStmt": {
      const direction = body.is_from === true ? "FROM" : "TO";
      if (body.is_program === true) {
        flag(
          draft,
          "copy_program",
          `COPY … ${direction} PROGRAM runs a shell command on the server`,
        );
      } else if (str(body.filename) !== undefined) {
        flag(
          draft,
          "admin_functions",
          `COPY … ${direction} a file accesses the server's file system`,
        );
      }
      return { kind: "admin", command: "COPY" };
    }
    case "VacuumStmt":
      return { kind: "admin", command: body.is_vacuumcmd === true ? "VACUUM" : "ANALYZE" };
    case "ClusterStmt":
      return { kind: "admin", command: "CLUSTER" };
    case "ReindexStmt":
      return { kind: "admin", command: "REINDEX" };
    case "CheckPointStmt":
      return { kind: "admin", command: "CHECKPOINT" };
    case "LockStmt":
      return { kind: "admin", command: "LOCK TABLE" };
    case "NotifyStmt":
      return { kind: "admin", command: "NOTIFY" };
    case "LoadStmt":
      flag(draft, "admin_functions", "LOAD loads a shared library into the server");
      return { kind: "admin", command: "LOAD" };
    case "AlterSystemStmt":
      flag(draft, "admin_functions", "ALTER SYSTEM changes the server configuration");
      return { kind: "admin", command: "ALTER SYSTEM" };
    case "VariableSetStmt": {
      const reset = str(body.kind)?.startsWith("VAR_RESET") === true;
      const name = str(body.name) ?? "";
      const command = reset ? "RESET" : "SET";
      if (body.kind === "VAR_RESET_ALL") {
        flag(draft, "admin_functions", "RESET ALL undoes the worker's timeouts");
      } else if (pgDangerousSetting(name)) {
        flag(draft, "admin_functions", `${command} ${name} changes a protected setting`);
      } else if (JSON.stringify(body).includes('"transaction_read_only"')) {
        flag(draft, "admin_functions", "changes the transaction's read-only mode");
      }
      return { kind: "admin", command, sessionOnly: true };
    }
    case "VariableShowStmt":
      return { kind: "read", command: "SHOW" };
    case "DiscardStmt":
      return { kind: "admin", command: "DISCARD", sessionOnly: true };
    case "ListenStmt":
      return { kind: "admin", command: "LISTEN", sessionOnly: true };
    case "UnlistenStmt":
      return { kind: "admin", command: "UNLISTEN", sessionOnly: true };
    case "DeallocateStmt":
      return { kind: "admin", command: "DEALLOCATE", sessionOnly: true };
    case "FetchStmt":
      return { kind: "read", command: body.ismove === true ? "MOVE" : "FETCH" };
    case "ClosePortalStmt":
      return { kind: "read", command: "CLOSE" };
    case "CreatedbStmt":
      return { kind: "ddl", command: "CREATE DATABASE" };
    default: {
      const command = commandFromType(type);
      if (type.startsWith("Drop")) {
        flag(draft, "drop", `${command} destroys objects`);
        return { kind: "ddl", command };
      }
      if (/^(Create|Alter|Define|Rename|Comment|Import|SecLabel|Composite|Rule)/.test(type)) {
        return { kind: "ddl", command: command.replace(/^DEFINE /, "CREATE ") };
      }
      // Unknown to this table: not read-only, not harmless.
      return { kind: "admin", command };
    }
  }
}

// ---------------------------------------------------------------------------------------
// The walk

interface WalkState {
  draft: StatementDraft;
  cteNames: Set<string>;
  /** Unqualified relation names seen, filtered against CTE names at the end. */
  bareTables: string[];
}

function noteFunction(state: WalkState, body: JsonObject): void {
  const parts = stringList(body.funcname);
  if (parts.length === 0) return;
  const display = qualifiedName(parts);
  state.draft.functions.add(display);
  const last = (parts[parts.length - 1] as string).toLowerCase();
  if (pgAdminFunction(last)) {
    flag(state.draft, "admin_functions", `calls ${last}`);
  } else if (last === "set_config") {
    const first = Array.isArray(body.args) ? constValue(body.args[0]) : undefined;
    if (first === undefined || first.t !== "str") {
      flag(state.draft, "admin_functions", "calls set_config with a computed setting name");
    } else if (pgDangerousSetting(first.v) || first.v.toLowerCase() === "transaction_read_only") {
      flag(state.draft, "admin_functions", `calls set_config('${first.v}', …)`);
    }
  }
}

function walk(node: unknown, state: WalkState, depth: number): void {
  if (depth > 4000) throw new AnalysisError("statement nests too deeply to analyse");
  if (Array.isArray(node)) {
    for (const item of node) walk(item, state, depth + 1);
    return;
  }
  if (!isObject(node)) return;
  const relname = str(node.relname);
  if (relname !== undefined && ("relpersistence" in node || "inh" in node)) {
    const schema = str(node.schemaname);
    if (schema === undefined) state.bareTables.push(relname);
    else state.draft.tables.add(qualifiedName([str(node.catalogname), schema, relname]));
  }
  for (const [key, value] of Object.entries(node)) {
    if (isObject(value) && /^[A-Z]/.test(key)) visitNode(key, value, state);
    walk(value, state, depth + 1);
  }
}

function visitNode(type: string, body: JsonObject, state: WalkState): void {
  const { draft } = state;
  if (type.endsWith("Stmt")) {
    const facts = statementFacts(type, body, draft);
    if (facts.kind === "ddl") flag(draft, "ddl", `${facts.command} changes the schema`);
    if (facts.kind === "dcl") flag(draft, "dcl", `${facts.command} changes privileges or roles`);
    if (draft.kind === "read") draft.kind = strongerKind(draft.kind, facts.kind);
    return;
  }
  switch (type) {
    case "FuncCall":
      noteFunction(state, body);
      return;
    case "CommonTableExpr": {
      const name = str(body.ctename);
      if (name !== undefined) state.cteNames.add(name);
      return;
    }
    case "LockingClause": {
      const strength = LOCK_STRENGTH[str(body.strength) ?? ""] ?? "FOR UPDATE";
      flag(draft, "write", `SELECT … ${strength} locks rows`);
      if (draft.kind === "read") {
        draft.kind = "write";
        if (draft.command === "SELECT") draft.command = `SELECT ${strength}`;
      }
      return;
    }
    case "AlterTableCmd": {
      const subtype = str(body.subtype);
      if (subtype === "AT_DropColumn") {
        flag(draft, "drop", `drops column ${str(body.name) ?? "?"} and its data`);
      } else if (subtype === "AT_DropConstraint") {
        flag(draft, "drop", `drops constraint ${str(body.name) ?? ""}`);
      }
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------
// DO blocks: PL/pgSQL is parsed and every embedded SQL statement classified.

function dollarQuote(body: string): string {
  let tag = "$cs$";
  for (let i = 0; body.includes(tag); i += 1) tag = `$cs${i}$`;
  return `${tag}${body}${tag}`;
}

function doBlockParts(body: JsonObject): { language: string; code: string | undefined } {
  let language = "plpgsql";
  let code: string | undefined;
  for (const arg of Array.isArray(body.args) ? body.args : []) {
    const node = unwrap(arg);
    if (node?.[0] !== "DefElem") continue;
    const value = unwrap(node[1].arg);
    const text = value?.[0] === "String" ? str(value[1].sval) : undefined;
    if (node[1].defname === "language" && text !== undefined) language = text.toLowerCase();
    if (node[1].defname === "as") code = text;
  }
  return { language, code };
}

function analyseDoBlock(body: JsonObject, draft: StatementDraft, nesting: number): void {
  const { language, code } = doBlockParts(body);
  if (language !== "plpgsql") {
    flag(draft, "admin_functions", `DO block in ${language}: code the guardrails cannot read`);
    return;
  }
  if (code === undefined) return;
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(`DO ${dollarQuote(code)}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AnalysisError(`could not analyse the DO block: ${message}`);
  }
  const queries: string[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(collect);
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (
        key === "PLpgSQL_stmt_dynexecute" ||
        key === "PLpgSQL_stmt_dynfors" ||
        key === "dynquery"
      ) {
        flag(draft, "admin_functions", "the DO block runs dynamic SQL (EXECUTE)");
      }
      if (key === "PLpgSQL_expr" && isObject(value)) {
        const query = str(value.query);
        const mode = typeof value.parseMode === "number" ? value.parseMode : 0;
        if (query !== undefined) {
          // Modes 3+ are assignments ("target := expr"); the target is a variable.
          const expression = mode >= 3 ? query.replace(/^[^:=]*:?=/, "") : query;
          queries.push(mode === 0 ? expression : `SELECT ${expression}`);
        }
      }
      collect(value);
    }
  };
  collect(tree);
  for (const query of queries) {
    let parsed: unknown;
    try {
      parsed = parseSync(query);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AnalysisError(`could not analyse the DO block statement "${query}": ${message}`);
    }
    const stmts = isObject(parsed) && Array.isArray(parsed.stmts) ? parsed.stmts : [];
    for (const raw of stmts) {
      const stmt = isObject(raw) ? unwrap(raw.stmt) : undefined;
      if (stmt === undefined) continue;
      const inner = classifyStatementNode(stmt[0], stmt[1], nesting + 1).draft;
      if (inner.kind === "ddl") flag(draft, "ddl", `${inner.command} changes the schema`);
      if (inner.kind === "dcl") flag(draft, "dcl", `${inner.command} changes privileges or roles`);
      mergeDraft(draft, inner);
    }
  }
}

// ---------------------------------------------------------------------------------------
// One top-level statement

function optionEnabled(options: unknown, name: string): boolean {
  for (const option of Array.isArray(options) ? options : []) {
    const node = unwrap(option);
    if (node?.[0] !== "DefElem" || node[1].defname !== name) continue;
    const arg = unwrap(node[1].arg);
    if (arg === undefined) return true;
    const value =
      arg[0] === "String"
        ? str(arg[1].sval)
        : arg[0] === "Boolean"
          ? String(arg[1].boolval === true)
          : arg[0] === "Integer"
            ? String(arg[1].ival ?? 0)
            : "true";
    return !["false", "off", "0", "no"].includes((value ?? "true").toLowerCase());
  }
  return false;
}

function classifyStatementNode(
  type: string,
  body: JsonObject,
  nesting: number,
): { draft: StatementDraft; sessionOnly: boolean } {
  if (nesting > 8) throw new AnalysisError("DO blocks nest too deeply to analyse");
  const inner = (field: unknown): { draft: StatementDraft; sessionOnly: boolean } | undefined => {
    const node = unwrap(field);
    return node === undefined ? undefined : classifyStatementNode(node[0], node[1], nesting);
  };

  if (type === "ExplainStmt") {
    if (optionEnabled(body.options, "analyze")) {
      // EXPLAIN ANALYZE executes the statement: it is exactly as dangerous.
      const analysed = inner(body.query);
      if (analysed !== undefined) {
        analysed.draft.command = `EXPLAIN ANALYZE ${analysed.draft.command}`;
        return analysed;
      }
    }
    // Plain EXPLAIN only plans: keep what reviewers should see, drop the write flags.
    const draft = newDraft("read", "EXPLAIN");
    const planned = inner(body.query);
    if (planned !== undefined) {
      for (const table of planned.draft.tables) draft.tables.add(table);
      for (const fn of planned.draft.functions) draft.functions.add(fn);
      const admin = planned.draft.reasons.get("admin_functions");
      if (admin !== undefined) flag(draft, "admin_functions", admin);
    }
    return { draft, sessionOnly: false };
  }
  if (type === "PrepareStmt" || type === "DeclareCursorStmt") {
    // Judged as if run: PREPARE is nearly always followed by EXECUTE.
    const prepared = inner(body.query);
    const command = type === "PrepareStmt" ? "PREPARE" : "DECLARE CURSOR";
    if (prepared !== undefined) {
      prepared.draft.command = `${command} ${prepared.draft.command}`;
      return prepared;
    }
    return { draft: newDraft("admin", command), sessionOnly: false };
  }

  const draft = newDraft("read", commandFromType(type));
  const facts = statementFacts(type, body, draft);
  draft.kind = facts.kind;
  draft.command = facts.command;
  const state: WalkState = { draft, cteNames: new Set(), bareTables: [] };
  walk(body, state, 0);
  for (const name of state.bareTables) {
    if (!state.cteNames.has(name)) draft.tables.add(quotePart(name));
  }
  if (type === "DoStmt") analyseDoBlock(body, draft, nesting);
  return { draft, sessionOnly: facts.sessionOnly === true };
}

// ---------------------------------------------------------------------------------------
// Offsets: the parser reports statement locations in UTF-8 bytes and error cursors in
// characters (code points); JavaScript strings index UTF-16 code units.

class ByteIndex {
  private byte = 0;
  private index = 0;
  private readonly ascii: boolean;

  constructor(private readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = /^[\x00-\x7f]*$/.test(text);
  }

  toIndex(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    if (byteOffset < this.byte) {
      this.byte = 0;
      this.index = 0;
    }
    while (this.byte < byteOffset && this.index < this.text.length) {
      const code = this.text.codePointAt(this.index) as number;
      this.byte += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      this.index += code > 0xffff ? 2 : 1;
    }
    return this.index;
  }
}

function codePointsToIndex(text: string, codePoints: number): number {
  let index = 0;
  for (let seen = 0; seen < codePoints && index < text.length; seen += 1) {
    index += (text.codePointAt(index) as number) > 0xffff ? 2 : 1;
  }
  return index;
}

function errorAt(sql: string, message: string, position: number | undefined): Classification {
  if (position === undefined) return { ok: false, dialect: "postgres", error: { message } };
  const { line, column } = new LineCounter(sql).at(position);
  return { ok: false, dialect: "postgres", error: { message, position, line, column } };
}

/** Classifies a PostgreSQL command. Requires `loadPostgresParser()` to have resolved. */
export function classifyPostgresSync(sql: string, _options: ClassifyOptions = {}): Classification {
  if (!loaded) throw new Error("call loadGuardrails() before classifying synchronously");
  if (sql.trim() === "") return errorAt(sql, "the command is empty", undefined);
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch (error) {
    if (hasSqlDetails(error)) {
      const details = error.sqlDetails;
      const position =
        details?.cursorPosition === undefined
          ? undefined
          : codePointsToIndex(sql, details.cursorPosition);
      return errorAt(sql, error.message, position);
    }
    return errorAt(sql, error instanceof Error ? error.message : String(error), undefined);
  }
  const stmts = isObject(tree) && Array.isArray(tree.stmts) ? tree.stmts : [];
  if (stmts.length === 0) return errorAt(sql, "the command contains no SQL statement", undefined);

  const bytes = new ByteIndex(sql);
  const lines = new LineCounter(sql);
  const statements: StatementInfo[] = [];
  for (const raw of stmts) {
    if (!isObject(raw)) continue;
    const node = unwrap(raw.stmt);
    const startByte = typeof raw.stmt_location === "number" ? raw.stmt_location : 0;
    const start = bytes.toIndex(startByte);
    const end =
      typeof raw.stmt_len === "number" && raw.stmt_len > 0
        ? bytes.toIndex(startByte + raw.stmt_len)
        : sql.length;
    const { line, column } = lines.at(start);
    if (node === undefined) {
      return errorAt(
        sql,
        "the parser returned a statement the guardrails do not understand",
        start,
      );
    }
    let classified: { draft: StatementDraft; sessionOnly: boolean };
    try {
      classified = classifyStatementNode(node[0], node[1], 0);
    } catch (error) {
      if (error instanceof AnalysisError) return errorAt(sql, error.message, start);
      throw error;
    }
    statements.push(
      finishStatement(
        classified.draft,
        { index: statements.length, start, end, line, column, source: sql },
        classified.sessionOnly,
      ),
    );
  }
  return { ok: true, dialect: "postgres", statements, multipleStatements: statements.length > 1 };
}
