/**
 * The generic walk over one PostgreSQL statement's JSON tree: every `*Stmt` node,
 * `RangeVar`-shaped object and `FuncCall` anywhere in it is looked at, so a DELETE inside a
 * CTE, a locking clause inside a subquery or a `pg_terminate_backend` call deep in an
 * expression cannot slip through. The statement's own facts come from pg-statements.ts.
 */
import { pgDangerousSetting } from "./danger.js";
import {
  AnalysisError,
  isObject,
  list,
  qualifiedName,
  quotePart,
  str,
  stringList,
  type JsonObject,
} from "./pg-ast.js";
import { constValue } from "./pg-fold.js";
import { builtinOperator, builtinType, functionVerdict, plannerSafe } from "./pg-functions.js";
import { setConfigRefusal } from "./pg-settings.js";
import { statementFacts } from "./pg-statements.js";
import { flag, refuse, strongerKind, type StatementDraft } from "./statement-draft.js";

const LOCK_STRENGTH: Record<string, string> = {
  LCS_FORUPDATE: "FOR UPDATE",
  LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
  LCS_FORSHARE: "FOR SHARE",
  LCS_FORKEYSHARE: "FOR KEY SHARE",
};

interface WalkState {
  draft: StatementDraft;
  /** The resource's read_functions on top of PostgreSQL's own. */
  readFunctions: ReadonlySet<string>;
  cteNames: Set<string>;
  /** Unqualified relation names seen, filtered against CTE names at the end. */
  bareTables: string[];
  plannerRisks: string[];
}

/** set_config is the function form of SET: never a read, refused on a pinned setting. */
function noteSetConfig(state: WalkState, body: JsonObject): void {
  const refusal = setConfigRefusal(body.args);
  if (refusal !== undefined) refuse(state.draft, refusal);
  const name = constValue(list(body.args)[0]);
  if (refusal !== undefined || (name?.t === "str" && pgDangerousSetting(name.v))) {
    const what = name?.t === "str" ? `'${name.v}'` : "a computed setting";
    flag(state.draft, "admin_functions", `calls set_config(${what}, …), a protected setting`);
  }
  flag(state.draft, "write", "calls set_config, which changes a setting");
}

function noteFunction(state: WalkState, body: JsonObject): void {
  const parts = stringList(body.funcname);
  if (parts.length === 0) return;
  const display = qualifiedName(parts);
  const { draft, readFunctions } = state;
  draft.functions.add(display);
  if (!plannerSafe(parts, readFunctions)) state.plannerRisks.push(display);
  const name = parts[parts.length - 1] as string;
  if (name === "set_config" && (parts.length === 1 || parts[0] === "pg_catalog")) {
    noteSetConfig(state, body);
    return;
  }
  const verdict = functionVerdict(parts, readFunctions);
  if (verdict === "admin") flag(draft, "admin_functions", `calls ${display}`);
  if (verdict === "unknown") {
    flag(draft, "write", `calls ${display}, which is not known to be free of side effects`);
  }
}

/** Keyword forms the parser writes as A_Expr names; they are syntax, not operators. */
const SYNTAX_OPERATORS = new Set([
  "BETWEEN",
  "NOT BETWEEN",
  "BETWEEN SYMMETRIC",
  "NOT BETWEEN SYMMETRIC",
]);

/** An operator outside pg_catalog runs a function nobody reviewed: not a read. */
function noteOperator(state: WalkState, body: JsonObject): void {
  const parts = stringList(body.name);
  if (parts.length === 0 || SYNTAX_OPERATORS.has(parts[parts.length - 1] ?? "")) return;
  if (builtinOperator(parts)) return;
  flag(
    state.draft,
    "write",
    `uses the operator ${qualifiedName(parts)}, which is not PostgreSQL's own and may run any function`,
  );
}

/** A cast to a type that is not PostgreSQL's own may run that type's code: not a read. */
function noteCast(state: WalkState, body: JsonObject): void {
  const typeName = isObject(body.typeName) ? body.typeName : undefined;
  const parts = stringList(typeName?.names);
  if (parts.length === 0 || builtinType(parts)) return;
  flag(
    state.draft,
    "write",
    `casts to ${qualifiedName(parts)}, a type that is not PostgreSQL's own; its code may run`,
  );
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
    const facts = statementFacts(type, body, draft, false);
    if (facts.kind === "ddl") flag(draft, "ddl", `${facts.command} changes the schema`);
    if (facts.kind === "dcl") flag(draft, "dcl", `${facts.command} changes privileges or roles`);
    if (draft.kind === "read") draft.kind = strongerKind(draft.kind, facts.kind);
    return;
  }
  switch (type) {
    case "FuncCall":
      noteFunction(state, body);
      return;
    case "A_Expr":
      noteOperator(state, body);
      return;
    case "TypeCast":
      noteCast(state, body);
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

/**
 * Walks a statement's tree into its draft: tables read or written (CTE names excluded),
 * functions called, and the flags of everything nested. Returns the functions the planner
 * might run while planning (user functions), which only EXPLAIN needs.
 */
export function walkStatement(
  body: JsonObject,
  draft: StatementDraft,
  readFunctions: ReadonlySet<string>,
): string[] {
  const state: WalkState = {
    draft,
    readFunctions,
    cteNames: new Set(),
    bareTables: [],
    plannerRisks: [],
  };
  walk(body, state, 0);
  for (const name of state.bareTables) {
    if (!state.cteNames.has(name)) draft.tables.add(quotePart(name));
  }
  return state.plannerRisks;
}
