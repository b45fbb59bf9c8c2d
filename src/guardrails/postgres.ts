/**
 * PostgreSQL classification with PostgreSQL's own parser (libpg-query, WASM): parses the
 * command, classifies each statement (EXPLAIN, PREPARE and cursors as what they run; DO
 * blocks and function bodies by parsing the SQL inside them) and reports parse errors at
 * their line and column. The tree of each statement is walked in pg-walk.ts; a statement is
 * a read only when every function it calls is known to change nothing (pg-functions.ts);
 * settings and transaction bounds are guarded in pg-settings.ts.
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
  unwrap,
  type JsonObject,
} from "./pg-ast.js";
import { readFunctionSet } from "./pg-functions.js";
import { ByteIndex, codePointsToIndex, statementSpan } from "./pg-offsets.js";
import { commandFromType, statementFacts } from "./pg-statements.js";
import { walkStatement } from "./pg-walk.js";
import { LineCounter } from "./line-counter.js";
import { finishStatement, flag, newDraft, type StatementDraft } from "./statement-draft.js";
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
  const plannerRisks = walkStatement(body, draft, context.readFunctions);
  const nested = (sql: string): StatementDraft[] => classifyNested(sql, context);
  if (type === "DoStmt") analyseDoBlock(body, draft, nested);
  if (type === "CreateFunctionStmt") analyseFunctionBody(body, context.source, draft, nested);
  return { draft, sessionOnly: facts.sessionOnly === true, plannerRisks };
}

// ---------------------------------------------------------------------------------------
// The command

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
