/**
 * SQL Server classification. There is no T-SQL parser we can trust with EXEC, GO, MERGE
 * and BEGIN TRAN, so this is a tokenizer plus a conservative keyword classifier:
 *
 * - statements are delimited by `;`, by the next statement keyword at parenthesis depth 0
 *   (T-SQL does not require semicolons), and by the block structure of BEGIN … END,
 *   BEGIN TRY/CATCH, IF … ELSE and WHILE;
 * - a keyword that could either continue the current statement or start a new one
 *   (`SET` after `UPDATE`, `SELECT` after `INSERT`, `DROP` in `ALTER TABLE`) is resolved by
 *   explicit rules; whatever ends up inside a statement is still scanned token by token
 *   for DROP, TRUNCATE, EXEC, GRANT, nested DML and dangerous names, so a mis-split can
 *   cost precision but never hide a flag;
 * - a statement that starts with anything it does not recognise is a parse error: the
 *   command is refused unless the resource allows unparsed commands.
 */
import type { StatementClass } from "../policy/config.js";
import {
  MSSQL_ADMIN_ROWSETS,
  MSSQL_DANGEROUS_SET_OPTIONS,
  mssqlAdminProcedure,
  mssqlReadProcedure,
} from "./tsql-danger.js";
import {
  LineCounter,
  finishStatement,
  flag,
  mergeDraft,
  newDraft,
  strongerKind,
  type StatementDraft,
} from "./text.js";
import { splitTsqlBatches } from "./tsql-batches.js";
import { tokenizeTsql, type TsqlToken } from "./tsql-tokenize.js";
import type { Classification, ClassifyOptions, StatementInfo } from "./types.js";

class TsqlError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Keywords that start a statement, and therefore end the previous one unless a rule says otherwise. */
const STARTERS = new Set([
  "ALTER",
  "BACKUP",
  "BEGIN",
  "BREAK",
  "BULK",
  "CHECKPOINT",
  "CLOSE",
  "COMMIT",
  "CONTINUE",
  "CREATE",
  "DBCC",
  "DEALLOCATE",
  "DECLARE",
  "DELETE",
  "DENY",
  "DISABLE",
  "DROP",
  "ELSE",
  "ENABLE",
  "EXEC",
  "EXECUTE",
  "FETCH",
  "GOTO",
  "GRANT",
  "IF",
  "INSERT",
  "KILL",
  "MERGE",
  "OPEN",
  "PRINT",
  "RAISERROR",
  "READTEXT",
  "RECONFIGURE",
  "RESTORE",
  "RETURN",
  "REVERT",
  "REVOKE",
  "ROLLBACK",
  "SAVE",
  "SELECT",
  "SET",
  "SETUSER",
  "SHUTDOWN",
  "TRUNCATE",
  "UPDATE",
  "UPDATETEXT",
  "USE",
  "WAITFOR",
  "WHILE",
  "WITH",
  "WRITETEXT",
]);

/** T-SQL reserved words: never a bare table or function name. */
const RESERVED = new Set([
  ...STARTERS,
  "ADD",
  "ALL",
  "AND",
  "ANY",
  "AS",
  "ASC",
  "AUTHORIZATION",
  "BETWEEN",
  "BY",
  "CASCADE",
  "CASE",
  "CHECK",
  "CLUSTERED",
  "COLUMN",
  "CONSTRAINT",
  "CONTAINS",
  "CROSS",
  "CURRENT",
  "CURSOR",
  "DATABASE",
  "DEFAULT",
  "DESC",
  "DISTINCT",
  "DISTRIBUTED",
  "END",
  "ESCAPE",
  "EXCEPT",
  "EXISTS",
  "EXTERNAL",
  "FILE",
  "FOR",
  "FOREIGN",
  "FROM",
  "FULL",
  "FUNCTION",
  "GROUP",
  "HAVING",
  "HOLDLOCK",
  "IDENTITY",
  "IN",
  "INDEX",
  "INNER",
  "INTERSECT",
  "INTO",
  "IS",
  "JOIN",
  "KEY",
  "LEFT",
  "LIKE",
  "NOCHECK",
  "NONCLUSTERED",
  "NOT",
  "NULL",
  "OF",
  "OFF",
  "ON",
  "OPTION",
  "OR",
  "ORDER",
  "OUTER",
  "OVER",
  "PERCENT",
  "PIVOT",
  "PLAN",
  "PRIMARY",
  "PROC",
  "PROCEDURE",
  "PUBLIC",
  "REFERENCES",
  "RIGHT",
  "ROWCOUNT",
  "RULE",
  "SCHEMA",
  "SOME",
  "STATISTICS",
  "TABLE",
  "TABLESAMPLE",
  "THEN",
  "TO",
  "TOP",
  "TRAN",
  "TRANSACTION",
  "TRIGGER",
  "UNION",
  "UNIQUE",
  "UNPIVOT",
  "USER",
  "VALUES",
  "VIEW",
  "WHEN",
  "WHERE",
]);

/** Reserved words that are nevertheless called like functions. */
const FUNCTION_KEYWORDS = new Set([
  "COALESCE",
  "CONVERT",
  "NULLIF",
  "OPENROWSET",
  "OPENDATASOURCE",
  "OPENQUERY",
  "OPENXML",
  "LEFT",
  "RIGHT",
  "USER",
]);

const TABLE_INTRODUCERS = new Set([
  "FROM",
  "JOIN",
  "INTO",
  "TABLE",
  "USING",
  "REFERENCES",
  "APPLY",
]);

const DCL_OBJECTS = new Set(["LOGIN", "USER", "ROLE", "APPLICATION", "SERVER", "CREDENTIAL"]);

const ROUTINE_OBJECTS = new Set(["PROC", "PROCEDURE", "FUNCTION", "TRIGGER", "VIEW"]);

const READ_DBCC = new Set([
  "SHOW_STATISTICS",
  "SQLPERF",
  "INPUTBUFFER",
  "OUTPUTBUFFER",
  "OPENTRAN",
  "USEROPTIONS",
  "TRACESTATUS",
  "PROCCACHE",
  "SHOWCONTIG",
  "SHOWFILESTATS",
  "HELP",
  "CHECKDB",
  "CHECKTABLE",
  "CHECKALLOC",
  "CHECKCATALOG",
  "CHECKCONSTRAINTS",
  "CHECKFILEGROUP",
]);

const LOCK_HINTS = new Set(["UPDLOCK", "XLOCK", "TABLOCKX"]);

// ---------------------------------------------------------------------------------------
// Names

function namePart(token: TsqlToken): string {
  if (token.type === "qident") return `[${token.value.replace(/\]/g, "]]")}]`;
  return token.text.toLowerCase();
}

function isNameToken(token: TsqlToken | undefined): boolean {
  if (token === undefined) return false;
  if (token.type === "qident" || token.type === "variable") return true;
  return token.type === "word" && !RESERVED.has(token.value);
}

/** A multi-part name starting at `at` (`db..t`, `[s].[t]`, `#tmp`, `@t`); undefined if none. */
function readName(
  toks: TsqlToken[],
  at: number,
): { display: string; last: string; next: number } | undefined {
  const first = toks[at];
  if (first === undefined) return undefined;
  const leadingDots = first.type === "dot";
  if (!isNameToken(first) && !leadingDots) return undefined;
  const parts: string[] = [];
  let last = "";
  let i = at;
  let expectName = true;
  while (i < toks.length) {
    const token = toks[i] as TsqlToken;
    if (expectName && (isNameToken(token) || (token.type === "word" && parts.length > 0))) {
      parts.push(namePart(token));
      last = token.type === "qident" ? token.value.toLowerCase() : token.text.toLowerCase();
      expectName = false;
      i += 1;
    } else if (token.type === "dot") {
      if (expectName) parts.push("");
      expectName = true;
      i += 1;
    } else {
      break;
    }
  }
  if (parts.length === 0 || last === "") return undefined;
  return { display: parts.join("."), last, next: i };
}

// ---------------------------------------------------------------------------------------
// Always-true WHERE clauses, over tokens

type Value =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "col"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "null" };

class WhereEval {
  private i = 0;
  constructor(private readonly toks: TsqlToken[]) {}

  /** true when the whole clause is provably always true. */
  alwaysTrue(): boolean {
    if (this.toks.length === 0) return false;
    const value = this.or();
    return this.i === this.toks.length && value === true;
  }

  private peekWord(): string | undefined {
    const token = this.toks[this.i];
    return token?.type === "word" ? token.value : undefined;
  }

  private or(): boolean | undefined {
    let value = this.and();
    while (this.peekWord() === "OR") {
      this.i += 1;
      const right = this.and();
      value =
        value === true || right === true
          ? true
          : value === false && right === false
            ? false
            : undefined;
    }
    return value;
  }

  private and(): boolean | undefined {
    let value = this.not();
    while (this.peekWord() === "AND") {
      this.i += 1;
      const right = this.not();
      value =
        value === false || right === false
          ? false
          : value === true && right === true
            ? true
            : undefined;
    }
    return value;
  }

  private not(): boolean | undefined {
    if (this.peekWord() === "NOT") {
      this.i += 1;
      const value = this.not();
      return value === undefined ? undefined : !value;
    }
    return this.comparison();
  }

  private comparison(): boolean | undefined {
    const token = this.toks[this.i];
    if (token?.type === "lparen") {
      const save = this.i;
      this.i += 1;
      const value = this.or();
      if (this.toks[this.i]?.type === "rparen") {
        this.i += 1;
        if (!this.isComparisonOp()) return value;
      }
      this.i = save;
    }
    const left = this.operand();
    if (left === undefined) {
      this.i = this.toks.length + 1;
      return undefined;
    }
    const opToken = this.toks[this.i];
    if (opToken?.type === "word" && opToken.value === "IS") {
      this.i += 1;
      const negated = this.peekWord() === "NOT";
      if (negated) this.i += 1;
      if (this.peekWord() !== "NULL") return this.fail();
      this.i += 1;
      if (left.t === "col") return undefined;
      return (left.t === "null") !== negated;
    }
    if (!this.isComparisonOp()) {
      return left.t === "bool" ? left.v : undefined;
    }
    const op = (opToken as TsqlToken).text;
    this.i += 1;
    const right = this.operand();
    if (right === undefined) return this.fail();
    return compare(op, left, right);
  }

  private isComparisonOp(): boolean {
    const token = this.toks[this.i];
    return (
      token?.type === "op" &&
      ["=", "<>", "!=", "<", ">", "<=", ">=", "!<", "!>"].includes(token.text)
    );
  }

  private fail(): undefined {
    this.i = this.toks.length + 1;
    return undefined;
  }

  private operand(): Value | undefined {
    const token = this.toks[this.i];
    if (token === undefined) return undefined;
    if (token.type === "lparen") {
      const save = this.i;
      this.i += 1;
      const inner = this.operand();
      if (inner !== undefined && this.toks[this.i]?.type === "rparen") {
        this.i += 1;
        return inner;
      }
      this.i = save;
      return undefined;
    }
    if (token.type === "op" && (token.text === "-" || token.text === "+")) {
      this.i += 1;
      const inner = this.operand();
      if (inner?.t !== "num") return undefined;
      return { t: "num", v: token.text === "-" ? -inner.v : inner.v };
    }
    if (token.type === "number") {
      this.i += 1;
      return { t: "num", v: Number(token.text) };
    }
    if (token.type === "string") {
      this.i += 1;
      return { t: "str", v: token.value };
    }
    if (token.type === "word" && token.value === "NULL") {
      this.i += 1;
      return { t: "null" };
    }
    const name = readName(this.toks, this.i);
    if (name !== undefined && this.toks[name.next]?.type !== "lparen") {
      this.i = name.next;
      return { t: "col", v: name.display };
    }
    return undefined;
  }
}

function compare(op: string, left: Value, right: Value): boolean | undefined {
  if (left.t === "col" && right.t === "col") {
    return left.v === right.v && ["=", "<=", ">=", "!<", "!>"].includes(op) ? true : undefined;
  }
  if (left.t !== "num" && left.t !== "str") return undefined;
  if (right.t !== "num" && right.t !== "str") return undefined;
  let a: number | string = left.v;
  let b: number | string = right.v;
  if (typeof a !== typeof b) {
    // SQL Server converts the string to the number's type.
    a = Number(a);
    b = Number(b);
    if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  } else if (typeof a === "string" && typeof b === "string") {
    // Default collations are case-insensitive and ignore trailing spaces.
    a = a.replace(/ +$/, "").toLowerCase();
    b = b.replace(/ +$/, "").toLowerCase();
  }
  switch (op) {
    case "=":
      return a === b;
    case "<>":
    case "!=":
      return a !== b;
    case "<":
    case "!>":
      return op === "<" ? a < b : a <= b;
    case ">":
    case "!<":
      return op === ">" ? a > b : a >= b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Statement boundaries

interface Emitted {
  draft: StatementDraft;
  sessionOnly: boolean;
  start: number;
  end: number;
}

class BatchParser {
  private pos = 0;
  readonly out: Emitted[] = [];

  constructor(private readonly toks: TsqlToken[]) {}

  private fail(message: string, token: TsqlToken | undefined): never {
    const last = this.toks[this.toks.length - 1];
    throw new TsqlError(message, token?.start ?? last?.end ?? 0);
  }

  private word(at: number): string | undefined {
    const token = this.toks[at];
    return token?.type === "word" ? token.value : undefined;
  }

  parse(): Emitted[] {
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
    if (token.type !== "word") {
      this.fail(`a statement cannot start with ${token.text}`, token);
    }
    const after = this.toks[this.pos + 1];
    if (
      after?.type === "op" &&
      after.text === ":" &&
      !STARTERS.has(token.value) &&
      !RESERVED.has(token.value)
    ) {
      this.pos += 2; // a GOTO label
      return;
    }
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

  private conditional(keyword: string): void {
    const start = this.pos;
    const end = this.expressionEnd(start + 1);
    if (end === start + 1) this.fail(`${keyword} needs a condition`, this.toks[start]);
    this.emit(start, end);
    this.pos = end;
    if (this.pos >= this.toks.length || this.toks[this.pos]?.type === "semicolon") {
      this.fail(`${keyword} needs a statement after its condition`, this.toks[start]);
    }
    this.statement();
    if (keyword === "IF" && this.word(this.pos) === "ELSE") {
      this.pos += 1;
      if (this.pos >= this.toks.length)
        this.fail("ELSE needs a statement", this.toks[this.pos - 1]);
      this.statement();
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
    this.emit(start, end);
    this.pos = end;
    if (this.toks[this.pos]?.type === "semicolon") this.pos += 1;
  }

  private looksLikeCte(j: number): boolean {
    const name = this.toks[j + 1];
    if (name === undefined) return false;
    if (name.type === "word" && name.value === "XMLNAMESPACES") return true;
    if (!isNameToken(name)) return false;
    let k = j + 2;
    if (this.toks[k]?.type === "lparen") {
      let depth = 0;
      for (; k < this.toks.length; k += 1) {
        const token = this.toks[k] as TsqlToken;
        if (token.type === "lparen") depth += 1;
        if (token.type === "rparen" && --depth === 0) break;
      }
      k += 1;
    }
    return this.word(k) === "AS" && this.toks[k + 1]?.type === "lparen";
  }

  /** Index one past the statement's last token (a `;` there is consumed by the caller). */
  private statementEnd(start: number): number {
    const lead = this.word(start) as string;
    const next = this.word(start + 1);
    if (
      (lead === "CREATE" || lead === "ALTER") &&
      [next, this.word(start + 2), this.word(start + 3)].some(
        (w) => w !== undefined && ROUTINE_OBJECTS.has(w),
      )
    ) {
      // A procedure, function, trigger or view body runs to the end of the batch (T-SQL
      // requires them to be alone in it); nothing in the body runs now.
      return this.toks.length;
    }
    let main = lead === "WITH" ? undefined : lead;
    const grantLike = lead === "GRANT" || lead === "DENY" || lead === "REVOKE";
    let seenTo = false;
    let seenSet = false;
    let insertSource = false;
    let depth = 0;
    let cases = 0;
    for (let j = start + 1; j < this.toks.length; j += 1) {
      const token = this.toks[j] as TsqlToken;
      if (token.type === "lparen") {
        depth += 1;
        continue;
      }
      if (token.type === "rparen") {
        depth -= 1;
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
      if (w === "END") {
        if (cases > 0) {
          cases -= 1;
          continue;
        }
        if (depth > 0) this.fail("END inside parentheses", token);
        return j;
      }
      if (depth > 0) continue;
      if (grantLike && (w === "TO" || w === "FROM")) seenTo = true;
      if (main === "INSERT" && (w === "VALUES" || w === "DEFAULT")) insertSource = true;
      if (!STARTERS.has(w)) continue;
      if (w === "ELSE" && cases > 0) continue;
      if ((w === "ENABLE" || w === "DISABLE") && this.word(j + 1) !== "TRIGGER") continue;

      const prev = this.toks[j - 1] as TsqlToken;
      const pw = prev.type === "word" ? prev.value : prev.text;
      const nw = this.word(j + 1);
      if (grantLike && !seenTo) continue;
      if (main === undefined && ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"].includes(w)) {
        main = w;
        continue;
      }
      let continues = false;
      switch (w) {
        case "SELECT":
          continues =
            ["UNION", "ALL", "EXCEPT", "INTERSECT"].includes(pw) ||
            (main === "INSERT" && !insertSource) ||
            (lead === "DECLARE" && pw === "FOR");
          if (main === "INSERT") insertSource = true;
          break;
        case "INSERT":
        case "UPDATE":
        case "DELETE":
          continues =
            (pw === "ON" || pw === "FOR" || pw === "BULK" || (pw === "THEN" && main === "MERGE")) &&
            !(w === "UPDATE" && nw === "STATISTICS");
          break;
        case "SET":
          if (main === "UPDATE" && !seenSet) {
            seenSet = true;
            continues = true;
          } else {
            const before = this.word(j - 2);
            continues =
              (main === "MERGE" && pw === "UPDATE") ||
              lead === "ALTER" ||
              ((pw === "DELETE" || pw === "UPDATE") && before === "ON");
          }
          break;
        case "EXEC":
        case "EXECUTE":
          continues = (main === "INSERT" && !insertSource) || pw === "WITH";
          if (main === "INSERT") insertSource = true;
          break;
        case "WITH":
          continues = !this.looksLikeCte(j);
          break;
        case "DROP":
        case "ENABLE":
        case "DISABLE":
          continues = lead === "ALTER";
          break;
        case "ALTER":
          continues = (lead === "ALTER" && nw === "COLUMN") || pw === "OR";
          break;
        case "IF":
          continues =
            (lead === "DROP" || lead === "ALTER") &&
            nw === "EXISTS" &&
            this.toks[j + 2]?.type !== "lparen";
          break;
        case "ROLLBACK":
          continues = pw === "WITH";
          break;
        case "GRANT":
          continues = pw === "WITH" || (lead === "REVOKE" && pw === "REVOKE");
          break;
        case "MERGE":
          continues = nw === "JOIN";
          break;
        case "FETCH":
          continues = pw === "ROW" || pw === "ROWS";
          break;
        default:
          continues = false;
      }
      if (!continues) return j;
    }
    if (depth > 0) this.fail("unclosed (", this.toks[start]);
    if (cases > 0) this.fail("CASE without END", this.toks[start]);
    if (lead === "WITH" && main === undefined)
      this.fail("WITH without a statement", this.toks[start]);
    return this.toks.length;
  }

  private emit(start: number, end: number): void {
    const first = this.toks[start] as TsqlToken;
    const last = this.toks[end - 1] as TsqlToken;
    const { draft, sessionOnly } = classifyRange(this.toks, start, end, this.fail.bind(this));
    this.out.push({ draft, sessionOnly, start: first.start, end: last.end });
  }
}

// ---------------------------------------------------------------------------------------
// What a statement is

type Fail = (message: string, token: TsqlToken | undefined) => never;

function matchingParen(toks: TsqlToken[], open: number, end: number): number {
  let depth = 0;
  for (let k = open; k < end; k += 1) {
    const type = toks[k]?.type;
    if (type === "lparen") depth += 1;
    if (type === "rparen" && --depth === 0) return k;
  }
  return end;
}

function describeLead(
  toks: TsqlToken[],
  s: number,
  e: number,
  draft: StatementDraft,
  fail: Fail,
): { kind: StatementClass; command: string; sessionOnly?: boolean } {
  const tok = (k: number): TsqlToken | undefined => (k < e ? toks[k] : undefined);
  const word = (k: number): string | undefined => {
    const token = tok(k);
    return token?.type === "word" ? token.value : undefined;
  };
  const lead = word(s) as string;
  let main = lead;
  if (lead === "WITH") {
    for (let k = s + 1, depth = 0; k < e; k += 1) {
      const token = toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") depth -= 1;
      else if (
        depth === 0 &&
        token.type === "word" &&
        ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"].includes(token.value)
      ) {
        main = token.value;
        break;
      }
    }
  }
  const depthZero = (wanted: string): number => {
    for (let k = s + 1, depth = 0; k < e; k += 1) {
      const token = toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") depth -= 1;
      else if (depth === 0 && token.type === "word" && token.value === wanted) return k;
    }
    return -1;
  };
  const whereCheck = (verb: "UPDATE" | "DELETE"): void => {
    const where = depthZero("WHERE");
    const flagName = verb === "UPDATE" ? "update_without_where" : "delete_without_where";
    const effect = verb === "UPDATE" ? "changes every row" : "removes every row";
    if (where === -1) {
      flag(draft, flagName, `${verb} has no WHERE clause: it ${effect}`);
      return;
    }
    const option = depthZero("OPTION");
    const clause = toks.slice(where + 1, option > where ? option : e);
    if (new WhereEval(clause).alwaysTrue()) {
      flag(draft, flagName, `${verb} has a WHERE clause that is always true: it ${effect}`);
    }
  };

  switch (main) {
    case "SELECT": {
      if (depthZero("INTO") !== -1) {
        flag(draft, "write", "SELECT … INTO creates and fills a table");
        return { kind: "ddl", command: "SELECT INTO" };
      }
      for (let k = s; k < e; k += 1) {
        const token = toks[k] as TsqlToken;
        if (token.type === "word" && LOCK_HINTS.has(token.value)) {
          flag(draft, "write", `SELECT WITH (${token.value}) locks rows for writing`);
          return { kind: "write", command: `SELECT WITH (${token.value})` };
        }
      }
      return { kind: "read", command: "SELECT" };
    }
    case "INSERT":
      flag(draft, "write", "INSERT adds rows");
      return { kind: "write", command: "INSERT" };
    case "UPDATE":
      if (lead === "UPDATE" && word(s + 1) === "STATISTICS") {
        return { kind: "admin", command: "UPDATE STATISTICS" };
      }
      flag(draft, "write", "UPDATE changes rows");
      whereCheck("UPDATE");
      return { kind: "write", command: "UPDATE" };
    case "DELETE":
      flag(draft, "write", "DELETE removes rows");
      whereCheck("DELETE");
      return { kind: "write", command: "DELETE" };
    case "MERGE":
      flag(draft, "write", "MERGE changes rows");
      return { kind: "write", command: "MERGE" };
    case "WITH":
      return fail("WITH without a statement", toks[s]);
    default:
      break;
  }

  switch (lead) {
    case "TRUNCATE":
      flag(draft, "truncate", "TRUNCATE TABLE removes every row");
      return { kind: "ddl", command: "TRUNCATE TABLE" };
    case "DROP":
    case "CREATE":
    case "ALTER": {
      let k = s + 1;
      if (lead === "CREATE" && word(k) === "OR" && word(k + 1) === "ALTER") k += 2;
      while (
        [
          "UNIQUE",
          "CLUSTERED",
          "NONCLUSTERED",
          "COLUMNSTORE",
          "XML",
          "SPATIAL",
          "PRIMARY",
        ].includes(word(k) ?? "")
      ) {
        k += 1;
      }
      const object = word(k);
      if (object === undefined) return fail(`${lead} needs an object type`, tok(k) ?? toks[s]);
      let objectName = object;
      if ((object === "APPLICATION" || object === "SERVER") && word(k + 1) === "ROLE")
        objectName = `${object} ROLE`;
      if (object === "SERVER" && word(k + 1) === "CONFIGURATION")
        objectName = "SERVER CONFIGURATION";
      if (object === "PROC") objectName = "PROCEDURE";
      const command = `${lead} ${objectName}`;
      if (lead === "DROP") flag(draft, "drop", `${command} destroys objects and their data`);
      if (lead !== "DROP" && ROUTINE_OBJECTS.has(object) && object !== "VIEW") {
        flag(draft, "procedural", `${command}: the body is code the guardrails do not read`);
      }
      if (object === "ASSEMBLY")
        flag(draft, "admin_functions", `${command} loads CLR code into the server`);
      if (object === "SERVER" && objectName === "SERVER CONFIGURATION") {
        flag(draft, "admin_functions", "ALTER SERVER CONFIGURATION changes the server");
      }
      if (object === "AUTHORIZATION") return { kind: "dcl", command };
      if (DCL_OBJECTS.has(object) && objectName !== "SERVER CONFIGURATION") {
        if (lead === "ALTER" && objectName.endsWith("ROLE") && depthZero("MEMBER") !== -1) {
          flag(draft, "grant", `${command} … MEMBER changes role membership`);
        }
        return { kind: "dcl", command };
      }
      return { kind: "ddl", command };
    }
    case "GRANT":
    case "REVOKE":
    case "DENY":
      flag(draft, "grant", `${lead} changes privileges`);
      return { kind: "dcl", command: lead };
    case "EXEC":
    case "EXECUTE": {
      if (word(s + 1) === "AS") {
        flag(draft, "admin_functions", "EXECUTE AS switches to another identity");
        return { kind: "admin", command: "EXECUTE AS" };
      }
      const called = procedureAt(toks, s, e, draft);
      if (called !== undefined && mssqlReadProcedure(called) && draft.reasons.size === 1) {
        return { kind: "read", command: "EXEC" };
      }
      return { kind: "admin", command: "EXEC" };
    }
    case "BEGIN":
      return { kind: "transaction", command: "BEGIN TRANSACTION" };
    case "COMMIT":
      return { kind: "transaction", command: "COMMIT" };
    case "ROLLBACK":
      return { kind: "transaction", command: "ROLLBACK" };
    case "SAVE":
      return { kind: "transaction", command: "SAVE TRANSACTION" };
    case "DECLARE":
      return { kind: "read", command: depthZero("CURSOR") === -1 ? "DECLARE" : "DECLARE CURSOR" };
    case "SET": {
      const target = tok(s + 1);
      if (target?.type === "variable") return { kind: "read", command: "SET" };
      const option = word(s + 1) ?? "";
      if (MSSQL_DANGEROUS_SET_OPTIONS.has(option.toLowerCase())) {
        flag(
          draft,
          "admin_functions",
          `SET ${option} changes how the worker's transaction behaves`,
        );
      }
      if (option === "TRANSACTION") return { kind: "transaction", command: "SET TRANSACTION" };
      return { kind: "admin", command: `SET ${option}`.trim(), sessionOnly: true };
    }
    case "PRINT":
    case "RAISERROR":
    case "THROW":
    case "IF":
    case "WHILE":
    case "RETURN":
      return { kind: "read", command: lead };
    case "OPEN":
    case "FETCH":
    case "CLOSE":
    case "DEALLOCATE":
      if (word(s + 1) === "SYMMETRIC" || word(s + 1) === "MASTER") {
        return {
          kind: "admin",
          command: `${lead} ${word(s + 1) as string} KEY`,
          sessionOnly: true,
        };
      }
      return { kind: "read", command: lead };
    case "USE":
      return { kind: "admin", command: "USE", sessionOnly: true };
    case "WAITFOR":
      if (tok(s + 1)?.type === "lparen")
        return fail("WAITFOR (RECEIVE …) is not supported by the guardrails", toks[s]);
      return { kind: "admin", command: "WAITFOR", sessionOnly: true };
    case "DBCC": {
      const sub = word(s + 1) ?? "";
      // CHECKDB and friends only read, unless asked to repair.
      const repairs = toks
        .slice(s, e)
        .some((t) => t.type === "word" && t.value.startsWith("REPAIR_"));
      const reads = READ_DBCC.has(sub) && !repairs;
      if (!reads) flag(draft, "admin_functions", `DBCC ${sub} is a server maintenance command`);
      return { kind: "admin", command: `DBCC ${sub}`.trim(), sessionOnly: reads };
    }
    case "KILL":
      flag(draft, "admin_functions", "KILL ends another session");
      return { kind: "admin", command: "KILL" };
    case "SHUTDOWN":
      flag(draft, "admin_functions", "SHUTDOWN stops the server");
      return { kind: "admin", command: "SHUTDOWN" };
    case "RECONFIGURE":
      flag(draft, "admin_functions", "RECONFIGURE applies server configuration");
      return { kind: "admin", command: "RECONFIGURE" };
    case "SETUSER":
      flag(draft, "admin_functions", "SETUSER switches to another identity");
      return { kind: "admin", command: "SETUSER" };
    case "REVERT":
      return { kind: "admin", command: "REVERT", sessionOnly: true };
    case "CHECKPOINT":
      return { kind: "admin", command: "CHECKPOINT" };
    case "BACKUP":
      flag(draft, "admin_functions", "BACKUP writes files on the server");
      return { kind: "admin", command: "BACKUP" };
    case "RESTORE":
      flag(draft, "admin_functions", "RESTORE replaces a database from files on the server");
      return { kind: "admin", command: "RESTORE" };
    case "BULK":
      flag(draft, "admin_functions", "BULK INSERT reads a file on the server");
      return { kind: "write", command: "BULK INSERT" };
    case "ENABLE":
    case "DISABLE":
      return { kind: "ddl", command: `${lead} TRIGGER` };
    case "READTEXT":
      return { kind: "read", command: "READTEXT" };
    case "WRITETEXT":
    case "UPDATETEXT":
      flag(draft, "write", `${lead} changes rows`);
      return { kind: "write", command: lead };
    default:
      return fail(`unrecognised statement starting with ${toks[s]?.text ?? "?"}`, toks[s]);
  }
}

/** Looks at the procedure an EXEC at `at` calls; returns its name (last part) if static. */
function procedureAt(
  toks: TsqlToken[],
  at: number,
  e: number,
  draft: StatementDraft,
): string | undefined {
  let k = at + 1;
  const first = toks[k];
  if (first === undefined || k >= e) {
    flag(draft, "procedural", "EXEC without a procedure");
    return undefined;
  }
  if (first.type === "lparen" || first.type === "string") {
    flag(draft, "procedural", "EXEC (…) runs dynamic SQL");
    flag(draft, "admin_functions", "EXEC (…) runs dynamic SQL the guardrails cannot read");
    return undefined;
  }
  if (first.type === "variable" && toks[k + 1]?.type === "op" && toks[k + 1]?.text === "=") k += 2;
  const target = toks[k];
  if (target?.type === "variable") {
    flag(draft, "procedural", "EXEC @variable runs a procedure chosen at run time");
    flag(draft, "admin_functions", "EXEC @variable runs a procedure chosen at run time");
    return undefined;
  }
  const name = readName(toks, k);
  if (name === undefined) {
    flag(draft, "procedural", "EXEC of something the guardrails cannot name");
    flag(draft, "admin_functions", "EXEC of something the guardrails cannot name");
    return undefined;
  }
  draft.functions.add(name.display);
  flag(draft, "procedural", `EXEC ${name.display} runs a procedure the guardrails do not read`);
  if (mssqlAdminProcedure(name.last)) flag(draft, "admin_functions", `calls ${name.last}`);
  for (let j = name.next; j < e; j += 1) {
    const token = toks[j] as TsqlToken;
    if (token.type === "word" && token.value === "AT") {
      flag(draft, "admin_functions", "EXEC … AT runs on a linked server");
    }
  }
  return name.last;
}

/** Everything a statement touches, found by scanning all of its tokens. */
function scanTokens(
  toks: TsqlToken[],
  s: number,
  e: number,
  draft: StatementDraft,
  fail: Fail,
): void {
  const lead = toks[s]?.value;
  const grantLike = lead === "GRANT" || lead === "DENY" || lead === "REVOKE";
  const skipTables =
    lead === "FETCH" || lead === "OPEN" || lead === "CLOSE" || lead === "DEALLOCATE";
  const named = new Set<number>();
  const fromAt: boolean[] = [false];
  let depth = 0;
  for (let k = s; k < e; k += 1) {
    const token = toks[k] as TsqlToken;
    const prev = k > s ? toks[k - 1] : undefined;
    const pw = prev?.type === "word" ? prev.value : prev?.text;
    if (token.type === "lparen") {
      depth += 1;
      fromAt[depth] = false;
      const inner = toks[k + 1];
      if (inner?.type === "word" && ["DELETE", "UPDATE", "INSERT", "MERGE"].includes(inner.value)) {
        // Composable DML: INSERT … SELECT … FROM (DELETE … OUTPUT …) AS d.
        const close = matchingParen(toks, k, e);
        const nested = classifyRange(toks, k + 1, close, fail).draft;
        mergeDraft(draft, nested);
        if (draft.kind === "read") draft.kind = strongerKind(draft.kind, nested.kind);
      }
      continue;
    }
    if (token.type === "rparen") {
      depth = Math.max(0, depth - 1);
      continue;
    }
    if (token.type === "comma" && fromAt[depth] === true && !skipTables) {
      const name = readName(toks, k + 1);
      if (name !== undefined) noteTable(toks, k + 1, name, "FROM", draft, named);
      continue;
    }
    if (token.type !== "word" && token.type !== "qident") continue;
    const w = token.type === "word" ? token.value : "";
    const lower = token.type === "qident" ? token.value.toLowerCase() : token.text.toLowerCase();

    if (token.type === "word") {
      if (
        [
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
        ].includes(w)
      ) {
        fromAt[depth] = false;
      }
      if (k > s && !grantLike) {
        if (w === "DROP")
          flag(draft, "drop", `${lead ?? ""} … DROP removes objects or columns`.trim());
        if (w === "TRUNCATE") flag(draft, "truncate", "TRUNCATE removes every row");
        if ((w === "GRANT" || w === "REVOKE" || w === "DENY") && pw !== "WITH") {
          flag(draft, "grant", `${w} changes privileges`);
          flag(draft, "dcl", `${w} changes privileges`);
        }
        if (w === "KILL" || w === "SHUTDOWN" || w === "RECONFIGURE" || w === "SETUSER") {
          flag(draft, "admin_functions", `${w} is server administration`);
        }
        if ((w === "EXEC" || w === "EXECUTE") && pw !== "WITH" && pw !== ",") {
          if (toks[k + 1]?.type === "word" && toks[k + 1]?.value === "AS") {
            flag(draft, "admin_functions", "EXECUTE AS switches to another identity");
          } else {
            procedureAt(toks, k, e, draft);
          }
        }
      }
      if (MSSQL_ADMIN_ROWSETS.has(lower)) {
        flag(draft, "admin_functions", `${w} reaches outside the database`);
      }
      if (!skipTables && !grantLike) {
        const introduces =
          TABLE_INTRODUCERS.has(w) ||
          (k === s && (w === "UPDATE" || w === "DELETE" || w === "INSERT" || w === "MERGE")) ||
          ((w === "UPDATE" || w === "DELETE" || w === "INSERT" || w === "MERGE") &&
            pw === "WITH") ||
          (w === "VIEW" && (lead === "DROP" || lead === "ALTER")) ||
          (w === "ON" && lead === "CREATE" && toks.slice(s, k).some((t) => t.value === "INDEX"));
        if (introduces) {
          let at = k + 1;
          if (toks[at]?.value === "TOP" && toks[at + 1]?.type === "lparen") {
            at = matchingParen(toks, at + 1, e) + 1;
            if (toks[at]?.value === "PERCENT") at += 1;
          }
          if (toks[at]?.value === "IF" && toks[at + 1]?.value === "EXISTS") at += 2;
          if (toks[at]?.value === "INTO" || toks[at]?.value === "FROM") continue;
          const name = readName(toks, at);
          if (name !== undefined && at < e) {
            noteTable(toks, at, name, w, draft, named);
            if (w === "FROM" || w === "JOIN") fromAt[depth] = true;
            if (w === "TABLE" || (w === "VIEW" && lead === "DROP")) {
              // DROP TABLE a, b / TRUNCATE TABLE a
              let next = name.next;
              while (toks[next]?.type === "comma" && next < e) {
                const more = readName(toks, next + 1);
                if (more === undefined) break;
                noteTable(toks, next + 1, more, w, draft, named);
                next = more.next;
              }
            }
          } else if (w === "FROM") {
            fromAt[depth] = true;
          }
          continue;
        }
      }
    }
    if (token.type === "qident" && mssqlAdminProcedure(lower)) {
      flag(draft, "admin_functions", `refers to ${lower}`);
    }
    if (
      token.type === "word" &&
      !RESERVED.has(w) &&
      mssqlAdminProcedure(lower) &&
      !lower.startsWith("xp_")
    ) {
      flag(draft, "admin_functions", `refers to ${lower}`);
    }
    // Function calls: name followed by "(".
    if (named.has(k)) continue;
    if (token.type === "word" && RESERVED.has(w) && !FUNCTION_KEYWORDS.has(w)) continue;
    if (prev?.type === "dot") continue;
    const name =
      readName(toks, k) ??
      (FUNCTION_KEYWORDS.has(w) ? { display: lower, last: lower, next: k + 1 } : undefined);
    if (name !== undefined && toks[name.next]?.type === "lparen" && name.next < e) {
      draft.functions.add(name.display);
      for (let j = k; j < name.next; j += 1) named.add(j);
    }
  }
}

function noteTable(
  toks: TsqlToken[],
  at: number,
  name: { display: string; next: number },
  introducer: string,
  draft: StatementDraft,
  named: Set<number>,
): void {
  for (let j = at; j < name.next; j += 1) named.add(j);
  const callsFunction = toks[name.next]?.type === "lparen";
  if (
    callsFunction &&
    (introducer === "FROM" ||
      introducer === "JOIN" ||
      introducer === "APPLY" ||
      introducer === "USING")
  ) {
    draft.functions.add(name.display);
  } else {
    draft.tables.add(name.display);
  }
}

/** Names defined by a WITH list (`WITH a AS (…), b (x) AS (…)`), as noteTable shows them. */
function cteNames(toks: TsqlToken[], s: number, e: number): string[] {
  const names: string[] = [];
  let k = s + 1;
  while (k < e) {
    const name = toks[k];
    if (name === undefined || !isNameToken(name)) break;
    let at = k + 1;
    if (toks[at]?.type === "lparen") at = matchingParen(toks, at, e) + 1;
    if (toks[at]?.value !== "AS" || toks[at + 1]?.type !== "lparen") break;
    names.push(namePart(name));
    k = matchingParen(toks, at + 1, e) + 1;
    if (toks[k]?.type !== "comma") break;
    k += 1;
  }
  return names;
}

function classifyRange(
  toks: TsqlToken[],
  s: number,
  e: number,
  fail: Fail,
): { draft: StatementDraft; sessionOnly: boolean } {
  const first = toks[s];
  if (first?.type !== "word")
    return fail(`a statement cannot start with ${first?.text ?? "nothing"}`, first);
  const draft = newDraft("read", first.value);
  const facts = describeLead(toks, s, e, draft, fail);
  draft.kind = facts.kind;
  draft.command = facts.command;
  scanTokens(toks, s, e, draft, fail);
  if (first.value === "WITH") {
    for (const name of cteNames(toks, s, e)) draft.tables.delete(name);
  }
  if (draft.reasons.has("dcl") && draft.kind === "read") draft.kind = "dcl";
  if (draft.kind === "read" && (draft.reasons.has("drop") || draft.reasons.has("truncate"))) {
    draft.kind = "ddl";
  }
  if (
    draft.kind === "read" &&
    draft.reasons.has("procedural") &&
    first.value !== "EXEC" &&
    first.value !== "EXECUTE"
  ) {
    draft.kind = "admin";
  }
  return { draft, sessionOnly: facts.sessionOnly === true && draft.reasons.size === 0 };
}

// ---------------------------------------------------------------------------------------

function errorResult(sql: string, message: string, position: number): Classification {
  const { line, column } = new LineCounter(sql).at(position);
  return { ok: false, dialect: "mssql", error: { message, position, line, column } };
}

/** Classifies a T-SQL command (possibly several GO batches). */
export function classifyTsql(sql: string, _options: ClassifyOptions = {}): Classification {
  const batches = splitTsqlBatches(sql);
  const lines = new LineCounter(sql);
  const statements: StatementInfo[] = [];
  let repeated = false;
  for (const [batchIndex, batch] of batches.entries()) {
    if (batch.repeat < 1) {
      return errorResult(
        sql,
        "GO needs a repeat count of at least 1",
        batch.start + batch.text.length,
      );
    }
    const tokens = tokenizeTsql(batch.text, batch.start);
    if (!tokens.ok) return errorResult(sql, tokens.message, tokens.position);
    if (tokens.tokens.length === 0) continue;
    if (batch.repeat > 1) repeated = true;
    let emitted: Emitted[];
    try {
      emitted = new BatchParser(tokens.tokens).parse();
    } catch (error) {
      if (error instanceof TsqlError) return errorResult(sql, error.message, error.position);
      throw error;
    }
    for (const item of emitted) {
      const { line, column } = lines.at(item.start);
      statements.push(
        finishStatement(
          item.draft,
          {
            index: statements.length,
            start: item.start,
            end: item.end,
            line,
            column,
            source: sql,
            batch: batchIndex,
          },
          item.sessionOnly,
        ),
      );
    }
  }
  if (statements.length === 0) {
    return {
      ok: false,
      dialect: "mssql",
      error: { message: "the command contains no SQL statement" },
    };
  }
  return {
    ok: true,
    dialect: "mssql",
    statements,
    multipleStatements: statements.length > 1 || repeated,
  };
}
