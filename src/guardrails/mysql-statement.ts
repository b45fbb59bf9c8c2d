/**
 * One MySQL statement: its leading words (mysql-lead.ts), the parser's tree where the
 * verdict depends on structure (mysql-parse.ts, mysql-walk.ts), and the token cross-check
 * (mysql-scan.ts). A read must be a read to both the parser and the tokens.
 */
import { flag, newDraft, type StatementDraft } from "./statement-draft.js";
import { alwaysTrue, usesXor } from "./mysql-fold.js";
import { mysqlAdminFunction, mysqlReadFunction } from "./mysql-functions.js";
import { classifyLead, MysqlLeadError, type LeadResult } from "./mysql-lead.js";
import { parseMysqlStatement } from "./mysql-parse.js";
import { scanMysqlTokens } from "./mysql-scan.js";
import { blankComments, type MysqlToken } from "./mysql-tokenize.js";
import { walkMysql, type CallFact } from "./mysql-walk.js";

/** Parentheses nested deeper than this are refused before the parser recurses into them. */
export const MAX_NESTING = 64;

export interface StatementSource {
  sql: string;
  toks: MysqlToken[];
  comments: [number, number][];
  readFunctions: ReadonlySet<string>;
  /** Classifies the text a PREPARE … FROM 'text' prepares (merged into the PREPARE). */
  prepared: (text: string, draft: StatementDraft) => void;
}

export interface ClassifiedStatement {
  draft: StatementDraft;
  sessionOnly: boolean;
  implicitCommit: boolean;
}

/** Names node-sql-parser reports as functions that are operators of the language. */
const OPERATOR_FUNCTIONS = new Set(["not", "exists"]);

/**
 * Checks calls for server administration; `show` also lists them for the reviewers (the
 * token scan's calls are shown only when there is no tree: `INSERT INTO t (a)` looks like a
 * call of `t` to the tokens).
 */
function recordCalls(draft: StatementDraft, calls: readonly CallFact[], show: boolean): void {
  for (const call of calls) {
    const name = call.name.toLowerCase();
    if (OPERATOR_FUNCTIONS.has(name) && call.quoted !== true) continue;
    if (show) draft.functions.add(name);
    if (mysqlAdminFunction(name)) flag(draft, "admin_functions", `calls ${name}`);
  }
}

/** Flags `write` on a statement that calls anything not known to be read-only. */
function checkReadCalls(
  draft: StatementDraft,
  calls: readonly CallFact[],
  readFunctions: ReadonlySet<string>,
): void {
  for (const call of calls) {
    const name = call.name.toLowerCase();
    if (call.quoted === true) {
      flag(draft, "write", `calls \`${name}\` by a quoted name, which may be a stored function`);
      continue;
    }
    if (OPERATOR_FUNCTIONS.has(name) || mysqlReadFunction(name, call.argumentCount, readFunctions))
      continue;
    flag(draft, "write", `calls ${name}, which is not known to be read-only`);
  }
}

function parseError(source: StatementSource, s: number, message: string, offset?: number): never {
  const start = (source.toks[s] as MysqlToken).start;
  throw new MysqlLeadError(message, start + (offset ?? 0));
}

/** Reads the statement with the parser and applies what its tree says. */
function applyTree(
  source: StatementSource,
  s: number,
  e: number,
  lead: LeadResult,
  draft: StatementDraft,
): CallFact[] {
  const first = source.toks[s] as MysqlToken;
  const last = source.toks[e - 1] as MysqlToken;
  const text = blankComments(source.sql.slice(first.start, last.end), source.comments, first.start);
  const parsed = parseMysqlStatement(text);
  if (!parsed.ok) {
    if (lead.parse === "optional") return [];
    parseError(source, s, parsed.message, parsed.offset);
  }
  const { ast } = parsed;
  if (ast.type !== lead.astType) {
    if (lead.parse === "optional") return [];
    parseError(
      source,
      s,
      `the parser read this ${draft.command} as ${String(ast.type).toUpperCase()}`,
    );
  }
  const facts = walkMysql(ast);
  if (facts.separator)
    parseError(source, s, "the parser read more than one statement where MySQL reads one");
  for (const table of facts.tables) draft.tables.add(table);
  if (lead.query) {
    if (facts.into === "file")
      flag(
        draft,
        "admin_functions",
        "SELECT … INTO OUTFILE/DUMPFILE writes a file on the database server",
      );
    if (facts.into === "variable") flag(draft, "write", "SELECT … INTO assigns variables");
    if (facts.locking !== undefined) flag(draft, "write", `${facts.locking} locks rows`);
  }
  if (facts.assigns && lead.query) flag(draft, "write", "assigns a user variable with :=");
  if (ast.type === "delete" || ast.type === "update") {
    const rule = ast.type === "delete" ? "delete_without_where" : "update_without_where";
    const verb = ast.type.toUpperCase();
    if (ast.where === null || ast.where === undefined)
      flag(draft, rule, `${verb} without a WHERE clause`);
    else if (alwaysTrue(ast.where))
      flag(draft, rule, `${verb} whose WHERE clause is always true or names no column`);
    else if (usesXor(ast.where))
      flag(draft, rule, `${verb} whose WHERE clause uses XOR, which the guardrails cannot check`);
  }
  return facts.calls;
}

/** Classifies the statement in tokens [s, e). Throws MysqlLeadError on what it cannot read. */
export function classifyMysqlStatement(
  source: StatementSource,
  s: number,
  e: number,
): ClassifiedStatement {
  const { toks } = source;
  const draft = newDraft("admin", "");
  const lead = classifyLead(toks, s, e, draft);
  const scan = scanMysqlTokens(toks, s, e);
  if (scan.depth > MAX_NESTING) {
    parseError(source, s, `parentheses are nested deeper than ${MAX_NESTING} levels`);
  }
  if (lead.inner !== undefined) {
    const inner = classifyMysqlStatement(source, lead.inner.at, e);
    if (lead.inner.runs) {
      inner.draft.command = `${draft.command} ${inner.draft.command}`;
      return inner;
    }
    // Plain EXPLAIN only plans; the planner may still evaluate the functions it calls.
    for (const table of inner.draft.tables) draft.tables.add(table);
    for (const name of inner.draft.functions) draft.functions.add(name);
    const admin = inner.draft.reasons.get("admin_functions");
    if (admin !== undefined) flag(draft, "admin_functions", admin);
    const risk = scan.calls.find(
      (call) =>
        call.quoted || !mysqlReadFunction(call.name, call.argumentCount, source.readFunctions),
    );
    if (risk !== undefined) flag(draft, "write", `EXPLAIN may run ${risk.name} while planning`);
    return { draft, sessionOnly: false, implicitCommit: false };
  }
  if (lead.prepared !== undefined) {
    source.prepared(lead.prepared, draft);
    return { draft, sessionOnly: false, implicitCommit: false };
  }
  const showTokenCalls = lead.parse === "none" && draft.kind !== "ddl" && draft.kind !== "dcl";
  recordCalls(draft, scan.calls, showTokenCalls);
  if (scan.writesFile)
    flag(draft, "admin_functions", "INTO OUTFILE/DUMPFILE writes a file on the database server");
  const treeCalls = lead.parse === "none" ? [] : applyTree(source, s, e, lead, draft);
  recordCalls(draft, treeCalls, true);
  if (draft.kind === "read" || (draft.kind === "admin" && lead.sessionOnly)) {
    checkReadCalls(draft, [...scan.calls, ...treeCalls], source.readFunctions);
    if (lead.query && scan.notRead !== undefined) flag(draft, "write", scan.notRead);
    // Without a tree only the tokens say what is a call, and a keyword the scan takes for
    // grammar (`SHOW TABLES WHERE mode(1) = 2`) is a stored-function call to the server.
    if (lead.parse === "none" && draft.kind === "read" && scan.depth > 0) {
      flag(
        draft,
        "write",
        "has parentheses the guardrails read without a parser: a call cannot be ruled out",
      );
    }
  }
  return { draft, sessionOnly: lead.sessionOnly, implicitCommit: lead.implicitCommit };
}
