/**
 * Statement boundaries in one T-SQL batch. Statements end at `;`, at the next statement
 * keyword at parenthesis depth 0 (T-SQL does not require semicolons), and at the block
 * structure of BEGIN … END, BEGIN TRY/CATCH, IF … ELSE and WHILE. A keyword that could either
 * continue the current statement or start a new one (`SET` after `UPDATE`, `SELECT` after
 * `INSERT`, `DROP` in `ALTER TABLE`) is resolved by the rules in `continues`; whatever ends
 * up inside a statement is still scanned token by token (tsql-scan.ts), so a mis-split can
 * cost precision but never hide a flag.
 *
 * Blocks nest through recursion, so nesting is capped (MAX_NESTING): deeper input is a parse
 * error, never a stack overflow (issue 12, class 6). SQL Server itself refuses far shallower
 * nesting than real scripts ever need.
 */
import {
  RESERVED,
  STARTERS,
  TsqlError,
  isNameToken,
  isRoutineDefinition,
  readName,
  wordAt,
} from "./tsql-names.js";
import { keywordContinues, type EndState } from "./tsql-parser-rules.js";
import type { TsqlToken } from "./tsql-tokenize.js";

/** Deepest BEGIN/IF/WHILE nesting and parenthesis depth the classifier reads. */
export const MAX_NESTING = 200;

/** A statement as token indices `[start, end)`. */
export interface StatementRange {
  start: number;
  end: number;
  /** The first statement of a batch is a bare procedure call (`sp_who 'x'`): an EXEC. */
  implicitExec?: boolean;
}

/** Statement keywords that are not reserved words, so never a bare procedure name. */
const NOT_PROCEDURES = new Set(["RECEIVE", "SEND", "GET", "MOVE", "THROW", "LINENO"]);

/** Splits one batch's tokens into statement ranges. Throws TsqlError on malformed input. */
export function splitStatements(toks: TsqlToken[]): StatementRange[] {
  return new BatchParser(toks).parse();
}

class BatchParser {
  private pos = 0;
  private nesting = 0;
  private readonly out: StatementRange[] = [];

  constructor(private readonly toks: TsqlToken[]) {}

  private fail(message: string, token: TsqlToken | undefined): never {
    const last = this.toks[this.toks.length - 1];
    throw new TsqlError(message, token?.start ?? last?.end ?? 0);
  }

  private word(at: number): string | undefined {
    return wordAt(this.toks, at);
  }

  parse(): StatementRange[] {
    while (this.pos < this.toks.length) this.statement();
    return this.out;
  }

  private statement(): void {
    const token = this.toks[this.pos];
    if (token === undefined) this.fail("expected a statement", token);
    if (token.type === "semicolon") {
      this.pos += 1;
      return;
    }
    if (this.pos === 0 && this.bareProcedureCall()) return;
    if (token.type === "lparen") {
      this.parenthesisedQuery(token);
      return;
    }
    if (token.type !== "word") this.fail(`a statement cannot start with ${token.text}`, token);
    const after = this.toks[this.pos + 1];
    if (after?.type === "op" && after.text === ":" && !RESERVED.has(token.value)) {
      this.pos += 2; // a GOTO label
      return;
    }
    this.nesting += 1;
    if (this.nesting > MAX_NESTING) {
      this.fail(`blocks are nested deeper than ${MAX_NESTING} levels`, token);
    }
    this.keywordStatement(token);
    this.nesting -= 1;
  }

  private keywordStatement(token: TsqlToken): void {
    switch (token.value) {
      case "BEGIN":
        this.begin();
        return;
      case "IF":
      case "WHILE":
        this.conditional(token.value);
        return;
      case "ELSE":
      case "END":
        this.fail(
          `${token.value} without a matching ${token.value === "ELSE" ? "IF" : "BEGIN"}`,
          token,
        );
        return;
      case "GOTO":
        this.pos += 2;
        return;
      case "BREAK":
      case "CONTINUE":
        this.pos += 1;
        return;
      default:
        this.simple();
    }
  }

  /**
   * SQL Server runs the first statement of a batch as EXEC when it is a bare procedure name
   * (`sp_spaceused 'T'`, `dbo.usp_x 1`); anywhere else such a name is a syntax error.
   */
  private bareProcedureCall(): boolean {
    const first = this.toks[0] as TsqlToken;
    if (first.type === "word" && (RESERVED.has(first.value) || NOT_PROCEDURES.has(first.value))) {
      return false;
    }
    if (!isNameToken(first) || first.type === "variable") return false;
    const name = readName(this.toks, 0);
    if (name === undefined) return false;
    const next = this.toks[name.next];
    if (next?.type === "op" && next.text === ":") return false;
    const end = this.statementEnd(0, "EXEC");
    this.out.push({ start: 0, end, implicitExec: true });
    this.pos = end;
    if (this.toks[this.pos]?.type === "semicolon") this.pos += 1;
    return true;
  }

  /** `(SELECT 1) UNION (SELECT 2)`: a query expression that starts with a parenthesis. */
  private parenthesisedQuery(token: TsqlToken): void {
    let k = this.pos;
    while (this.toks[k]?.type === "lparen") k += 1;
    if (this.word(k) !== "SELECT") {
      this.fail(`a statement cannot start with ${token.text}`, token);
    }
    const start = this.pos;
    const end = this.statementEnd(start, "SELECT");
    this.out.push({ start, end });
    this.pos = end;
    if (this.toks[this.pos]?.type === "semicolon") this.pos += 1;
  }

  private begin(): void {
    const start = this.toks[this.pos] as TsqlToken;
    const next = this.word(this.pos + 1);
    if (next === "TRAN" || next === "TRANSACTION" || next === "DISTRIBUTED") {
      this.simple();
      return;
    }
    if (next === "DIALOG" || next === "CONVERSATION" || next === "ATOMIC") {
      this.fail(`BEGIN ${next} is not supported by the guardrails`, start);
    }
    const tryCatch = next === "TRY" || next === "CATCH" ? next : undefined;
    this.pos += tryCatch === undefined ? 1 : 2;
    for (;;) {
      if (this.pos >= this.toks.length) {
        this.fail(`BEGIN${tryCatch === undefined ? "" : ` ${tryCatch}`} without END`, start);
      }
      if (this.word(this.pos) === "END") {
        const closes = this.word(this.pos + 1);
        if (tryCatch !== undefined) {
          if (closes !== tryCatch) this.fail(`expected END ${tryCatch}`, this.toks[this.pos]);
          this.pos += 2;
        } else {
          this.pos += 1;
        }
        return;
      }
      this.statement();
    }
  }

  /** IF/WHILE; an `ELSE IF` chain is walked in a loop, so long chains are not nesting. */
  private conditional(keyword: string): void {
    let current = keyword;
    for (;;) {
      const start = this.pos;
      const end = this.expressionEnd(start + 1);
      if (end === start + 1) this.fail(`${current} needs a condition`, this.toks[start]);
      this.out.push({ start, end });
      this.pos = end;
      if (this.pos >= this.toks.length || this.toks[this.pos]?.type === "semicolon") {
        this.fail(`${current} needs a statement after its condition`, this.toks[start]);
      }
      this.statement();
      if (current !== "IF" || this.word(this.pos) !== "ELSE") return;
      this.pos += 1;
      if (this.pos >= this.toks.length)
        this.fail("ELSE needs a statement", this.toks[this.pos - 1]);
      if (this.word(this.pos) !== "IF") {
        this.statement();
        return;
      }
      current = "IF";
    }
  }

  /** End of an IF/WHILE condition: the first statement keyword outside parentheses and CASE. */
  private expressionEnd(from: number): number {
    let depth = 0;
    let cases = 0;
    for (let j = from; j < this.toks.length; j += 1) {
      const token = this.toks[j] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") {
        depth -= 1;
        if (depth < 0) this.fail("unbalanced )", token);
      } else if (token.type === "semicolon") {
        this.fail("; inside a condition", token);
      } else if (token.type === "word") {
        if (token.value === "CASE") cases += 1;
        else if (token.value === "END" && cases > 0) cases -= 1;
        else if (
          depth === 0 &&
          cases === 0 &&
          (STARTERS.has(token.value) || token.value === "END")
        ) {
          return j;
        }
      }
    }
    if (depth > 0) this.fail("unclosed (", this.toks[from]);
    return this.toks.length;
  }

  private simple(): void {
    const start = this.pos;
    const end = this.statementEnd(start);
    this.out.push({ start, end });
    this.pos = end;
    if (this.toks[this.pos]?.type === "semicolon") this.pos += 1;
  }

  /**
   * Index one past the statement's last token (a `;` there is consumed by the caller).
   * `leadAs` reads the statement as if it started with that keyword (a bare procedure
   * call, a parenthesised query); the scan then starts at `start` itself.
   */
  private statementEnd(start: number, leadAs?: string): number {
    // A procedure, function, trigger or view body runs to the end of the batch (T-SQL
    // requires them to be alone in it); nothing in the body runs now.
    if (leadAs === undefined && isRoutineDefinition(this.toks, start)) return this.toks.length;
    const lead = leadAs ?? (this.word(start) as string);
    const state: EndState = {
      start,
      lead,
      main: lead === "WITH" ? undefined : lead,
      grantLike: lead === "GRANT" || lead === "DENY" || lead === "REVOKE",
      seenTo: false,
      seenSet: false,
      insertSource: false,
    };
    let depth = 0;
    let cases = 0;
    for (let j = leadAs === undefined ? start + 1 : start; j < this.toks.length; j += 1) {
      const token = this.toks[j] as TsqlToken;
      if (token.type === "lparen" || token.type === "rparen") {
        depth += token.type === "lparen" ? 1 : -1;
        if (depth < 0) this.fail("unbalanced )", token);
        continue;
      }
      if (token.type === "semicolon") {
        if (depth > 0) this.fail("; inside parentheses", token);
        return j;
      }
      if (token.type !== "word") continue;
      const w = token.value;
      if (w === "CASE") {
        cases += 1;
        continue;
      }
      if (w === "END" && this.word(j - 1) !== "ROW") {
        if (cases > 0) {
          cases -= 1;
          continue;
        }
        if (depth > 0) this.fail("END inside parentheses", token);
        return j;
      }
      if (depth > 0) continue;
      if (!keywordContinues(this.toks, state, j, w, cases)) return j;
    }
    if (depth > 0) this.fail("unclosed (", this.toks[start]);
    if (cases > 0) this.fail("CASE without END", this.toks[start]);
    if (lead === "WITH" && state.main === undefined)
      this.fail("WITH without a statement", this.toks[start]);
    return this.toks.length;
  }
}
