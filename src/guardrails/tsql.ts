/**
 * SQL Server classification. There is no T-SQL parser we can trust with EXEC, GO, MERGE
 * and BEGIN TRAN, so this is a tokenizer plus a conservative keyword classifier, in layers:
 *
 * - tsql-batches.ts splits GO batches exactly as the engine runs them;
 * - tsql-tokenize.ts reads SQL Server's lexical rules (comments, strings, [names]);
 * - tsql-parser.ts finds statement boundaries (blocks, IF/ELSE, implicit ends);
 * - tsql-statement.ts, tsql-lead.ts and tsql-scan.ts say what each statement is and
 *   touches; tsql-session.ts refuses what would change how the server reads the command or
 *   bounds the worker's transaction; tsql-fold.ts finds always-true predicates.
 *
 * A statement that starts with anything it does not recognise is a parse error: the command
 * is refused unless the resource allows unparsed commands. Nothing here throws: nesting is
 * capped before any recursion could exhaust the stack, and any other failure becomes an
 * unparsed verdict (fail closed).
 */
import { LineCounter } from "./line-counter.js";
import { finishStatement, flag, type StatementDraft } from "./statement-draft.js";
import { refuse, type Facts } from "./tsql-scan.js";
import { splitTsqlBatches } from "./tsql-batches.js";
import { TsqlError, type Fail } from "./tsql-names.js";
import { MAX_NESTING, splitStatements } from "./tsql-parser.js";
import { classifyRange, type StatementContext } from "./tsql-statement.js";
import { tokenizeTsql, type TsqlToken } from "./tsql-tokenize.js";
import type { Classification, ClassifyOptions, StatementInfo } from "./types.js";

function errorResult(sql: string, message: string, position: number): Classification {
  const { line, column } = new LineCounter(sql).at(position);
  return { ok: false, dialect: "mssql", error: { message, position, line, column } };
}

/** Fails closed on parentheses deeper than the classifier's recursion may go. */
function checkParenDepth(toks: TsqlToken[]): void {
  let depth = 0;
  for (const token of toks) {
    if (token.type === "lparen") depth += 1;
    else if (token.type === "rparen") depth -= 1;
    if (depth > MAX_NESTING) {
      throw new TsqlError(`parentheses are nested deeper than ${MAX_NESTING} levels`, token.start);
    }
  }
}

/** Classifies one batch's tokens into finished statements (throws TsqlError). */
function classifyBatch(
  depth: number,
  toks: TsqlToken[],
  readFunctions: ReadonlySet<string>,
  emit: (draft: StatementDraft, at: Emitted) => void,
): void {
  checkParenDepth(toks);
  const fail: Fail = (message, token) => {
    throw new TsqlError(message, token?.start ?? toks[toks.length - 1]?.end ?? 0);
  };
  const ctx: StatementContext = { toks, fail, readFunctions, dynamic: inspectDynamic(depth) };
  for (const range of splitStatements(toks)) {
    const result = classifyRange(ctx, range.start, range.end, range.implicitExec === true);
    const first = toks[range.start] as TsqlToken;
    const last = toks[range.end - 1] as TsqlToken;
    emit(result.draft, {
      start: first.start,
      end: last.end,
      sessionOnly: result.sessionOnly,
      refusal: result.refusal,
    });
  }
}

interface Emitted {
  start: number;
  end: number;
  sessionOnly: boolean;
  refusal: string | undefined;
}

/** Classifies a T-SQL command (possibly several GO batches). Never throws. */
export function classifyTsql(sql: string, options: ClassifyOptions = {}): Classification {
  try {
    return classifyScript(sql, options);
  } catch (error) {
    if (error instanceof TsqlError) return errorResult(sql, error.message, error.position);
    // A bug, not bad input: still a verdict, and still closed.
    const reason = error instanceof RangeError ? "the command is nested too deeply" : String(error);
    return {
      ok: false,
      dialect: "mssql",
      error: { message: `the guardrails could not finish reading the command (${reason})` },
    };
  }
}

/** Dynamic SQL nested deeper than this is not inspected (its statement is flagged anyway). */
const MAX_DYNAMIC_DEPTH = 8;

/**
 * Reads the literal text of `EXEC ('…')` / `sp_executesql N'…'` as T-SQL, so that what it
 * literally says is flagged and refused like the same statements written out. Dynamic SQL
 * that is not a literal stays `procedural` + `admin_functions`, which is all it can be.
 */
function inspectDynamic(depth: number): ((sql: string, facts: Facts) => void) | undefined {
  if (depth >= MAX_DYNAMIC_DEPTH) return undefined;
  return (sql, facts) => {
    const inner = classifyScript(sql, {}, depth + 1);
    if (!inner.ok) return;
    for (const statement of inner.statements) {
      for (const name of statement.flags) {
        const reason = statement.reasons[name] ?? name;
        flag(facts.draft, name, `dynamic SQL: ${reason}`);
      }
      if (statement.refusal !== undefined) refuse(facts, `dynamic SQL: ${statement.refusal}`);
    }
  };
}

function classifyScript(sql: string, options: ClassifyOptions, depth = 0): Classification {
  const batches = splitTsqlBatches(sql);
  const lines = new LineCounter(sql);
  const readFunctions = new Set((options.readFunctions ?? []).map((name) => name.toLowerCase()));
  const statements: StatementInfo[] = [];
  let repeated = false;
  for (const [batchIndex, batch] of batches.entries()) {
    if (batch.repeat < 1) {
      return errorResult(
        sql,
        "GO needs a repeat count of at least 1",
        batch.start + batch.text.length,
      );
    }
    const tokens = tokenizeTsql(batch.text, batch.start);
    if (!tokens.ok) return errorResult(sql, tokens.message, tokens.position);
    if (tokens.tokens.length === 0) continue;
    if (batch.repeat > 1) repeated = true;
    classifyBatch(depth, tokens.tokens, readFunctions, (draft, at) => {
      const { line, column } = lines.at(at.start);
      const where = {
        index: statements.length,
        start: at.start,
        end: at.end,
        line,
        column,
        source: sql,
        batch: batchIndex,
      };
      const info = finishStatement(draft, where, at.sessionOnly);
      if (at.refusal !== undefined) info.refusal = at.refusal;
      statements.push(info);
    });
  }
  if (statements.length === 0) {
    return {
      ok: false,
      dialect: "mssql",
      error: { message: "the command contains no SQL statement" },
    };
  }
  return {
    ok: true,
    dialect: "mssql",
    statements,
    multipleStatements: statements.length > 1 || repeated,
  };
}
