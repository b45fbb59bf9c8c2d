/**
 * A second, independent reading of a MySQL statement from its tokens, so that no verdict
 * rests on the parser alone: every `name(` is a call (unless the name is a keyword that
 * takes parentheses), and the words that make a SELECT more than a read (INTO, FOR
 * UPDATE/SHARE, LOCK IN SHARE MODE, PROCEDURE, `:=`) are found wherever they stand. A read
 * must pass both readings.
 */
import type { MysqlToken } from "./mysql-tokenize.js";

/** Words followed by `(` that do not call a function. */
const NOT_CALLS = new Set(
  `
IN EXISTS AS ON USING OVER FROM JOIN SELECT WHERE AND OR XOR NOT WITH INTO VALUES VALUE ROW
BY ELSE THEN WHEN CASE UNION INTERSECT EXCEPT ALL ANY SOME LIKE IS BETWEEN DIV MOD HAVING
SET TABLE LATERAL KEY INDEX PARTITION COLUMNS AGAINST MATCH DISTINCT RECURSIVE WINDOW LIMIT
OFFSET ORDER GROUP USE FORCE IGNORE UNIQUE PRIMARY CHECK REFERENCES CONSTRAINT FOREIGN
COLLATE ESCAPE REGEXP RLIKE RETURNING FOR LEADING TRAILING BOTH SEPARATOR DECIMAL SIGNED
UNSIGNED DATETIME DOUBLE FLOAT VARCHAR NCHAR INT INTEGER BIGINT TINYINT SMALLINT MEDIUMINT
VARBINARY TEXT BLOB ENUM NUMERIC REAL BIT DUPLICATE UPDATE DELETE INSERT REPLACE EXPLAIN
DESCRIBE SHOW LOCK SHARE MODE
`
    .split(/\s+/)
    .filter((name) => name !== ""),
);

export interface TokenCall {
  name: string;
  /** 0 for `f()`, 1 for any argument list that is not empty. */
  argumentCount: number;
  position: number;
  /**
   * Called by a quoted name (`` `ascii`('a') ``): the server skips its keyword grammar and
   * calls the stored function of that name unless the name is in its native registry, so the
   * name says nothing about what runs (`not`, `exists` and most built-ins are not there).
   */
  quoted: boolean;
}

export interface TokenScan {
  calls: TokenCall[];
  /** Why the tokens alone say a SELECT is more than a read (first found), if they do. */
  notRead?: string;
  /** `INTO OUTFILE` / `INTO DUMPFILE`: the server's file system. */
  writesFile: boolean;
  /** The deepest parenthesis nesting. */
  depth: number;
}

function nameOf(token: MysqlToken): string {
  return token.type === "word" ? token.text : token.value;
}

/** `a.b(` → `a.b`; `f(` → `f`: the name ending at token `k`. */
function qualifiedName(toks: MysqlToken[], k: number, s: number): string {
  let name = nameOf(toks[k] as MysqlToken);
  let i = k;
  while (i - 2 >= s && toks[i - 1]?.type === "dot") {
    const part = toks[i - 2] as MysqlToken;
    if (part.type !== "word" && part.type !== "quoted") break;
    name = `${nameOf(part)}.${name}`;
    i -= 2;
  }
  return name;
}

/** Index just after the `)` matching the `(` at `k`. */
function afterGroup(toks: MysqlToken[], k: number, e: number): number {
  let depth = 0;
  for (let i = k; i < e; i += 1) {
    const type = toks[i]?.type;
    if (type === "lparen") depth += 1;
    else if (type === "rparen") depth -= 1;
    if (depth === 0) return i + 1;
  }
  return e;
}

function isCall(toks: MysqlToken[], k: number, s: number, e: number): boolean {
  const token = toks[k] as MysqlToken;
  if (token.type !== "word" && token.type !== "quoted") return false;
  if (toks[k + 1]?.type !== "lparen" || k + 1 >= e) return false;
  if (token.type === "word" && NOT_CALLS.has(token.value) && toks[k - 1]?.type !== "dot")
    return false;
  const prev = k > s ? toks[k - 1] : undefined;
  if (prev?.type === "word" && prev.value === "AS") return false; // `AS t (a, b)`
  // `WITH c (a, b) AS (…)`: a CTE's column list.
  const after = afterGroup(toks, k + 1, e);
  return !(
    toks[after]?.type === "word" &&
    toks[after]?.value === "AS" &&
    toks[after + 1]?.type === "lparen"
  );
}

function words(toks: MysqlToken[], k: number, names: readonly string[]): boolean {
  return names.every((name, i) => toks[k + i]?.type === "word" && toks[k + i]?.value === name);
}

function notReadAt(toks: MysqlToken[], k: number): string | undefined {
  const token = toks[k] as MysqlToken;
  if (token.type === "op" && token.text === ":=") return "assigns a user variable with :=";
  if (token.type !== "word") return undefined;
  if (token.value === "INTO") return "SELECT … INTO writes its result somewhere";
  if (words(toks, k, ["FOR", "UPDATE"]) || words(toks, k, ["FOR", "SHARE"])) {
    return "FOR UPDATE/SHARE locks rows";
  }
  if (words(toks, k, ["LOCK", "IN", "SHARE", "MODE"])) return "LOCK IN SHARE MODE locks rows";
  if (token.value === "PROCEDURE") return "SELECT … PROCEDURE runs a procedure";
  return undefined;
}

/** Scans the tokens [s, e) of one statement. */
export function scanMysqlTokens(toks: MysqlToken[], s: number, e: number): TokenScan {
  const scan: TokenScan = { calls: [], writesFile: false, depth: 0 };
  let depth = 0;
  for (let k = s; k < e; k += 1) {
    const token = toks[k] as MysqlToken;
    if (token.type === "lparen") depth += 1;
    else if (token.type === "rparen") depth -= 1;
    scan.depth = Math.max(scan.depth, depth);
    if (isCall(toks, k, s, e)) {
      const empty = toks[k + 2]?.type === "rparen";
      scan.calls.push({
        name: qualifiedName(toks, k, s),
        argumentCount: empty ? 0 : 1,
        position: token.start,
        quoted: token.type === "quoted",
      });
    }
    scan.notRead ??= notReadAt(toks, k);
    if (token.type === "word" && (token.value === "OUTFILE" || token.value === "DUMPFILE")) {
      scan.writesFile = true;
    }
  }
  return scan;
}
