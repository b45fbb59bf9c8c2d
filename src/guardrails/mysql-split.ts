/**
 * Statement boundaries in MySQL text. A `;` outside quotes and comments ends a statement,
 * except inside the body of a stored program (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT,
 * ALTER EVENT, MariaDB's `BEGIN NOT ATOMIC`), where the server's own parser reads
 * `BEGIN … END`, `IF … END IF`, `CASE … END`, loops and their `;` as one statement. Those
 * blocks are counted here; a body whose blocks do not balance is a parse error, so nothing
 * can hide behind an END the splitter and the server would place differently.
 */
import type { MysqlToken } from "./mysql-tokenize.js";

export interface StatementRange {
  /** Token indices [start, end), without the closing `;`. */
  start: number;
  end: number;
  /** The statement holds a stored-program body (blocks were counted). */
  compound: boolean;
}

export class MysqlSplitError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

function word(token: MysqlToken | undefined): string | undefined {
  return token?.type === "word" ? token.value : undefined;
}

const PROGRAM_OBJECTS = new Set(["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"]);

/**
 * Words after which a block keyword starts a statement inside a body. Most block keywords
 * are reserved words, so they cannot be names; BEGIN can, but not right after these.
 */
const STATEMENT_START = new Set([
  "BEGIN",
  "THEN",
  "ELSE",
  "DO",
  "LOOP",
  "REPEAT",
  "SQLEXCEPTION",
  "SQLWARNING",
  "FOUND",
]);

/** Routine characteristics between a procedure's parameters and its body. */
const CHARACTERISTICS = new Set([
  "COMMENT",
  "LANGUAGE",
  "SQL",
  "NOT",
  "DETERMINISTIC",
  "CONTAINS",
  "NO",
  "READS",
  "MODIFIES",
  "DATA",
  "SECURITY",
  "DEFINER",
  "INVOKER",
]);

/** Index after the parenthesised group opening at `k` (or `k` when none opens there). */
function skipParens(toks: MysqlToken[], k: number): number {
  if (toks[k]?.type !== "lparen") return k;
  let depth = 0;
  for (let i = k; i < toks.length; i += 1) {
    const type = toks[i]?.type;
    if (type === "lparen") depth += 1;
    else if (type === "rparen") depth -= 1;
    if (depth === 0) return i + 1;
  }
  return toks.length;
}

/** After `RETURNS`: the type, its length, sign and character set. */
function skipReturnType(toks: MysqlToken[], k: number): number {
  let i = skipParens(toks, k + 1);
  for (;;) {
    const name = word(toks[i]);
    if (name === "UNSIGNED" || name === "SIGNED" || name === "ZEROFILL" || name === "BINARY") {
      i += 1;
    } else if (name === "CHARSET" || name === "COLLATE") {
      i += 2;
    } else if (name === "CHARACTER" && word(toks[i + 1]) === "SET") {
      i += 3;
    } else {
      return i;
    }
  }
}

/** Where a procedure's or function's body starts, after its parameters and characteristics. */
function routineBodyStart(toks: MysqlToken[], at: number): number {
  let k = at + 1;
  while (k < toks.length && toks[k]?.type !== "lparen" && toks[k]?.type !== "semicolon") k += 1;
  k = skipParens(toks, k);
  if (word(toks[k]) === "RETURNS") k = skipReturnType(toks, k + 1);
  for (;;) {
    const name = word(toks[k]);
    if (name === undefined || !CHARACTERISTICS.has(name)) return k;
    k += name === "COMMENT" ? 2 : 1;
  }
}

/** Where a trigger's (after FOR EACH ROW) or an event's (after DO) body starts. */
function bodyAfter(toks: MysqlToken[], at: number, object: string): number {
  for (let k = at + 1; k < toks.length; k += 1) {
    if (toks[k]?.type === "semicolon") return -1;
    if (object === "EVENT" && word(toks[k]) === "DO") return k + 1;
    if (object === "TRIGGER" && word(toks[k]) === "ROW" && word(toks[k - 1]) === "EACH") {
      const order = word(toks[k + 1]);
      return order === "FOLLOWS" || order === "PRECEDES" ? k + 3 : k + 1;
    }
  }
  return -1;
}

/**
 * The index of the first token of the stored-program body of the statement starting at
 * `s`, or -1 when the statement has none.
 */
function programBodyStart(toks: MysqlToken[], s: number): number {
  const lead = word(toks[s]);
  if (lead === "BEGIN") {
    return word(toks[s + 1]) === "NOT" && word(toks[s + 2]) === "ATOMIC" ? s : -1;
  }
  if (lead !== "CREATE" && lead !== "ALTER") return -1;
  for (let k = s + 1; k < toks.length; k += 1) {
    const token = toks[k] as MysqlToken;
    if (token.type === "semicolon" || token.type === "lparen") return -1;
    const name = word(token);
    if (name !== undefined && PROGRAM_OBJECTS.has(name)) {
      if (name === "TRIGGER" || name === "EVENT") return bodyAfter(toks, k, name);
      // `CREATE FUNCTION f RETURNS INT SONAME 'x.so'` (a UDF) has no body.
      if (word(toks[k + 2]) === "RETURNS" && toks[k + 2 + 2]?.value === "SONAME") return -1;
      return routineBodyStart(toks, k);
    }
    // Only header words (OR REPLACE, DEFINER = …, AGGREGATE …) come before the object.
    if (name === "TABLE" || name === "VIEW" || name === "INDEX" || name === "USER") return -1;
  }
  return -1;
}

function startsStatement(toks: MysqlToken[], k: number, bodyStart: number): boolean {
  if (k === bodyStart) return true;
  const prev = toks[k - 1];
  if (prev === undefined) return true;
  if (prev.type === "semicolon") return true;
  if (prev.type === "op" && prev.text === ":") return true;
  const name = word(prev);
  // DO ends a WHILE or FOR header (a statement follows), but a DO that starts a statement is
  // the DO statement, and an expression follows: `DO IF(1,1,1)` calls IF(), opens no block.
  if (name === "DO") return !startsStatement(toks, k - 1, bodyStart);
  return name !== undefined && STATEMENT_START.has(name);
}

const QUALIFIED_ENDS = new Set(["IF", "CASE", "WHILE", "REPEAT", "LOOP", "FOR"]);

/** How one token changes the block depth of a stored-program body. */
function depthChange(toks: MysqlToken[], k: number, bodyStart: number): number {
  if (k < bodyStart) return 0;
  const name = word(toks[k]);
  if (name === undefined) return 0;
  if (name === "END") return -1;
  if (QUALIFIED_ENDS.has(name) && word(toks[k - 1]) === "END") return 0;
  // CASE is reserved: a CASE expression and a CASE statement both close with END.
  if (name === "CASE") return 1;
  if (name === "BEGIN" && toks[k + 1]?.type === "op" && toks[k + 1]?.text === ":") return 0;
  if (name === "BEGIN" || QUALIFIED_ENDS.has(name)) {
    // Elsewhere IF is IF() or IF [NOT] EXISTS, REPEAT is REPEAT(), FOR is FOR UPDATE.
    return startsStatement(toks, k, bodyStart) ? 1 : 0;
  }
  return 0;
}

/** Splits tokens into statements. Throws MysqlSplitError on unbalanced program blocks. */
export function splitMysqlStatements(toks: MysqlToken[]): StatementRange[] {
  const ranges: StatementRange[] = [];
  let s = 0;
  while (s < toks.length) {
    if (toks[s]?.type === "semicolon") {
      s += 1;
      continue;
    }
    const bodyStart = programBodyStart(toks, s);
    const compound = bodyStart !== -1;
    let depth = 0;
    let k = s;
    for (; k < toks.length; k += 1) {
      const token = toks[k] as MysqlToken;
      if (token.type === "semicolon" && depth === 0) break;
      if (!compound) continue;
      depth += depthChange(toks, k, bodyStart);
      if (depth < 0) throw new MysqlSplitError("END without a matching BEGIN", token.start);
    }
    if (depth > 0) {
      const first = toks[s] as MysqlToken;
      throw new MysqlSplitError("a stored-program body has a BEGIN without its END", first.start);
    }
    ranges.push({ start: s, end: k, compound });
    s = k + 1;
  }
  return ranges;
}
