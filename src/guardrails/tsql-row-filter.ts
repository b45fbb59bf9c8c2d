/**
 * Whether a T-SQL row filter can tell rows apart at all (issue 17 hardening, as PostgreSQL
 * and MySQL have it): a predicate that names no column takes every row, none, or a random
 * share, whatever the folder makes of it.
 */
import { foldsCompletely } from "./tsql-fold.js";
import type { TsqlToken } from "./tsql-tokenize.js";

/** Words of a predicate that are never a column (a word before `(` is a function). */
const NOT_COLUMNS = new Set(
  `AND OR NOT IS NULL LIKE IN BETWEEN EXISTS ESCAPE CASE WHEN THEN ELSE END AS COLLATE ANY ALL
SOME CURRENT_TIMESTAMP CURRENT_USER SESSION_USER SYSTEM_USER USER`.split(/\s+/),
);

/** Whether any token of the predicate can name a column (or a cursor's row: CURRENT OF c). */
function namesColumn(toks: TsqlToken[]): boolean {
  return toks.some((token, k) => {
    if (token.type === "qident") return true;
    if (token.type !== "word" || NOT_COLUMNS.has(token.value)) return false;
    if (toks[k + 1]?.type === "lparen") return false;
    // CAST(x AS INT): the type after AS.
    const before = toks[k - 1];
    return !(before?.type === "word" && before.value === "AS");
  });
}

/**
 * True when a WHERE predicate cannot tell rows apart and the folder could not read it: it
 * names no column (`RAND() < 0.5`, `GETDATE() > '2000-01-01'`), so it takes
 * every row, none, or a random share. What the folder reads is judged by its value (`1 = 0`
 * and `NULL = NULL` take no row). A word the list above does not know is taken for a column:
 * this only adds refusals to what the folding proves.
 */
export function namesNoRow(toks: TsqlToken[]): boolean {
  return toks.length > 0 && !foldsCompletely(toks) && !namesColumn(toks);
}
