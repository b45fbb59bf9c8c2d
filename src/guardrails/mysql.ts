/**
 * MySQL and MariaDB classification, in layers:
 *
 * - mysql-tokenize.ts reads the server's lexical rules and finds text two readers could
 *   read differently (executable comments, `#`, backslashes …): such a command is refused
 *   whole, on every resource;
 * - mysql-split.ts finds statement boundaries (stored-program bodies included);
 * - mysql-statement.ts classifies each statement: its leading words (mysql-lead.ts), the
 *   parser's tree where structure matters (node-sql-parser, mysql-parse.ts/mysql-walk.ts),
 *   and an independent token scan (mysql-scan.ts); mysql-session.ts refuses what changes
 *   the session or the transaction; mysql-fold.ts finds always-true WHERE clauses.
 *
 * What the parser cannot read, where the verdict depends on it, is a parse error: the
 * command is denied unless the resource allows unparsed commands. Nothing here throws.
 */
import { LineCounter } from "./line-counter.js";
import {
  finishStatement,
  flag,
  mergeDraft,
  newDraft,
  refuse,
  strongerKind,
  type StatementDraft,
} from "./statement-draft.js";
import { implicitCommitRefusal } from "./mysql-session.js";
import { MysqlLeadError } from "./mysql-lead.js";
import { scanProgramBody } from "./mysql-body.js";
import { MysqlSplitError, splitMysqlStatements } from "./mysql-split.js";
import {
  classifyMysqlStatement,
  type ClassifiedStatement,
  type StatementSource,
} from "./mysql-statement.js";
import { tokenizeMysql, type MysqlToken } from "./mysql-tokenize.js";
import { MysqlWalkError } from "./mysql-walk.js";
import type { Classification, ClassifyOptions, StatementInfo } from "./types.js";

/** PREPARE … FROM 'text' nested deeper than this is not inspected (and flagged). */
const MAX_PREPARE_DEPTH = 4;

class MysqlError extends Error {
  constructor(
    message: string,
    readonly position: number | undefined,
  ) {
    super(message);
  }
}

function errorResult(sql: string, message: string, position: number | undefined): Classification {
  if (position === undefined) return { ok: false, dialect: "mysql", error: { message } };
  const { line, column } = new LineCounter(sql).at(position);
  return { ok: false, dialect: "mysql", error: { message, position, line, column } };
}

/** `DELIMITER //` is a command of the mysql client: the server would split differently. */
function delimiterAt(sql: string, toks: MysqlToken[]): number | undefined {
  for (const [k, token] of toks.entries()) {
    if (token.type !== "word" || token.value !== "DELIMITER") continue;
    const prev = toks[k - 1];
    if (
      prev === undefined ||
      prev.type === "semicolon" ||
      sql.slice(prev.end, token.start).includes("\n")
    ) {
      return token.start;
    }
  }
  return undefined;
}

/** The whole command as one refused statement: its statements cannot be told apart. */
function refusedWhole(sql: string, position: number, reason: string): Classification {
  const { line, column } = new LineCounter(sql).at(position);
  const start = sql.length - sql.trimStart().length;
  const end = sql.trimEnd().length;
  const draft = newDraft("admin", "UNREADABLE COMMAND");
  refuse(
    draft,
    `at line ${line}, column ${column} the command contains ${reason}; the server and the reviewers could see different statements, so the whole command is refused`,
  );
  const at = new LineCounter(sql).at(start);
  const info = finishStatement(draft, { index: 0, start, end, ...at, source: sql }, false);
  return { ok: true, dialect: "mysql", statements: [info], multipleStatements: false };
}

/** Merges the statements a PREPARE (or EXECUTE IMMEDIATE) prepares into the statement itself. */
function mergePrepared(
  text: string,
  draft: StatementDraft,
  options: ClassifyOptions,
  depth: number,
): void {
  if (depth >= MAX_PREPARE_DEPTH) {
    flag(draft, "procedural", "PREPARE nests prepared statements");
    flag(
      draft,
      "admin_functions",
      "PREPARE nests prepared statements deeper than the guardrails look",
    );
    return;
  }
  const inner = classifyScript(text, options, depth + 1);
  if (!inner.ok) {
    throw new MysqlError(
      `the statement that ${draft.command} prepares cannot be read: ${inner.error.message}`,
      undefined,
    );
  }
  const [first] = inner.statements;
  // "PREPARE DELETE", "EXECUTE IMMEDIATE DROP TABLE": the lead, then what it runs.
  draft.command = `${draft.command} ${first?.command ?? ""}`.trim();
  draft.kind = first?.kind ?? "admin";
  for (const statement of inner.statements) {
    draft.kind = strongerKind(draft.kind, statement.kind);
    const from = newDraft(statement.kind, statement.command);
    for (const table of statement.tables) from.tables.add(table);
    for (const fn of statement.functions) from.functions.add(fn);
    for (const name of statement.flags) flag(from, name, statement.reasons[name] ?? name);
    if (statement.refusal !== undefined) refuse(from, statement.refusal);
    mergeDraft(draft, from);
  }
}

function classifyScript(sql: string, options: ClassifyOptions, depth: number): Classification {
  if (sql.trim() === "") return errorResult(sql, "the command is empty", undefined);
  const tokens = tokenizeMysql(sql);
  // A hazard decides even when the text cannot be tokenized: a backslash is often why.
  if (tokens.hazard !== undefined)
    return refusedWhole(sql, tokens.hazard.position, tokens.hazard.reason);
  if (!tokens.ok) return errorResult(sql, tokens.message, tokens.position);
  const delimiter = delimiterAt(sql, tokens.tokens);
  if (delimiter !== undefined) {
    return refusedWhole(
      sql,
      delimiter,
      "DELIMITER, a command of the mysql client that changes where statements end",
    );
  }
  const toks = tokens.tokens;
  const ranges = splitMysqlStatements(toks);
  if (ranges.length === 0)
    return errorResult(sql, "the command contains no SQL statement", undefined);
  const source: StatementSource = {
    sql,
    toks,
    comments: tokens.comments,
    readFunctions: new Set((options.readFunctions ?? []).map((name) => name.toLowerCase())),
    prepared: (text, draft) => mergePrepared(text, draft, options, depth),
  };
  const classified: ClassifiedStatement[] = ranges.map((range) => {
    const statement = classifyMysqlStatement(source, range.start, range.end);
    if (range.compound) {
      const runsNow = (toks[range.start] as MysqlToken).value === "BEGIN";
      scanProgramBody(toks, range.start, range.end, statement.draft, runsNow);
    }
    return statement;
  });
  if (classified.length > 1) {
    for (const statement of classified) {
      if (statement.implicitCommit)
        refuse(statement.draft, implicitCommitRefusal(statement.draft.command));
    }
  }
  const lines = new LineCounter(sql);
  const statements: StatementInfo[] = classified.map((statement, index) => {
    const range = ranges[index] as (typeof ranges)[number];
    const start = (toks[range.start] as MysqlToken).start;
    const end = (toks[range.end - 1] as MysqlToken).end;
    const where = { index, start, end, ...lines.at(start), source: sql };
    return finishStatement(statement.draft, where, statement.sessionOnly);
  });
  return { ok: true, dialect: "mysql", statements, multipleStatements: statements.length > 1 };
}

/** Classifies a MySQL/MariaDB command. Never throws: failures are unparsed verdicts. */
export function classifyMysql(sql: string, options: ClassifyOptions = {}): Classification {
  try {
    return classifyScript(sql, options, 0);
  } catch (error) {
    if (error instanceof MysqlLeadError || error instanceof MysqlSplitError) {
      return errorResult(sql, error.message, error.position);
    }
    if (error instanceof MysqlError) return errorResult(sql, error.message, error.position);
    if (error instanceof MysqlWalkError) return errorResult(sql, error.message, undefined);
    const reason = error instanceof RangeError ? "the command is nested too deeply" : String(error);
    return errorResult(
      sql,
      `the guardrails could not finish reading the command (${reason})`,
      undefined,
    );
  }
}
