/**
 * Procedural code (issue 12, class 4): DO blocks run now, CREATE FUNCTION/PROCEDURE bodies
 * run later, every time they are called. Both are read the same way: PL/pgSQL is parsed
 * with PostgreSQL's own PL/pgSQL parser, SQL bodies with the SQL parser, and every embedded
 * statement is classified like a top-level one. Code in any other language is a black box.
 */
import { parsePlPgSQLSync } from "libpg-query";
import {
  AnalysisError,
  MAX_COMMENT_DEPTH,
  deepCommentAt,
  defElemText,
  defElems,
  isObject,
  list,
  str,
  type JsonObject,
} from "./pg-ast.js";
import { flag, mergeDraft, refuse, type StatementDraft } from "./statement-draft.js";

/** Parses SQL text and classifies each statement in it (one nesting level deeper). */
export type ClassifyQuery = (sql: string) => StatementDraft[];

/** Languages that run native or unrestricted code on the server. */
function untrustedLanguage(language: string): boolean {
  return language === "c" || language === "internal" || /u$/.test(language);
}

function foreignLanguage(draft: StatementDraft, what: string, language: string): void {
  const reason = untrustedLanguage(language)
    ? `${what} in ${language}, an untrusted or native language, runs with the server's privileges`
    : `${what} in ${language}: code the guardrails cannot read`;
  flag(draft, "admin_functions", reason);
}

function dollarQuote(body: string): string {
  let tag = "$cs$";
  for (let i = 0; body.includes(tag); i += 1) tag = `$cs${i}$`;
  return `${tag}${body}${tag}`;
}

function parsePlpgsql(text: string, what: string): unknown {
  if (deepCommentAt(text) !== undefined) {
    throw new AnalysisError(
      `block comments in the ${what} nest more than ${MAX_COMMENT_DEPTH} deep`,
    );
  }
  try {
    return parsePlPgSQLSync(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AnalysisError(`could not analyse the ${what}: ${message}`);
  }
}

const DYNAMIC_SQL = new Set(["PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", "dynquery"]);
const TRANSACTION_CONTROL = new Set(["PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"]);

interface PlpgsqlFacts {
  queries: string[];
  dynamic: boolean;
  transactionControl: boolean;
  functions: number;
}

/** Every SQL statement and expression of a parsed PL/pgSQL tree, as runnable SQL. */
function plpgsqlFacts(tree: unknown): PlpgsqlFacts {
  const facts: PlpgsqlFacts = {
    queries: [],
    dynamic: false,
    transactionControl: false,
    functions: 0,
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (DYNAMIC_SQL.has(key)) facts.dynamic = true;
      if (TRANSACTION_CONTROL.has(key)) facts.transactionControl = true;
      if (key === "PLpgSQL_function") facts.functions += 1;
      if (key === "PLpgSQL_expr" && isObject(value)) {
        const query = str(value.query);
        const mode = typeof value.parseMode === "number" ? value.parseMode : 0;
        if (query !== undefined) {
          // Modes 3+ are assignments ("target := expr"); the target is a variable.
          const expression = mode >= 3 ? query.replace(/^[^:=]*:?=/, "") : query;
          facts.queries.push(mode === 0 ? expression : `SELECT ${expression}`);
        }
      }
      visit(value);
    }
  };
  visit(tree);
  return facts;
}

/**
 * Folds the statements of a body into the statement that holds it. Code that runs now (a
 * DO block) keeps its refusals; code stored for later (a function) cannot desync this
 * command, so a refusal inside it becomes `admin_functions` for the reviewers.
 */
function mergeBody(draft: StatementDraft, inner: StatementDraft[], runsNow: boolean): void {
  for (const statement of inner) {
    if (statement.kind === "ddl") flag(draft, "ddl", `${statement.command} changes the schema`);
    if (statement.kind === "dcl") {
      flag(draft, "dcl", `${statement.command} changes privileges or roles`);
    }
    const refusal = statement.refusal;
    if (!runsNow) delete statement.refusal;
    mergeDraft(draft, statement);
    if (!runsNow && refusal !== undefined) flag(draft, "admin_functions", `its body: ${refusal}`);
  }
}

function analysePlpgsql(
  draft: StatementDraft,
  tree: unknown,
  what: string,
  runsNow: boolean,
  classify: ClassifyQuery,
): void {
  const facts = plpgsqlFacts(tree);
  if (facts.functions === 0) throw new AnalysisError(`could not find the code of the ${what}`);
  if (facts.dynamic) flag(draft, "admin_functions", `the ${what} runs dynamic SQL (EXECUTE)`);
  if (facts.transactionControl && runsNow) {
    refuse(draft, `the ${what} commits or rolls back the transaction Countersign runs it in`);
  }
  for (const query of facts.queries) mergeBody(draft, classify(query), runsNow);
}

/** DO [LANGUAGE x] '…': runs now. */
export function analyseDoBlock(
  body: JsonObject,
  draft: StatementDraft,
  classify: ClassifyQuery,
): void {
  let language = "plpgsql";
  let code: string | undefined;
  for (const option of defElems(body.args)) {
    const text = defElemText(option.arg);
    if (option.defname === "language" && text !== undefined) language = text.toLowerCase();
    if (option.defname === "as") code = text;
  }
  if (language !== "plpgsql") {
    foreignLanguage(draft, "DO block", language);
    return;
  }
  if (code === undefined) return;
  analysePlpgsql(
    draft,
    parsePlpgsql(`DO ${dollarQuote(code)}`, "DO block"),
    "DO block",
    true,
    classify,
  );
}

/**
 * CREATE FUNCTION / PROCEDURE: the body runs later, whenever it is called, so it is read
 * now. `source` is the statement's own text: PL/pgSQL needs the whole definition (the
 * parameters and return type decide which names are variables).
 */
export function analyseFunctionBody(
  body: JsonObject,
  source: string | undefined,
  draft: StatementDraft,
  classify: ClassifyQuery,
): void {
  const what = body.is_procedure === true ? "procedure" : "function";
  let language = "sql";
  let code: string[] = [];
  for (const option of defElems(body.options)) {
    if (option.defname === "language") language = (defElemText(option.arg) ?? "sql").toLowerCase();
    if (option.defname === "as" && isObject(option.arg) && isObject(option.arg.List)) {
      code = list(option.arg.List.items).flatMap((item) => {
        const text = isObject(item) && isObject(item.String) ? str(item.String.sval) : undefined;
        return text === undefined ? [] : [text];
      });
    }
  }
  if (language === "sql") {
    // A standard-SQL body (BEGIN ATOMIC … END, RETURN …) is already in the tree and walked.
    for (const text of code) mergeBody(draft, classify(text), false);
    return;
  }
  if (language !== "plpgsql") {
    foreignLanguage(draft, what, language);
    return;
  }
  if (source === undefined) throw new AnalysisError(`could not find the text of the ${what}`);
  analysePlpgsql(draft, parseDefinition(source, what), what, false, classify);
}

// `schema.table.column%TYPE`, each part plain or quoted.
const NAME_PART = String.raw`(?:"(?:[^"]|"")*"|[\p{L}_][\p{L}\p{N}_$]*)`;
const COPIED_TYPE = new RegExp(
  String.raw`${NAME_PART}(?:\s*\.\s*${NAME_PART})*\s*%\s*TYPE\b`,
  "giu",
);

/**
 * libpg-query's PL/pgSQL parser cannot resolve a parameter or return type copied from a
 * column (`p users.id%TYPE`: "Not implemented"). The type decides nothing the guardrails
 * read, so the definition is parsed again with such types written as `text`.
 */
function parseDefinition(source: string, what: string): unknown {
  try {
    return parsePlPgSQLSync(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/not implemented/i.test(message)) return parsePlpgsql(source, what);
    return parsePlpgsql(source.replace(COPIED_TYPE, "text"), what);
  }
}
