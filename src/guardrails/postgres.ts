/**
 * PostgreSQL classification with PostgreSQL's own parser (libpg-query, WASM). The JSON
 * tree is walked generically: every `*Stmt` node, `RangeVar`-shaped object and `FuncCall`
 * anywhere in a statement is looked at, so a DELETE inside a CTE, a locking clause inside
 * a subquery or a `pg_terminate_backend` call deep in an expression cannot slip through.
 * A statement is a read only when every function it calls is known to change nothing
 * (pg-functions.ts); settings and transaction bounds are guarded in pg-settings.ts.
 */
import { hasSqlDetails, loadModule, parseSync } from "libpg-query";
import { analyseDoBlock, analyseFunctionBody } from "./pg-bodies.js";
import {
  AnalysisError,
  MAX_COMMENT_DEPTH,
  deepCommentAt,
  defElemText,
  defElems,
  isObject,
  list,
  qualifiedName,
  quotePart,
  str,
  stringList,
  unwrap,
  type JsonObject,
} from "./pg-ast.js";
import { pgDangerousSetting } from "./danger.js";
import { constValue } from "./pg-fold.js";
import {
  builtinOperator,
  builtinType,
  functionVerdict,
  plannerSafe,
  readFunctionSet,
} from "./pg-functions.js";
import { setConfigRefusal } from "./pg-settings.js";
import { commandFromType, statementFacts } from "./pg-statements.js";
import {
  LineCounter,
  finishStatement,
  flag,
  newDraft,
  refuse,
  strongerKind,
  type StatementDraft,
} from "./text.js";
import type { Classification, ClassifyOptions, StatementInfo } from "./types.js";

let loaded = false;

export async function loadPostgresParser(): Promise<void> {
  await loadModule();
  loaded = true;
}

export function postgresParserLoaded(): boolean {
  return loaded;
}

/** What one classification needs to know beyond the statement itself. */
interface Context {
  /** How many procedural bodies deep this statement is. */
  nesting: number;
  /** The statement's own text (PL/pgSQL function bodies are parsed from it). */
  source: string | undefined;
  readFunctions: ReadonlySet<string>;
}

interface Classified {
  draft: StatementDraft;
  sessionOnly: boolean;
  /** Functions the planner might run while planning (user functions): see EXPLAIN. */
  plannerRisks: string[];
}

// ---------------------------------------------------------------------------------------
// The walk

const LOCK_STRENGTH: Record<string, string> = {
  LCS_FORUPDATE: "FOR UPDATE",
  LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
  LCS_FORSHARE: "FOR SHARE",
  LCS_FORKEYSHARE: "FOR KEY SHARE",
};

interface WalkState {
  draft: StatementDraft;
  context: Context;
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
  const { draft, context } = state;
  draft.functions.add(display);
  if (!plannerSafe(parts, context.readFunctions)) state.plannerRisks.push(display);
  const name = parts[parts.length - 1] as string;
  if (name === "set_config" && (parts.length === 1 || parts[0] === "pg_catalog")) {
    noteSetConfig(state, body);
    return;
  }
  const verdict = functionVerdict(parts, context.readFunctions);
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

// ---------------------------------------------------------------------------------------
// Statements inside procedural code

/** Parses SQL found inside a DO block or a function body and classifies each statement. */
function classifyNested(sql: string, context: Context): StatementDraft[] {
  if (deepCommentAt(sql) !== undefined) {
    throw new AnalysisError(
      `block comments in procedural code nest more than ${MAX_COMMENT_DEPTH} deep`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseSync(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AnalysisError(
      `could not analyse the statement "${sql}" in procedural code: ${message}`,
    );
  }
  const bytes = new ByteIndex(sql);
  const drafts: StatementDraft[] = [];
  for (const raw of isObject(parsed) ? list(parsed.stmts) : []) {
    const stmt = isObject(raw) ? unwrap(raw.stmt) : undefined;
    if (stmt === undefined || !isObject(raw)) continue;
    const { start, end } = statementSpan(raw, bytes, sql.length);
    const inner = { ...context, nesting: context.nesting + 1, source: sql.slice(start, end) };
    drafts.push(classifyStatementNode(stmt[0], stmt[1], inner).draft);
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------
// One statement

function optionEnabled(options: unknown, name: string): boolean {
  const option = defElems(options).find((item) => item.defname === name);
  if (option === undefined) return false;
  const value = option.arg === undefined ? "true" : (defElemText(option.arg) ?? "true");
  return !["false", "off", "0", "no"].includes(value.toLowerCase());
}

/**
 * EXPLAIN ANALYZE runs the statement, so it is judged as that statement. Plain EXPLAIN only
 * plans: nothing runs but the immutable and stable functions the planner folds, which are
 * harmless for built-ins; a user function there keeps the statement out of `read`.
 */
function classifyExplain(body: JsonObject, context: Context): Classified {
  const query = unwrap(body.query);
  const planned =
    query === undefined ? undefined : classifyStatementNode(query[0], query[1], context);
  if (planned !== undefined && optionEnabled(body.options, "analyze")) {
    planned.draft.command = `EXPLAIN ANALYZE ${planned.draft.command}`;
    return planned;
  }
  const draft = newDraft("read", "EXPLAIN");
  if (planned !== undefined) {
    for (const table of planned.draft.tables) draft.tables.add(table);
    for (const fn of planned.draft.functions) draft.functions.add(fn);
    const risk = planned.plannerRisks[0];
    if (risk !== undefined) {
      flag(draft, "write", `EXPLAIN may run ${risk} while planning: it is not a known built-in`);
    }
  }
  return { draft, sessionOnly: false, plannerRisks: planned?.plannerRisks ?? [] };
}

function classifyStatementNode(type: string, body: JsonObject, context: Context): Classified {
  if (context.nesting > 8) throw new AnalysisError("procedural code nests too deeply to analyse");
  if (type === "ExplainStmt") return classifyExplain(body, context);
  if (type === "PrepareStmt" || type === "DeclareCursorStmt") {
    // Judged as if run: PREPARE is nearly always followed by EXECUTE.
    const command = type === "PrepareStmt" ? "PREPARE" : "DECLARE CURSOR";
    const query = unwrap(body.query);
    if (query === undefined) {
      return { draft: newDraft("admin", command), sessionOnly: false, plannerRisks: [] };
    }
    const prepared = classifyStatementNode(query[0], query[1], context);
    prepared.draft.command = `${command} ${prepared.draft.command}`;
    return prepared;
  }

  const draft = newDraft("read", commandFromType(type));
  const facts = statementFacts(type, body, draft, true);
  draft.kind = facts.kind;
  draft.command = facts.command;
  const state: WalkState = {
    draft,
    context,
    cteNames: new Set(),
    bareTables: [],
    plannerRisks: [],
  };
  walk(body, state, 0);
  for (const name of state.bareTables) {
    if (!state.cteNames.has(name)) draft.tables.add(quotePart(name));
  }
  const nested = (sql: string): StatementDraft[] => classifyNested(sql, context);
  if (type === "DoStmt") analyseDoBlock(body, draft, nested);
  if (type === "CreateFunctionStmt") analyseFunctionBody(body, context.source, draft, nested);
  return { draft, sessionOnly: facts.sessionOnly === true, plannerRisks: state.plannerRisks };
}

function statementSpan(
  raw: JsonObject,
  bytes: ByteIndex,
  length: number,
): { start: number; end: number } {
  const startByte = typeof raw.stmt_location === "number" ? raw.stmt_location : 0;
  const start = bytes.toIndex(startByte);
  const end =
    typeof raw.stmt_len === "number" && raw.stmt_len > 0
      ? bytes.toIndex(startByte + raw.stmt_len)
      : length;
  return { start, end };
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

function parseCommand(sql: string): unknown[] | Classification {
  const deep = deepCommentAt(sql);
  if (deep !== undefined) {
    return errorAt(sql, `block comments nest more than ${MAX_COMMENT_DEPTH} deep`, deep);
  }
  try {
    const tree = parseSync(sql);
    return isObject(tree) ? list(tree.stmts) : [];
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
}

/** Classifies a PostgreSQL command. Requires `loadPostgresParser()` to have resolved. */
export function classifyPostgresSync(sql: string, options: ClassifyOptions = {}): Classification {
  if (!loaded) throw new Error("call loadGuardrails() before classifying synchronously");
  if (sql.trim() === "") return errorAt(sql, "the command is empty", undefined);
  const stmts = parseCommand(sql);
  if (!Array.isArray(stmts)) return stmts;
  if (stmts.length === 0) return errorAt(sql, "the command contains no SQL statement", undefined);

  const readFunctions = readFunctionSet(options.readFunctions);
  const bytes = new ByteIndex(sql);
  const lines = new LineCounter(sql);
  const statements: StatementInfo[] = [];
  for (const raw of stmts) {
    if (!isObject(raw)) continue;
    const node = unwrap(raw.stmt);
    const { start, end } = statementSpan(raw, bytes, sql.length);
    const { line, column } = lines.at(start);
    if (node === undefined) {
      return errorAt(
        sql,
        "the parser returned a statement the guardrails do not understand",
        start,
      );
    }
    let classified: Classified;
    try {
      const context: Context = { nesting: 0, source: sql.slice(start, end), readFunctions };
      classified = classifyStatementNode(node[0], node[1], context);
    } catch (error) {
      if (error instanceof AnalysisError) return errorAt(sql, error.message, start);
      throw error;
    }
    const where = { index: statements.length, start, end, line, column, source: sql };
    statements.push(finishStatement(classified.draft, where, classified.sessionOnly));
  }
  return { ok: true, dialect: "postgres", statements, multipleStatements: statements.length > 1 };
}
