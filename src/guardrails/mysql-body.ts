/**
 * A look inside stored-program bodies (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT, MariaDB's
 * `BEGIN NOT ATOMIC`). The parser cannot read them, so each statement in the body is judged
 * by its leading words: what it destroys, whether a DELETE or UPDATE has a WHERE, and what
 * administers the server. A `BEGIN NOT ATOMIC` block runs now, so its transaction control
 * is refused as it would be outside the block.
 */
import { flag, refuse, type StatementDraft } from "./statement-draft.js";
import { transactionRefusal } from "./mysql-session.js";
import type { MysqlToken } from "./mysql-tokenize.js";

const STARTS_AFTER = new Set(["BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ATOMIC", "ROW"]);

const ADMIN_WORDS = new Set([
  "KILL",
  "FLUSH",
  "SHUTDOWN",
  "RESTART",
  "INSTALL",
  "UNINSTALL",
  "PURGE",
  "RESET",
  "CHANGE",
]);

const TRANSACTION_WORDS = new Set([
  "COMMIT",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
  "XA",
  "START",
  "LOCK",
  "UNLOCK",
]);

function word(token: MysqlToken | undefined): string | undefined {
  return token?.type === "word" ? token.value : undefined;
}

function startsHere(toks: MysqlToken[], k: number): boolean {
  const prev = toks[k - 1];
  if (prev === undefined || prev.type === "semicolon") return true;
  if (prev.type === "op" && prev.text === ":") return true;
  const name = word(prev);
  return name !== undefined && STARTS_AFTER.has(name);
}

/** True when a WHERE comes before the end of the inner statement starting at `k`. */
function hasWhere(toks: MysqlToken[], k: number, e: number): boolean {
  for (let i = k + 1; i < e; i += 1) {
    if (toks[i]?.type === "semicolon") return false;
    if (word(toks[i]) === "WHERE") return true;
  }
  return false;
}

/** Flags (and, for a block that runs now, refuses) what the body's statements do. */
export function scanProgramBody(
  toks: MysqlToken[],
  s: number,
  e: number,
  draft: StatementDraft,
  runsNow: boolean,
): void {
  for (let k = s + 1; k < e; k += 1) {
    const lead = word(toks[k]);
    if (lead === undefined || !startsHere(toks, k)) continue;
    if (lead === "DROP") flag(draft, "drop", "the body drops objects");
    if (lead === "TRUNCATE") flag(draft, "truncate", "the body truncates a table");
    if (lead === "GRANT" || lead === "REVOKE") flag(draft, "grant", `the body runs ${lead}`);
    if (lead === "DELETE" && !hasWhere(toks, k, e)) {
      flag(draft, "delete_without_where", "the body has a DELETE without a WHERE clause");
    }
    if (lead === "UPDATE" && !hasWhere(toks, k, e)) {
      flag(draft, "update_without_where", "the body has an UPDATE without a WHERE clause");
    }
    if (ADMIN_WORDS.has(lead)) flag(draft, "admin_functions", `the body runs ${lead}`);
    if (lead === "PREPARE" || lead === "EXECUTE") {
      flag(draft, "admin_functions", "the body runs dynamic SQL the guardrails cannot see");
    }
    const next = word(toks[k + 1]);
    const transaction =
      TRANSACTION_WORDS.has(lead) && !(lead === "START" && next !== "TRANSACTION");
    if (runsNow && transaction)
      refuse(draft, transactionRefusal(`${lead} inside BEGIN NOT ATOMIC`));
    if (runsNow && lead === "SET" && next !== undefined && !next.startsWith("@")) {
      refuse(
        draft,
        "SET inside BEGIN NOT ATOMIC is refused: the guardrails do not read settings inside blocks",
      );
    }
  }
}
