/**
 * The without-where rules (issue 12, class 5): UPDATE and DELETE without a WHERE clause or
 * with one that is always true, and MERGE clauses that reach every target row. They catch
 * intent; the affected-row limit stays the real guard. A temporary table or table variable
 * belongs to the session, so emptying one is routine and never flagged.
 */
import { flag } from "./statement-draft.js";
import { alwaysTrue } from "./tsql-fold.js";
import { namesNoRow } from "./tsql-row-filter.js";
import { isSessionTable, matchingParen, readName, wordAt } from "./tsql-names.js";
import type { Facts } from "./tsql-scan.js";
import type { TsqlToken } from "./tsql-tokenize.js";
import type { StatementFlag } from "./types.js";

export class WhereCheck {
  constructor(
    private readonly toks: TsqlToken[],
    private readonly e: number,
    private readonly facts: Facts,
  ) {}

  private word(k: number): string | undefined {
    return wordAt(this.toks, k, this.e);
  }

  private flag(name: StatementFlag, reason: string): void {
    flag(this.facts.draft, name, reason);
  }

  /** Index of `wanted` at parenthesis depth 0 from `from`, or -1. */
  private depthZero(wanted: string, from: number): number {
    for (let k = from, depth = 0; k < this.e; k += 1) {
      const token = this.toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") depth -= 1;
      else if (depth === 0 && token.type === "word" && token.value === wanted) return k;
    }
    return -1;
  }

  /** The table a DML verb at `at` changes (after TOP (n) and FROM/INTO), as displayed. */
  private target(at: number): string | undefined {
    let k = at + 1;
    if (this.word(k) === "TOP" && this.toks[k + 1]?.type === "lparen") {
      k = matchingParen(this.toks, k + 1, this.e) + 1;
      if (this.word(k) === "PERCENT") k += 1;
    }
    if (this.word(k) === "FROM" || this.word(k) === "INTO") k += 1;
    return readName(this.toks, k)?.display;
  }

  where(verb: "UPDATE" | "DELETE", at: number): void {
    const target = this.target(at);
    // A temporary table or table variable belongs to this session: emptying it is routine.
    if (target !== undefined && isSessionTable(target)) return;
    const flagName = verb === "UPDATE" ? "update_without_where" : "delete_without_where";
    const effect = verb === "UPDATE" ? "changes every row" : "removes every row";
    const where = this.depthZero("WHERE", at + 1);
    if (where === -1) {
      this.flag(flagName, `${verb} has no WHERE clause: it ${effect}`);
      return;
    }
    const option = this.depthZero("OPTION", where);
    const clause = this.toks.slice(where + 1, option === -1 ? this.e : option);
    if (alwaysTrue(clause)) {
      this.flag(flagName, `${verb} has a WHERE clause that is always true: it ${effect}`);
    } else if (namesNoRow(clause)) {
      this.flag(flagName, `${verb} has a WHERE clause that names no column: it ${effect}`);
    }
  }

  /**
   * MERGE: `WHEN NOT MATCHED BY SOURCE THEN DELETE|UPDATE` reaches every target row the
   * source lacks, so it always counts as without WHERE; `WHEN MATCHED THEN DELETE|UPDATE`
   * does when neither the ON condition nor the clause's own AND restricts rows.
   */
  merge(at: number): void {
    const target = this.target(at);
    if (target !== undefined && isSessionTable(target)) return;
    const whens = this.depthZeroAll("WHEN", at + 1);
    const firstWhen = whens[0] ?? this.e;
    const on = this.lastDepthZero("ON", at + 1, firstWhen);
    const onTrue = on !== -1 && alwaysTrue(this.toks.slice(on + 1, firstWhen));
    whens.forEach((when, index) => {
      const end = whens[index + 1] ?? this.e;
      const then = this.depthZero("THEN", when);
      if (then === -1 || then > end) return;
      const action = this.word(then + 1);
      if (action !== "DELETE" && action !== "UPDATE") return;
      const bySource = this.word(when + 1) === "NOT" && this.word(when + 4) === "SOURCE";
      const and = this.depthZero("AND", when);
      const andTrue = and === -1 || and > then || alwaysTrue(this.toks.slice(and + 1, then));
      if (bySource || (this.word(when + 1) === "MATCHED" && onTrue && andTrue)) {
        this.mergeFlag(action, bySource);
      }
    });
  }

  private mergeFlag(action: "DELETE" | "UPDATE", bySource: boolean): void {
    const flagName = action === "DELETE" ? "delete_without_where" : "update_without_where";
    const rows = bySource
      ? "every target row the source does not hold"
      : "every target row (its ON condition is always true)";
    this.flag(flagName, `MERGE … THEN ${action} reaches ${rows}`);
  }

  private depthZeroAll(wanted: string, from: number): number[] {
    const found: number[] = [];
    for (let k = this.depthZero(wanted, from); k !== -1; k = this.depthZero(wanted, k + 1)) {
      found.push(k);
    }
    return found;
  }

  private lastDepthZero(wanted: string, from: number, before: number): number {
    let last = -1;
    for (
      let k = this.depthZero(wanted, from);
      k !== -1 && k < before;
      k = this.depthZero(wanted, k + 1)
    ) {
      last = k;
    }
    return last;
  }
}
