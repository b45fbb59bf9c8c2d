/**
 * Statements that change how SQL Server reads the rest of the command, how the worker's
 * transaction is bounded, or whose identity runs it (issue 12, class 1). The worker runs
 * every command in one transaction with XACT_ABORT ON and its own LOCK_TIMEOUT, and relies
 * on row counts: a statement that changes any of that is refused at intake, on every
 * resource, before anyone is asked to review it.
 */
import type { TsqlToken } from "./tsql-tokenize.js";

/** Session options the worker relies on: any change at all is refused. */
const PINNED_OPTIONS: Readonly<Record<string, string>> = {
  XACT_ABORT:
    "the worker runs every command with XACT_ABORT ON, so that any error rolls it all back",
  IMPLICIT_TRANSACTIONS: "it changes where transactions begin and end",
  REMOTE_PROC_TRANSACTIONS: "it turns remote procedure calls into distributed transactions",
  CURSOR_CLOSE_ON_COMMIT: "it changes what the end of a transaction closes",
  LOCK_TIMEOUT: "the worker sets its own lock timeout",
  ANSI_DEFAULTS: "it turns on IMPLICIT_TRANSACTIONS and changes how the server reads the text",
  NOCOUNT: "the affected-row limit and the read-only check rely on the row counts it hides",
  TRANSACTION: "the worker chooses the isolation level of its transaction",
};

/**
 * Options that change how the server reads or evaluates the text (NULL comparisons, quoted
 * names, string padding, arithmetic errors): only the value the guardrails assume, which is
 * also the driver's default, is accepted, because SSMS writes it at the top of scripts.
 */
export const READING_OPTIONS: Readonly<Record<string, "ON" | "OFF">> = {
  ANSI_NULLS: "ON",
  ANSI_PADDING: "ON",
  ANSI_WARNINGS: "ON",
  ANSI_NULL_DFLT_ON: "ON",
  ANSI_NULL_DFLT_OFF: "OFF",
  QUOTED_IDENTIFIER: "ON",
  CONCAT_NULL_YIELDS_NULL: "ON",
  ARITHABORT: "ON",
  ARITHIGNORE: "OFF",
  NUMERIC_ROUNDABORT: "OFF",
};

export interface SetFacts {
  /** Upper-case option names as written (`XACT_ABORT`, `ANSI_NULLS` …). */
  options: string[];
  refusal?: string;
  /** A reason for `admin_functions` (an option that is not refused but is not harmless). */
  admin?: string;
}

function word(toks: TsqlToken[], at: number, e: number): string | undefined {
  const token = at < e ? toks[at] : undefined;
  return token?.type === "word" ? token.value : undefined;
}

/** True when `SET <word>` at `at` is a session option, not a column assignment. */
export function isSessionSet(toks: TsqlToken[], at: number, e: number): boolean {
  const option = word(toks, at + 1, e);
  if (option === undefined) return false;
  const after = toks[at + 2];
  return !(after?.type === "op" && after.text.endsWith("=")) && after?.type !== "dot";
}

function optionRefusal(option: string, value: string | undefined): string | undefined {
  const pinned = PINNED_OPTIONS[option];
  if (pinned !== undefined) return `SET ${option} is refused: ${pinned}`;
  const assumed = READING_OPTIONS[option];
  if (assumed !== undefined && value !== assumed) {
    return `SET ${option} ${value ?? "…"} is refused: the guardrails read the command with ${option} ${assumed}, and the server would read it differently`;
  }
  if (assumed === undefined && option.startsWith("ANSI_")) {
    return `SET ${option} is refused: it changes how the server reads the command`;
  }
  return undefined;
}

/** What a session `SET` at `at` (the SET keyword) does; `SET a, b ON` names several. */
export function sessionSetFacts(toks: TsqlToken[], at: number, e: number): SetFacts {
  const options: string[] = [];
  let k = at + 1;
  for (;;) {
    const option = word(toks, k, e);
    if (option === undefined) break;
    options.push(option);
    if (toks[k + 1]?.type !== "comma" || k + 1 >= e) break;
    k += 2;
  }
  const value = word(toks, k + 1, e);
  const facts: SetFacts = { options };
  for (const option of options) {
    const refusal = optionRefusal(option, value);
    if (refusal !== undefined) return { ...facts, refusal };
  }
  if (options.includes("CONTEXT_INFO")) {
    facts.admin =
      "SET CONTEXT_INFO changes what triggers, auditing and row-level security see as the caller";
  }
  return facts;
}

const TRANSACTION_WORDS = new Set(["TRAN", "TRANSACTION", "WORK"]);

/**
 * Why a statement starting at `s` ends, nests or switches the worker's transaction or
 * identity; undefined when it does not. `lead` is the statement's first word.
 */
export function controlRefusal(toks: TsqlToken[], s: number, e: number): string | undefined {
  const lead = word(toks, s, e);
  const next = word(toks, s + 1, e);
  switch (lead) {
    case "COMMIT":
    case "ROLLBACK":
      return `${lead} is refused: it would end the transaction the worker runs the command in, and what follows would run outside it`;
    case "SAVE":
      return "SAVE TRANSACTION is refused: the worker owns the transaction and its savepoints";
    case "BEGIN":
      if (next !== undefined && (TRANSACTION_WORDS.has(next) || next === "DISTRIBUTED")) {
        return "BEGIN TRANSACTION is refused: the worker already runs the command in one transaction";
      }
      return undefined;
    case "EXEC":
    case "EXECUTE":
      return next === "AS"
        ? "EXECUTE AS is refused: the command must run as the worker's own login"
        : undefined;
    case "REVERT":
      return "REVERT is refused: the command must run as the worker's own login";
    case "SETUSER":
      return "SETUSER is refused: the command must run as the worker's own login";
    default:
      return undefined;
  }
}

/** Procedures that switch the session's identity, refused like EXECUTE AS. */
export function identityProcedure(name: string): boolean {
  return name === "sp_setapprole";
}
