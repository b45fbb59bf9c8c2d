/**
 * The WHERE condition of one UPDATE/DELETE as the exact source text of the statement, so that
 * the undo backup selects the rows with the very expression the statement uses (libpg-query
 * parses but cannot print a tree back). PostgreSQL's own scanner (libpg-query's scan) finds
 * the top-level WHERE and RETURNING: at parenthesis depth 0, because every sub-select,
 * function call and row in the statement is parenthesised. What the scanner finds must agree
 * with the parse tree (one WHERE exactly when the tree has a condition, one RETURNING exactly
 * when it returns), or the statement is refused: the text is never guessed.
 */
import { scan } from "libpg-query";
import type { ScanToken } from "libpg-query";

export type WhereText = { ok: true; condition: string | null } | { ok: false; reason: string };

const OPENING = new Set(["(", "["]);
const CLOSING = new Set([")", "]"]);
const COMMENTS = new Set(["SQL_COMMENT", "C_COMMENT"]);

function isKeyword(token: ScanToken, word: string): boolean {
  return token.keywordName === "RESERVED_KEYWORD" && token.text.toUpperCase() === word;
}

/** Indexes of the tokens at parenthesis depth 0 that are `word`; null when unbalanced. */
function topLevel(tokens: ScanToken[], words: string[]): Map<string, number[]> | null {
  const found = new Map<string, number[]>(words.map((word) => [word, []]));
  let depth = 0;
  for (const [index, token] of tokens.entries()) {
    if (OPENING.has(token.text)) depth += 1;
    else if (CLOSING.has(token.text)) depth -= 1;
    else if (depth === 0)
      for (const word of words) if (isKeyword(token, word)) found.get(word)?.push(index);
    if (depth < 0) return null;
  }
  return depth === 0 ? found : null;
}

/**
 * The text between the top-level WHERE and the top-level RETURNING (or the statement's end),
 * without the comments that trail it. `hasWhere`/`hasReturning` are what the tree says.
 */
export async function whereCondition(
  statement: string,
  hasWhere: boolean,
  hasReturning: boolean,
): Promise<WhereText> {
  let tokens: ScanToken[];
  try {
    tokens = (await scan(statement)).tokens;
  } catch {
    return { ok: false, reason: "PostgreSQL's scanner could not read the statement" };
  }
  const found = topLevel(tokens, ["WHERE", "RETURNING"]);
  const wheres = found?.get("WHERE") ?? [];
  const returnings = found?.get("RETURNING") ?? [];
  if (found === null || wheres.length !== (hasWhere ? 1 : 0))
    return { ok: false, reason: "its WHERE clause could not be located exactly in its text" };
  if (returnings.length !== (hasReturning ? 1 : 0))
    return { ok: false, reason: "its RETURNING clause could not be located exactly in its text" };
  const where = wheres[0];
  if (where === undefined) return { ok: true, condition: null };
  const end = returnings[0] ?? tokens.length;
  const condition = tokens.slice(where + 1, end).filter((t) => !COMMENTS.has(t.tokenName));
  const first = tokens[where];
  const last = condition.at(-1);
  if (first === undefined || last === undefined || last.start < first.end)
    return { ok: false, reason: "its WHERE condition could not be located exactly in its text" };
  // The scanner's offsets count UTF-8 bytes.
  return {
    ok: true,
    condition: Buffer.from(statement, "utf8").subarray(first.end, last.end).toString("utf8"),
  };
}
