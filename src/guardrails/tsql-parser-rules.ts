/**
 * Which keywords continue the statement being read and which start a new one (T-SQL does
 * not require semicolons). Each rule names the construct that needs it; anything not
 * named here starts a new statement, which can cost precision but never hides a flag.
 */
import { STARTERS, isNameToken, wordAt } from "./tsql-names.js";
import type { TsqlToken } from "./tsql-tokenize.js";

const DML = ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"];

/** What the statement scanned so far is, for deciding whether a keyword continues it. */
export interface EndState {
  start: number;
  lead: string;
  main: string | undefined;
  grantLike: boolean;
  seenTo: boolean;
  seenSet: boolean;
  insertSource: boolean;
}

function looksLikeCte(toks: TsqlToken[], j: number): boolean {
  const name = toks[j + 1];
  if (name === undefined) return false;
  if (name.type === "word" && name.value === "XMLNAMESPACES") return true;
  if (!isNameToken(name)) return false;
  let k = j + 2;
  if (toks[k]?.type === "lparen") {
    let depth = 0;
    for (; k < toks.length; k += 1) {
      const token = toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      if (token.type === "rparen" && --depth === 0) break;
    }
    k += 1;
  }
  return wordAt(toks, k) === "AS" && toks[k + 1]?.type === "lparen";
}

/** Whether the word `w` at depth 0 (index j) belongs to the current statement. */
export function keywordContinues(
  toks: TsqlToken[],
  state: EndState,
  j: number,
  w: string,
  cases: number,
): boolean {
  if (state.grantLike && (w === "TO" || w === "FROM")) state.seenTo = true;
  if (state.main === "INSERT" && (w === "VALUES" || w === "DEFAULT")) state.insertSource = true;
  if (!STARTERS.has(w)) return true;
  if (w === "ELSE" && cases > 0) return true;
  if ((w === "ENABLE" || w === "DISABLE") && wordAt(toks, j + 1) !== "TRIGGER") return true;
  if (state.grantLike && !state.seenTo) return true;
  if (state.main === undefined && DML.includes(w)) {
    state.main = w;
    return true;
  }
  return continues(toks, state, j, w);
}

function continues(toks: TsqlToken[], state: EndState, j: number, w: string): boolean {
  const { lead, main } = state;
  const prev = toks[j - 1] as TsqlToken;
  const pw = prev.type === "word" ? prev.value : prev.text;
  const nw = wordAt(toks, j + 1);
  switch (w) {
    case "SELECT": {
      const continues =
        ["UNION", "ALL", "EXCEPT", "INTERSECT"].includes(pw) ||
        (main === "INSERT" && !state.insertSource) ||
        (lead === "DECLARE" && pw === "FOR");
      if (main === "INSERT") state.insertSource = true;
      return continues;
    }
    case "INSERT":
    case "UPDATE":
    case "DELETE":
      return (
        (pw === "ON" || pw === "FOR" || pw === "BULK" || (pw === "THEN" && main === "MERGE")) &&
        !(w === "UPDATE" && nw === "STATISTICS")
      );
    case "SET":
      return setContinues(toks, state, j, pw);
    case "EXEC":
    case "EXECUTE": {
      const continues = (main === "INSERT" && !state.insertSource) || pw === "WITH";
      if (main === "INSERT") state.insertSource = true;
      return continues;
    }
    case "WITH":
      return !looksLikeCte(toks, j);
    case "DROP":
    case "ENABLE":
    case "DISABLE":
      return lead === "ALTER";
    case "ALTER":
      return (lead === "ALTER" && nw === "COLUMN") || pw === "OR";
    case "IF":
      return (
        (lead === "DROP" || lead === "ALTER") && nw === "EXISTS" && toks[j + 2]?.type !== "lparen"
      );
    case "ROLLBACK":
      return pw === "WITH";
    case "GRANT":
      return pw === "WITH" || (lead === "REVOKE" && pw === "REVOKE");
    case "MERGE":
      return nw === "JOIN";
    case "FETCH":
      return pw === "ROW" || pw === "ROWS";
    default:
      return false;
  }
}

/**
 * `SET` continues `UPDATE … SET`, `MERGE … UPDATE SET`, `ON DELETE SET NULL`, and the
 * option list of `ALTER TABLE … SET (…)` or `ALTER DATABASE … SET …`; anything else is a
 * new session `SET` statement, so `ALTER TABLE t ADD c int SET XACT_ABORT OFF` cannot hide
 * the SET inside the ALTER.
 */
function setContinues(toks: TsqlToken[], state: EndState, j: number, pw: string): boolean {
  const { lead, main } = state;
  if (main === "UPDATE" && !state.seenSet) {
    state.seenSet = true;
    return true;
  }
  if ((main === "MERGE" && pw === "UPDATE") || pw === "DELETE" || pw === "UPDATE") {
    return main === "MERGE" || wordAt(toks, j - 2) === "ON";
  }
  if (lead !== "ALTER") return false;
  if (toks[j + 1]?.type === "lparen") return true;
  const object = wordAt(toks, state.start + 1);
  if (state.seenSet || !["DATABASE", "SERVER", "FULLTEXT"].includes(object ?? "")) return false;
  state.seenSet = true;
  return true;
}
