/**
 * What one T-SQL statement is: its kind and command from its lead keyword (tsql-lead.ts),
 * everything it touches from a scan of all its tokens (tsql-scan.ts), then the rule that
 * makes "read" an allowlist (issue 12, class 2): a statement is `read` only when no flag is
 * set and every function it calls is known to be free of side effects.
 */
import { mergeDraft, newDraft, strongerKind, type StatementDraft } from "./statement-draft.js";
import { readFunction } from "./tsql-functions.js";
import { describeLead, type Lead } from "./tsql-lead.js";
import { cteNames, type Fail } from "./tsql-names.js";
import { procedureAt, refuse, scanTokens, type Facts } from "./tsql-scan.js";
import { mssqlReadProcedure } from "./tsql-danger.js";
import type { TsqlToken } from "./tsql-tokenize.js";

export interface StatementContext {
  toks: TsqlToken[];
  fail: Fail;
  /** The resource's `readFunctions`, lower case. */
  readFunctions: ReadonlySet<string>;
  /** Classifies dynamic SQL's literal text into the statement's facts (see Facts.dynamic). */
  dynamic?: (sql: string, facts: Facts) => void;
}

export interface RangeResult {
  draft: StatementDraft;
  sessionOnly: boolean;
  refusal?: string;
}

/** A bare procedure call at the start of a batch (`sp_who2`), read as EXEC. */
function implicitExec(ctx: StatementContext, s: number, e: number, facts: Facts): Lead {
  const called = procedureAt(ctx.toks, s, e, facts);
  if (called !== undefined && mssqlReadProcedure(called) && facts.draft.reasons.size === 1) {
    return { kind: "admin", command: "EXEC", sessionOnly: true, tolerates: "procedural" };
  }
  return { kind: "admin", command: "EXEC" };
}

/** Classifies the statement in tokens `[s, e)`. */
export function classifyRange(
  ctx: StatementContext,
  s: number,
  e: number,
  bareCall = false,
): RangeResult {
  const { toks, fail } = ctx;
  const first = toks[s];
  if (first?.type !== "word" && first?.type !== "lparen" && !bareCall) {
    return fail(`a statement cannot start with ${first?.text ?? "nothing"}`, first);
  }
  const facts: Facts = { draft: newDraft("read", first?.value ?? "") };
  if (ctx.dynamic !== undefined) facts.dynamic = ctx.dynamic;
  const lead = bareCall ? implicitExec(ctx, s, e, facts) : describeLead(toks, s, e, facts, fail);
  const { draft } = facts;
  draft.kind = lead.kind;
  draft.command = lead.command;
  const nested = (ns: number, ne: number): void => {
    const inner = classifyRange(ctx, ns, ne);
    mergeDraft(draft, inner.draft);
    if (draft.kind === "read") draft.kind = strongerKind(draft.kind, inner.draft.kind);
    if (inner.refusal !== undefined) refuse(facts, inner.refusal);
  };
  scanTokens({ toks, s, e, facts, nested });
  if (first?.type === "word" && first.value === "WITH") {
    for (const name of cteNames(toks, s, e)) {
      draft.tables.delete(name);
      draft.functions.delete(name);
    }
  }
  const sessionOnly = settleKind(draft, lead, ctx.readFunctions);
  const result: RangeResult = { draft, sessionOnly };
  if (facts.refusal !== undefined) result.refusal = facts.refusal;
  return result;
}

/**
 * Any flag makes a statement not `read` (the strongest kind its flags imply), and so does a
 * call to a function not known to be free of side effects. Returns whether the statement
 * only changes the session (no implied `write` flag).
 */
function settleKind(
  draft: StatementDraft,
  lead: Lead,
  readFunctions: ReadonlySet<string>,
): boolean {
  const flags = [...draft.reasons.keys()];
  const tolerated = flags.every((name) => name === lead.tolerates);
  if (draft.kind === "read") {
    if (draft.reasons.has("dcl")) draft.kind = "dcl";
    else if (draft.reasons.has("drop") || draft.reasons.has("truncate")) draft.kind = "ddl";
    else if (draft.reasons.has("write")) draft.kind = "write";
    else if (flags.length > 0) draft.kind = "admin";
    else if (![...draft.functions].every((fn) => readFunction(fn, readFunctions))) {
      // Not read, but nothing suggests a write either: a reviewer looks, no rule fires.
      draft.kind = "admin";
      return true;
    }
  }
  return lead.sessionOnly === true && tolerated;
}
