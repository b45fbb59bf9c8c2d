/**
 * What the SQL Server engine refuses to run, before connecting (issue 12, class 1): whatever
 * would end or reshape its transaction, change a pinned SET option, hide the row counts, or
 * change the user. Read with the guardrails' T-SQL tokenizer; pure, tested without a server.
 */
import { READING_OPTIONS } from "../guardrails/tsql-session.js";
import { tokenizeTsql } from "../guardrails/tsql-tokenize.js";
import type { TsqlToken } from "../guardrails/tsql-tokenize.js";

/**
 * With SET NOCOUNT ON the server sends no row counts, so neither the affected-row limit nor the
 * read-only check could see any write. Without a T-SQL parser here the engine refuses any command
 * that mentions NOCOUNT at all (comments and strings included): it fails closed.
 */
export function mentionsNoCount(sql: string): boolean {
  return /nocount/i.test(sql);
}

/**
 * SET options a command may not change at all (issue 12, class 1): the engine sets the first
 * ones for the transaction; NOEXEC, PARSEONLY, FMTONLY and SHOWPLAN_* stop statements, the
 * engine's own checks included, from running; the *_COMMIT / *_TRANSACTIONS options and
 * ANSI_DEFAULTS (which turns IMPLICIT_TRANSACTIONS on) move the transaction's bounds.
 */
const REFUSED_SET_OPTIONS = new Set([
  "XACT_ABORT",
  "LOCK_TIMEOUT",
  "IMPLICIT_TRANSACTIONS",
  "NOCOUNT",
  "ANSI_DEFAULTS",
  "NOEXEC",
  "PARSEONLY",
  "FMTONLY",
  "CURSOR_CLOSE_ON_COMMIT",
  "REMOTE_PROC_TRANSACTIONS",
]);

/** Why `SET <option> <value>` is refused, or null. `value` is ON, OFF or null (a number …). */
function optionRefusal(option: string, value: string | null): string | null {
  if (REFUSED_SET_OPTIONS.has(option) || option.startsWith("SHOWPLAN_"))
    return `SET ${option} is not allowed: Countersign sets the session's transaction options for the execution, and the command may not change them.`;
  const pinned = READING_OPTIONS[option];
  if (pinned === undefined && !option.startsWith("ANSI_")) return null;
  if (pinned !== undefined && value === pinned) return null;
  return (
    `SET ${option} ${value ?? ""}`.trimEnd() +
    ` is not allowed: it changes how SQL Server reads the rest of the command${pinned === undefined ? "" : `; only SET ${option} ${pinned}, which Countersign pins, is accepted`}.`
  );
}

/** Characters SQL Server and the tokenizer could place differently (where a comment ends …). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const AMBIGUOUS_CHARACTERS = /\u0000|\r(?!\n)|\u2028|\u2029/;

const TRANSACTION_WORDS = new Set(["TRAN", "TRANSACTION", "DISTRIBUTED"]);

type Token = TsqlToken;

function wordAt(tokens: Token[], index: number): string | null {
  const token = tokens[index];
  return token?.type === "word" ? token.value : null;
}

/**
 * The options named by the SET at `index`, each with the ON/OFF that follows its group
 * (`SET ANSI_NULLS, QUOTED_IDENTIFIER ON` → both ON); a group after a comma is read too.
 */
function setOptionRefusal(tokens: Token[], index: number): string | null {
  // `UPDATE t SET col = …` assigns a column, whatever it is called.
  if (tokens[index + 2]?.type === "op" && tokens[index + 2]?.value === "=") return null;
  let group: string[] = [];
  const check = (value: string | null): string | null => {
    for (const option of group) {
      const refused = optionRefusal(option, value);
      if (refused !== null) return refused;
    }
    group = [];
    return null;
  };
  for (let i = index + 1; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.type === "comma") continue;
    if (token.type !== "word") break;
    if (group.length > 0 && (token.value === "ON" || token.value === "OFF")) {
      const refused = check(token.value);
      if (refused !== null || tokens[i + 1]?.type !== "comma") return refused;
      continue;
    }
    group.push(token.value);
  }
  return check(null);
}

/** The refusal for the statement starting with the word at `index`, if any. */
function tokenRefusal(tokens: Token[], index: number): string | null {
  const word = wordAt(tokens, index);
  const next = wordAt(tokens, index + 1);
  const previous = tokens[index - 1];
  switch (word) {
    case "SET":
      return setOptionRefusal(tokens, index);
    case "COMMIT":
    case "ROLLBACK":
      return `${word} is not allowed: Countersign runs the whole command in one transaction so that it can check it and roll it back.`;
    case "BEGIN":
    case "SAVE":
      return next !== null && TRANSACTION_WORDS.has(next)
        ? `${word} ${next} is not allowed: Countersign runs the whole command in one transaction so that it can check it and roll it back.`
        : null;
    case "EXEC":
    case "EXECUTE":
      // `WITH EXECUTE AS OWNER` in a module's definition is an option of the module, not a
      // change of the session's user.
      if (next !== "AS") return null;
      if (wordAt(tokens, index - 1) === "WITH" || previous?.type === "comma") return null;
      return "EXECUTE AS is not allowed: a command runs as the resource's user, which the reviewers approved.";
    case "REVERT":
    case "SETUSER":
      return `${word} is not allowed: a command runs as the resource's user, which the reviewers approved.`;
    default:
      return null;
  }
}

/**
 * Why the engine refuses to run `sql`, before connecting; null when it may run. Like the
 * PostgreSQL engine, SQL Server's refuses what would end or reshape its transaction (COMMIT,
 * ROLLBACK, BEGIN/SAVE TRAN), change a pinned SET option, or change the user (EXECUTE AS,
 * REVERT). It reads the text with the guardrails' T-SQL tokenizer, so strings, [names] and
 * comments are not mistaken for statements; anything the tokenizer cannot read is refused.
 * COMMIT/ROLLBACK are refused wherever they appear, also inside a procedure's body or as
 * `WITH ROLLBACK IMMEDIATE`: failing closed there costs little, missing one would cost the
 * transaction.
 */
export function tsqlRefusal(sql: string): string | null {
  if (mentionsNoCount(sql))
    return "NOCOUNT is not allowed in a SQL Server command: it hides the row counts the affected-row limit and the read-only check rely on.";
  if (AMBIGUOUS_CHARACTERS.test(sql))
    return "The command contains a NUL, a carriage return without a line feed, or a Unicode line or paragraph separator, which SQL Server and Countersign might read differently.";
  let tokens: Token[];
  try {
    const result = tokenizeTsql(sql);
    if (!result.ok) return `The command could not be read as T-SQL: ${result.message}.`;
    tokens = result.tokens;
  } catch (error) {
    return `The command could not be read as T-SQL: ${error instanceof Error ? error.message : String(error)}.`;
  }
  for (let index = 0; index < tokens.length; index += 1) {
    const refused = tokenRefusal(tokens, index);
    if (refused !== null) return refused;
  }
  return null;
}
