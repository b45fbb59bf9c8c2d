/**
 * T-SQL keywords and multi-part names, shared by the statement splitter, the statement
 * facts and the always-true folder.
 */
import type { TsqlToken } from "./tsql-tokenize.js";

/** Keywords that start a statement, and therefore end the previous one unless a rule says otherwise. */
export const STARTERS = new Set([
  "ALTER",
  "BACKUP",
  "BEGIN",
  "BREAK",
  "BULK",
  "CHECKPOINT",
  "CLOSE",
  "COMMIT",
  "CONTINUE",
  "CREATE",
  "DBCC",
  "DEALLOCATE",
  "DECLARE",
  "DELETE",
  "DENY",
  "DISABLE",
  "DROP",
  "ELSE",
  "ENABLE",
  "EXEC",
  "EXECUTE",
  "FETCH",
  "GOTO",
  "GRANT",
  "IF",
  "INSERT",
  "KILL",
  "MERGE",
  "OPEN",
  "PRINT",
  "RAISERROR",
  "READTEXT",
  "RECONFIGURE",
  "RESTORE",
  "RETURN",
  "REVERT",
  "REVOKE",
  "ROLLBACK",
  "SAVE",
  "SELECT",
  "SET",
  "SETUSER",
  "SHUTDOWN",
  "TRUNCATE",
  "UPDATE",
  "UPDATETEXT",
  "USE",
  "WAITFOR",
  "WHILE",
  "WITH",
  "WRITETEXT",
]);

/** T-SQL reserved words: never a bare table or function name. */
export const RESERVED = new Set([
  ...STARTERS,
  "ADD",
  "ALL",
  "AND",
  "ANY",
  "AS",
  "ASC",
  "AUTHORIZATION",
  "BETWEEN",
  "BY",
  "CASCADE",
  "CASE",
  "CHECK",
  "CLUSTERED",
  "COLUMN",
  "CONSTRAINT",
  "CONTAINS",
  "CROSS",
  "CURRENT",
  "CURSOR",
  "DATABASE",
  "DEFAULT",
  "DESC",
  "DISTINCT",
  "DISTRIBUTED",
  "END",
  "ESCAPE",
  "EXCEPT",
  "EXISTS",
  "EXTERNAL",
  "FILE",
  "FOR",
  "FOREIGN",
  "FROM",
  "FULL",
  "FUNCTION",
  "GROUP",
  "HAVING",
  "HOLDLOCK",
  "IDENTITY",
  "IN",
  "INDEX",
  "INNER",
  "INTERSECT",
  "INTO",
  "IS",
  "JOIN",
  "KEY",
  "LEFT",
  "LIKE",
  "NOCHECK",
  "NONCLUSTERED",
  "NOT",
  "NULL",
  "OF",
  "OFF",
  "ON",
  "OPTION",
  "OR",
  "ORDER",
  "OUTER",
  "OVER",
  "PERCENT",
  "PIVOT",
  "PLAN",
  "PRIMARY",
  "PROC",
  "PROCEDURE",
  "PUBLIC",
  "REFERENCES",
  "RIGHT",
  "ROWCOUNT",
  "RULE",
  "SCHEMA",
  "SOME",
  "STATISTICS",
  "TABLE",
  "TABLESAMPLE",
  "THEN",
  "TO",
  "TOP",
  "TRAN",
  "TRANSACTION",
  "TRIGGER",
  "UNION",
  "UNIQUE",
  "UNPIVOT",
  "USER",
  "VALUES",
  "VIEW",
  "WHEN",
  "WHERE",
]);

/** Reserved words that are nevertheless called like functions. */
export const FUNCTION_KEYWORDS = new Set([
  "COALESCE",
  "CONVERT",
  "NULLIF",
  "OPENROWSET",
  "OPENDATASOURCE",
  "OPENQUERY",
  "OPENXML",
  "LEFT",
  "RIGHT",
  "USER",
]);

export function namePart(token: TsqlToken): string {
  if (token.type === "qident") return `[${token.value.replace(/\]/g, "]]")}]`;
  return token.text.toLowerCase();
}

export function isNameToken(token: TsqlToken | undefined): boolean {
  if (token === undefined) return false;
  if (token.type === "qident" || token.type === "variable") return true;
  return token.type === "word" && !RESERVED.has(token.value);
}

/** A multi-part name starting at `at` (`db..t`, `[s].[t]`, `#tmp`, `@t`); undefined if none. */
export function readName(
  toks: TsqlToken[],
  at: number,
): { display: string; last: string; next: number } | undefined {
  const first = toks[at];
  if (first === undefined) return undefined;
  const leadingDots = first.type === "dot";
  if (!isNameToken(first) && !leadingDots) return undefined;
  const parts: string[] = [];
  let last = "";
  let i = at;
  let expectName = true;
  while (i < toks.length) {
    const token = toks[i] as TsqlToken;
    if (expectName && (isNameToken(token) || (token.type === "word" && parts.length > 0))) {
      parts.push(namePart(token));
      last = token.type === "qident" ? token.value.toLowerCase() : token.text.toLowerCase();
      expectName = false;
      i += 1;
    } else if (token.type === "dot") {
      if (expectName) parts.push("");
      expectName = true;
      i += 1;
    } else {
      break;
    }
  }
  if (parts.length === 0 || last === "") return undefined;
  return { display: parts.join("."), last, next: i };
}

/** A parse failure at a UTF-16 offset of the command; the classifier turns it into ok:false. */
export class TsqlError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export type Fail = (message: string, token: TsqlToken | undefined) => never;

/** Index of the `)` closing the `(` at `open`, or `end` when it is not closed before it. */
export function matchingParen(toks: TsqlToken[], open: number, end: number): number {
  let depth = 0;
  for (let k = open; k < end; k += 1) {
    const type = toks[k]?.type;
    if (type === "lparen") depth += 1;
    if (type === "rparen" && --depth === 0) return k;
  }
  return end;
}

/** The upper-case word at `at`, if that token is a word before `end`. */
export function wordAt(toks: TsqlToken[], at: number, end = toks.length): string | undefined {
  const token = at < end ? toks[at] : undefined;
  return token?.type === "word" ? token.value : undefined;
}

/** Procedure, function, trigger and view definitions: their body runs later, not now. */
export const ROUTINE_OBJECTS = new Set(["PROC", "PROCEDURE", "FUNCTION", "TRIGGER", "VIEW"]);

/** `CREATE|ALTER [OR ALTER] PROCEDURE|FUNCTION|TRIGGER|VIEW …` starting at `s`. */
export function isRoutineDefinition(toks: TsqlToken[], s: number, e = toks.length): boolean {
  const lead = wordAt(toks, s, e);
  if (lead !== "CREATE" && lead !== "ALTER") return false;
  return [1, 2, 3].some((offset) => ROUTINE_OBJECTS.has(wordAt(toks, s + offset, e) ?? ""));
}

/** A temporary table (`#t`, `##t`) or a table variable (`@t`): private to the session. */
export function isSessionTable(display: string): boolean {
  return /(?:^|\.)\[?[#@]/.test(display);
}

/** `DROP TABLE [IF EXISTS] #a, @b` / `TRUNCATE TABLE #a`: only session-private tables. */
export function onlySessionTables(toks: TsqlToken[], at: number, e: number): boolean {
  if (wordAt(toks, at + 1, e) !== "TABLE") return false;
  let k = at + 2;
  if (wordAt(toks, k, e) === "IF" && wordAt(toks, k + 1, e) === "EXISTS") k += 2;
  for (;;) {
    const name = readName(toks, k);
    if (name === undefined || k >= e || !isSessionTable(name.display)) return false;
    if (toks[name.next]?.type !== "comma" || name.next >= e) return true;
    k = name.next + 1;
  }
}

/** Names defined by a WITH list (`WITH a AS (…), b (x) AS (…)`), as noteTable shows them. */
export function cteNames(toks: TsqlToken[], s: number, e: number): string[] {
  const names: string[] = [];
  let k = s + 1;
  while (k < e) {
    const name = toks[k];
    if (name === undefined || !isNameToken(name)) break;
    let at = k + 1;
    if (toks[at]?.type === "lparen") at = matchingParen(toks, at, e) + 1;
    if (toks[at]?.value !== "AS" || toks[at + 1]?.type !== "lparen") break;
    names.push(namePart(name));
    k = matchingParen(toks, at + 1, e) + 1;
    if (toks[k]?.type !== "comma") break;
    k += 1;
  }
  return names;
}
