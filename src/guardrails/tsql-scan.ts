/**
 * Everything a T-SQL statement touches, found by scanning all of its tokens: tables,
 * functions, procedures, and the dangerous words that may have been absorbed into it by a
 * mis-split (DROP, TRUNCATE, EXEC, GRANT, COMMIT, a session SET …). The statement's lead
 * keyword is judged in tsql-statement.ts; this scan is the backstop that makes a mis-split
 * cost precision, never a missed flag or refusal.
 */
import { flag, type StatementDraft } from "./statement-draft.js";
import { MSSQL_ADMIN_ROWSETS, mssqlAdminProcedure, mssqlGrantProcedure } from "./tsql-danger.js";
import { isTypeName } from "./tsql-functions.js";
import {
  FUNCTION_KEYWORDS,
  RESERVED,
  STARTERS,
  isRoutineDefinition,
  matchingParen,
  onlySessionTables,
  readName,
  wordAt,
} from "./tsql-names.js";
import {
  controlRefusal,
  identityProcedure,
  isSessionSet,
  sessionSetFacts,
} from "./tsql-session.js";
import type { TsqlToken } from "./tsql-tokenize.js";

/** What the classifier learns about one statement. */
export interface Facts {
  draft: StatementDraft;
  /** Set once: why this statement is refused on every resource (see StatementInfo.refusal). */
  refusal?: string;
  /** Classifies the literal text of dynamic SQL (`EXEC ('…')`) and merges what it finds. */
  dynamic?: (sql: string, facts: Facts) => void;
}

/** `('a' + N'b')` at `open`: the literal text, when the parentheses hold only strings. */
function literalSql(toks: TsqlToken[], open: number, e: number): string | undefined {
  const close = matchingParen(toks, open, e);
  let text = "";
  for (let k = open + 1; k < close; k += 1) {
    const token = toks[k] as TsqlToken;
    const expectString = (k - open) % 2 === 1;
    if (expectString && token.type === "string") text += token.value;
    else if (expectString || token.type !== "op" || token.text !== "+") return undefined;
  }
  return close < e ? text : undefined;
}

export function refuse(facts: Facts, reason: string): void {
  facts.refusal ??= reason;
}

const TABLE_INTRODUCERS = new Set([
  "FROM",
  "JOIN",
  "INTO",
  "TABLE",
  "USING",
  "REFERENCES",
  "APPLY",
]);

const DML_WORDS = new Set(["UPDATE", "DELETE", "INSERT", "MERGE"]);

/** Clause words after which a FROM list (`FROM a, b`) is over. */
const CLAUSE_WORDS = new Set([
  "WHERE",
  "GROUP",
  "ORDER",
  "HAVING",
  "UNION",
  "EXCEPT",
  "INTERSECT",
  "OPTION",
  "SET",
  "VALUES",
  "SELECT",
  "OUTPUT",
]);

/** Words followed by `(` that are clause syntax, not function calls (`FOR XML PATH('')`). */
const NOT_CALLS = new Set(["PATH", "RAW", "ROOT", "AUTO", "SYSTEM_TIME", "FORCESEEK", "HINT"]);

const STATEMENT_WORDS_TO_REFUSE = new Set("COMMIT ROLLBACK SAVE BEGIN REVERT SETUSER".split(" "));

/** Looks at the procedure an EXEC calls (its name at `k`); returns the last part if static. */
export function procedureAt(
  toks: TsqlToken[],
  k: number,
  e: number,
  facts: Facts,
): string | undefined {
  const { draft } = facts;
  const first = toks[k];
  if (first === undefined || k >= e) {
    flag(draft, "procedural", "EXEC without a procedure");
    return undefined;
  }
  if (first.type === "lparen" || first.type === "string") {
    flag(draft, "procedural", "EXEC (…) runs dynamic SQL");
    flag(draft, "admin_functions", "EXEC (…) runs dynamic SQL the guardrails cannot read");
    // Still read what is literally there: EXEC ('COMMIT') is refused like COMMIT.
    const literal = first.type === "string" ? first.value : literalSql(toks, k, e);
    if (literal !== undefined) facts.dynamic?.(literal, facts);
    return undefined;
  }
  const assigned =
    first.type === "variable" && toks[k + 1]?.type === "op" && toks[k + 1]?.text === "=";
  const at = assigned ? k + 2 : k;
  const name = toks[at]?.type === "variable" ? undefined : readName(toks, at);
  if (name === undefined) {
    const what =
      toks[at]?.type === "variable"
        ? "EXEC @variable runs a procedure chosen at run time"
        : "EXEC of something the guardrails cannot name";
    flag(draft, "procedural", what);
    flag(draft, "admin_functions", what);
    return undefined;
  }
  draft.functions.add(name.display);
  flag(draft, "procedural", `EXEC ${name.display} runs a procedure the guardrails do not read`);
  judgeProcedure(name.last, facts);
  if (name.last === "sp_executesql") {
    const named = toks[name.next]?.type === "variable" && toks[name.next + 1]?.text === "=";
    const statement = toks[named ? name.next + 2 : name.next];
    if (statement?.type === "string") facts.dynamic?.(statement.value, facts);
  }
  // `EXEC p … AT server`: look only as far as this call goes (its `;` or next statement).
  for (let j = name.next; j < e && toks[j]?.type !== "semicolon"; j += 1) {
    const word = wordAt(toks, j, e);
    if (word === "AT") flag(draft, "admin_functions", "EXEC … AT runs on a linked server");
    if (word !== undefined && STARTERS.has(word)) break;
  }
  return name.last;
}

function judgeProcedure(last: string, facts: Facts): void {
  if (mssqlAdminProcedure(last)) flag(facts.draft, "admin_functions", `calls ${last}`);
  if (mssqlGrantProcedure(last))
    flag(facts.draft, "grant", `${last} changes logins, users or role membership`);
  if (identityProcedure(last)) {
    refuse(facts, `${last} is refused: the command must run as the worker's own login`);
  }
}

export function noteTable(
  toks: TsqlToken[],
  at: number,
  name: { display: string; next: number },
  introducer: string,
  draft: StatementDraft,
  named: Set<number>,
): void {
  for (let j = at; j < name.next; j += 1) named.add(j);
  const callsFunction = toks[name.next]?.type === "lparen";
  if (callsFunction && ["FROM", "JOIN", "APPLY", "USING"].includes(introducer)) {
    draft.functions.add(name.display);
  } else {
    draft.tables.add(name.display);
  }
}

export interface ScanInput {
  toks: TsqlToken[];
  s: number;
  e: number;
  facts: Facts;
  /** Classifies composable DML nested in parentheses, `[s, e)`, and merges it in. */
  nested: (s: number, e: number) => void;
}

/** Scans every token of a statement (see the module comment). */
export function scanTokens(input: ScanInput): void {
  new Scanner(input).run();
}

class Scanner {
  private readonly toks: TsqlToken[];
  private readonly s: number;
  private readonly e: number;
  private readonly facts: Facts;
  private readonly draft: StatementDraft;
  private readonly lead: string | undefined;
  private readonly grantLike: boolean;
  private readonly skipTables: boolean;
  /** A routine definition: its body runs later, so nothing in it is refused now. */
  private readonly routine: boolean;
  private readonly named = new Set<number>();
  private readonly fromAt: boolean[] = [false];
  private depth = 0;
  private alterSetSeen = false;
  /** `CREATE … INDEX … ON t`: where INDEX is, found once (per ON it would be quadratic). */
  private readonly indexAt: number;
  /** Tokens of nested DML already classified on their own are not scanned again. */
  private skipTo = 0;

  constructor(private readonly input: ScanInput) {
    this.toks = input.toks;
    this.s = input.s;
    this.e = input.e;
    this.facts = input.facts;
    this.draft = input.facts.draft;
    this.lead = wordAt(this.toks, this.s, this.e);
    const lead = this.lead;
    this.grantLike = lead === "GRANT" || lead === "DENY" || lead === "REVOKE";
    this.skipTables = ["FETCH", "OPEN", "CLOSE", "DEALLOCATE"].includes(lead ?? "");
    this.routine = isRoutineDefinition(this.toks, this.s, this.e);
    this.indexAt = lead === "CREATE" ? this.firstWord("INDEX") : -1;
  }

  private firstWord(wanted: string): number {
    for (let k = this.s; k < this.e; k += 1) if (wordAt(this.toks, k) === wanted) return k;
    return -1;
  }

  run(): void {
    for (let k = this.s; k < this.e; k += 1) {
      if (k >= this.skipTo) this.token(k);
    }
  }

  private token(k: number): void {
    const token = this.toks[k] as TsqlToken;
    if (token.type === "lparen") return this.openParen(k);
    if (token.type === "rparen") {
      this.depth = Math.max(0, this.depth - 1);
      return;
    }
    if (token.type === "comma" && this.fromAt[this.depth] === true && !this.skipTables) {
      const name = readName(this.toks, k + 1);
      if (name !== undefined) noteTable(this.toks, k + 1, name, "FROM", this.draft, this.named);
      return;
    }
    if (token.type === "word") {
      if (CLAUSE_WORDS.has(token.value)) this.fromAt[this.depth] = false;
      if (k > this.s && !this.grantLike) this.absorbed(k, token.value);
      this.namedDanger(token);
      if (!this.skipTables && !this.grantLike && this.introducesTable(k, token.value)) {
        this.table(k, token.value);
        return;
      }
    } else if (token.type === "qident") {
      if (mssqlAdminProcedure(token.value.toLowerCase())) {
        flag(this.draft, "admin_functions", `refers to ${token.value.toLowerCase()}`);
      }
    } else {
      return;
    }
    this.call(k, token);
  }

  private openParen(k: number): void {
    const inner = this.toks[k + 1];
    if (inner?.type === "word" && DML_WORDS.has(inner.value)) {
      // Composable DML: INSERT … SELECT … FROM (DELETE … OUTPUT …) AS d. Classified (and
      // merged) once, then skipped: rescanning it here would make nesting exponential.
      const close = matchingParen(this.toks, k, this.e);
      this.input.nested(k + 1, close);
      this.skipTo = close + 1;
      return;
    }
    this.depth += 1;
    this.fromAt[this.depth] = false;
  }

  private prevWord(k: number): string | undefined {
    if (k <= this.s) return undefined;
    const prev = this.toks[k - 1] as TsqlToken;
    return prev.type === "word" ? prev.value : prev.text;
  }

  /** Dangerous words inside a statement (after its first token). */
  private absorbed(k: number, w: string): void {
    const pw = this.prevWord(k);
    const { draft } = this;
    const dropsMember = w === "DROP" && wordAt(this.toks, k + 1, this.e) === "MEMBER";
    if (w === "DROP" && !dropsMember && !onlySessionTables(this.toks, k, this.e)) {
      flag(draft, "drop", `${this.lead ?? ""} … DROP removes objects or columns`.trim());
    }
    if (w === "TRUNCATE" && !onlySessionTables(this.toks, k, this.e)) {
      flag(draft, "truncate", "TRUNCATE removes every row");
    }
    if ((w === "GRANT" || w === "REVOKE" || w === "DENY") && pw !== "WITH") {
      flag(draft, "grant", `${w} changes privileges`);
      flag(draft, "dcl", `${w} changes privileges`);
    }
    if (w === "KILL" || w === "SHUTDOWN" || w === "RECONFIGURE" || w === "SETUSER") {
      flag(draft, "admin_functions", `${w} is server administration`);
    }
    if ((w === "EXEC" || w === "EXECUTE") && pw !== "WITH" && pw !== ",") {
      if (wordAt(this.toks, k + 1, this.e) === "AS") {
        flag(draft, "admin_functions", "EXECUTE AS switches to another identity");
        if (!this.routine) refuse(this.facts, controlRefusal(this.toks, k, this.e) as string);
      } else {
        procedureAt(this.toks, k + 1, this.e, this.facts);
      }
    }
    if (
      w === "NEXT" &&
      wordAt(this.toks, k + 1) === "VALUE" &&
      wordAt(this.toks, k + 2) === "FOR"
    ) {
      flag(draft, "write", "NEXT VALUE FOR advances a sequence, which no rollback undoes");
    }
    if (!this.routine) this.absorbedControl(k, w, pw);
  }

  /** Transaction control, identity switches and session SETs that a mis-split absorbed. */
  private absorbedControl(k: number, w: string, pw: string | undefined): void {
    if (STATEMENT_WORDS_TO_REFUSE.has(w) && !(w === "ROLLBACK" && pw === "WITH")) {
      const refusal = controlRefusal(this.toks, k, this.e);
      if (refusal !== undefined) refuse(this.facts, refusal);
    }
    if (w !== "SET" || this.depth > 0) return;
    if (this.lead === "ALTER" && !this.alterSetSeen) {
      this.alterSetSeen = true;
      return;
    }
    if (!isSessionSet(this.toks, k, this.e)) return;
    const refusal = sessionSetFacts(this.toks, k, this.e).refusal;
    if (refusal !== undefined) refuse(this.facts, refusal);
  }

  /** Names that are dangerous wherever they appear (linked-server rowsets, xp_ names). */
  private namedDanger(token: TsqlToken): void {
    const lower = token.text.toLowerCase();
    if (MSSQL_ADMIN_ROWSETS.has(lower)) {
      flag(this.draft, "admin_functions", `${token.value} reaches outside the database`);
    }
    if (!RESERVED.has(token.value) && mssqlAdminProcedure(lower) && !lower.startsWith("xp_")) {
      flag(this.draft, "admin_functions", `refers to ${lower}`);
    }
  }

  private introducesTable(k: number, w: string): boolean {
    const lead = this.lead;
    const pw = this.prevWord(k);
    return (
      TABLE_INTRODUCERS.has(w) ||
      (k === this.s && DML_WORDS.has(w)) ||
      (DML_WORDS.has(w) && pw === "WITH") ||
      (w === "VIEW" && (lead === "DROP" || lead === "ALTER")) ||
      (w === "ON" && this.indexAt !== -1 && this.indexAt < k)
    );
  }

  private table(k: number, w: string): void {
    const { toks, e } = this;
    let at = k + 1;
    if (toks[at]?.value === "TOP" && toks[at + 1]?.type === "lparen") {
      at = matchingParen(toks, at + 1, e) + 1;
      if (toks[at]?.value === "PERCENT") at += 1;
    }
    if (toks[at]?.value === "IF" && toks[at + 1]?.value === "EXISTS") at += 2;
    if (toks[at]?.value === "INTO" || toks[at]?.value === "FROM") return;
    const name = readName(toks, at);
    if (name === undefined || at >= e) {
      if (w === "FROM") this.fromAt[this.depth] = true;
      return;
    }
    noteTable(toks, at, name, w, this.draft, this.named);
    if (w === "FROM" || w === "JOIN") this.fromAt[this.depth] = true;
    if (w !== "TABLE" && !(w === "VIEW" && this.lead === "DROP")) return;
    // DROP TABLE a, b / TRUNCATE TABLE a
    let next = name.next;
    while (toks[next]?.type === "comma" && next < e) {
      const more = readName(toks, next + 1);
      if (more === undefined) break;
      noteTable(toks, next + 1, more, w, this.draft, this.named);
      next = more.next;
    }
  }

  /** Function calls: a name followed by `(`, except type names and clause syntax. */
  private call(k: number, token: TsqlToken): void {
    if (this.named.has(k)) return;
    const w = token.type === "word" ? token.value : "";
    if (token.type === "word" && RESERVED.has(w) && !FUNCTION_KEYWORDS.has(w)) return;
    const pw = this.prevWord(k);
    // `.m(` is a method, `AS v(a)` and `) v(a)` name a derived table's columns.
    if (pw === "." || pw === "AS" || pw === ")" || NOT_CALLS.has(w)) return;
    const lower = token.text.toLowerCase();
    const name =
      readName(this.toks, k) ??
      (FUNCTION_KEYWORDS.has(w) ? { display: lower, last: lower, next: k + 1 } : undefined);
    if (name === undefined || this.toks[name.next]?.type !== "lparen" || name.next >= this.e)
      return;
    for (let j = k; j < name.next; j += 1) this.named.add(j);
    if (name.next === k + 1 && token.type === "word" && isTypeName(lower)) return;
    this.draft.functions.add(name.display);
  }
}
