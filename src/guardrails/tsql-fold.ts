/**
 * Statically always-true predicates, over T-SQL tokens (issue 12, class 5). The
 * without-where rules catch intent: `WHERE 1 IN (1)`, `WHERE 'a' LIKE '%'` or
 * `ON t.id = t.id` select every row just as surely as no WHERE at all. This is a small,
 * conservative folder: it answers true only when it can prove it, and anything it does not
 * understand (a subquery, a function it does not know, a column in arithmetic) is unknown.
 * The affected-row limit stays the real guard; this catches the obvious disguises.
 *
 * Three-valued logic as SQL Server has it with ANSI_NULLS ON (the classifier refuses any
 * command that turns it off): a comparison with NULL is unknown. `col = col` and
 * `col LIKE '%'` count as always true although they skip NULLs: they say "every row".
 */
import { readName } from "./tsql-names.js";
import { compareOrdered } from "./fold-compare.js";
import type { TsqlToken } from "./tsql-tokenize.js";

type Value =
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  | { t: "col"; v: string }
  | { t: "null" }
  /** Something that is not a constant (a column in arithmetic, …). */
  | { t: "expr" };

type Truth = boolean | undefined;

/** Parentheses deeper than this are not folded (the classifier limits nesting anyway). */
const MAX_FOLD_DEPTH = 64;

const COMPARISONS = new Set(["=", "<>", "!=", "<", ">", "<=", ">=", "!<", "!>"]);

/** Words that make a subquery depend on data: EXISTS over them is not static. */
const DATA_WORDS = new Set(
  "FROM WHERE HAVING TOP GROUP OFFSET FETCH UNION EXCEPT INTERSECT".split(" "),
);

/** True when the whole predicate is provably always true. */
export function alwaysTrue(toks: TsqlToken[]): boolean {
  const folded = foldPredicate(toks);
  return folded.understood && folded.value === true;
}

/**
 * The predicate folded: `understood` when the folder read all of it, and then its truth for
 * every row (undefined: unknown for every row, as `NULL = NULL`, which takes none).
 */
function foldPredicate(toks: TsqlToken[]): { understood: boolean; value: Truth } {
  if (toks.length === 0) return { understood: false, value: undefined };
  const folder = new Folder(toks);
  const value = folder.or(0);
  return { understood: folder.done(), value };
}

/** Whether the folder reads all of the predicate (whatever its value). */
export function foldsCompletely(toks: TsqlToken[]): boolean {
  return foldPredicate(toks).understood;
}

function or3(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

function and3(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : undefined;
}

function isConst(value: Value): value is { t: "num"; v: number } | { t: "str"; v: string } {
  return value.t === "num" || value.t === "str";
}

class Folder {
  private i = 0;
  private failed = false;
  constructor(private readonly toks: TsqlToken[]) {}

  done(): boolean {
    return !this.failed && this.i === this.toks.length;
  }

  private fail(): undefined {
    this.failed = true;
    this.i = this.toks.length;
    return undefined;
  }

  private peekWord(offset = 0): string | undefined {
    const token = this.toks[this.i + offset];
    return token?.type === "word" ? token.value : undefined;
  }

  private takeWord(word: string): boolean {
    if (this.peekWord() !== word) return false;
    this.i += 1;
    return true;
  }

  private peekOp(): string | undefined {
    const token = this.toks[this.i];
    return token?.type === "op" ? token.text : undefined;
  }

  or(depth: number): Truth {
    let value = this.and(depth);
    while (!this.failed && this.takeWord("OR")) value = or3(value, this.and(depth));
    return value;
  }

  private and(depth: number): Truth {
    let value = this.not(depth);
    while (!this.failed && this.takeWord("AND")) value = and3(value, this.not(depth));
    return value;
  }

  /** NOT NOT … counted in a loop: a long chain costs no stack. */
  private not(depth: number): Truth {
    let negations = 0;
    while (this.takeWord("NOT")) negations += 1;
    const value = this.predicate(depth);
    if (value === undefined || negations % 2 === 0) return value;
    return !value;
  }

  private predicate(depth: number): Truth {
    if (depth > MAX_FOLD_DEPTH) return this.fail();
    if (this.takeWord("EXISTS")) return this.exists();
    if (this.toks[this.i]?.type === "lparen") {
      const save = this.i;
      this.i += 1;
      const value = this.or(depth + 1);
      if (!this.failed && this.toks[this.i]?.type === "rparen") {
        this.i += 1;
        if (!this.continuesAsOperand()) return value;
      }
      // `(1) = 1`: the parentheses held an operand, not a predicate.
      this.failed = false;
      this.i = save;
    }
    const left = this.operand(depth);
    if (left === undefined) return this.fail();
    return this.predicateTail(left, depth);
  }

  private continuesAsOperand(): boolean {
    const op = this.peekOp();
    if (op !== undefined && (COMPARISONS.has(op) || "+-*/%".includes(op))) return true;
    const word = this.peekWord();
    return ["IS", "IN", "BETWEEN", "LIKE"].includes(word ?? "") || this.notPredicate();
  }

  private notPredicate(): boolean {
    return this.peekWord() === "NOT" && ["IN", "BETWEEN", "LIKE"].includes(this.peekWord(1) ?? "");
  }

  private predicateTail(left: Value, depth: number): Truth {
    const op = this.peekOp();
    if (op !== undefined && COMPARISONS.has(op)) {
      this.i += 1;
      const right = this.operand(depth);
      return right === undefined ? this.fail() : compare(op, left, right);
    }
    if (this.takeWord("IS")) return this.isTail(left, depth);
    const negated = this.notPredicate() && this.takeWord("NOT");
    let value: Truth;
    if (this.takeWord("IN")) value = this.inList(left, depth);
    else if (this.takeWord("BETWEEN")) value = this.between(left, depth);
    else if (this.takeWord("LIKE")) value = this.like(left, depth);
    else return undefined;
    return value === undefined || !negated ? value : !value;
  }

  private isTail(left: Value, depth: number): Truth {
    const negated = this.takeWord("NOT");
    if (this.takeWord("NULL")) {
      if (left.t === "null") return !negated;
      return isConst(left) ? negated : undefined;
    }
    if (!this.takeWord("DISTINCT") || !this.takeWord("FROM")) return this.fail();
    const right = this.operand(depth);
    if (right === undefined) return this.fail();
    const same = sameValue(left, right);
    return same === undefined ? undefined : same === negated;
  }

  private inList(left: Value, depth: number): Truth {
    if (this.toks[this.i]?.type !== "lparen") return this.fail();
    this.i += 1;
    let value: Truth = false;
    for (;;) {
      const item = this.operand(depth + 1);
      if (item === undefined) return this.fail();
      value = or3(value, compare("=", left, item));
      const token = this.toks[this.i];
      this.i += 1;
      if (token?.type === "rparen") return value;
      if (token?.type !== "comma") return this.fail();
    }
  }

  private between(left: Value, depth: number): Truth {
    const low = this.operand(depth);
    if (low === undefined || !this.takeWord("AND")) return this.fail();
    const high = this.operand(depth);
    if (high === undefined) return this.fail();
    return and3(compare(">=", left, low), compare("<=", left, high));
  }

  private like(left: Value, depth: number): Truth {
    const pattern = this.operand(depth);
    if (pattern === undefined) return this.fail();
    if (this.peekWord() === "ESCAPE") return this.fail();
    if (pattern.t !== "str") return undefined;
    if (left.t === "col") return /^%+$/.test(pattern.v) ? true : undefined;
    if (left.t !== "str" || pattern.v.includes("[")) return undefined;
    return likeRegex(pattern.v).test(left.v);
  }

  /** EXISTS (SELECT …) with no FROM, WHERE, TOP …: always one row, so always true. */
  private exists(): Truth {
    if (this.toks[this.i]?.type !== "lparen") return this.fail();
    let depth = 0;
    let constant = this.peekWord(1) === "SELECT";
    for (; this.i < this.toks.length; this.i += 1) {
      const token = this.toks[this.i] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen" && --depth === 0) break;
      else if (token.type === "word" && DATA_WORDS.has(token.value)) constant = false;
      else if (token.type === "variable") constant = false;
    }
    if (depth !== 0) return this.fail();
    this.i += 1;
    return constant ? true : undefined;
  }

  /** Additive expression: numbers add, strings concatenate, NULL absorbs. */
  private operand(depth: number): Value | undefined {
    let left = this.term(depth);
    while (left !== undefined) {
      const op = this.peekOp();
      if (op !== "+" && op !== "-") break;
      this.i += 1;
      const right = this.term(depth);
      if (right === undefined) return undefined;
      left = arithmetic(op, left, right);
    }
    return left;
  }

  private term(depth: number): Value | undefined {
    let left = this.factor(depth);
    while (left !== undefined) {
      const op = this.peekOp();
      if (op !== "*" && op !== "/" && op !== "%") break;
      this.i += 1;
      const right = this.factor(depth);
      if (right === undefined) return undefined;
      left = arithmetic(op, left, right);
    }
    return left;
  }

  private factor(depth: number): Value | undefined {
    if (depth > MAX_FOLD_DEPTH) return undefined;
    const token = this.toks[this.i];
    if (token === undefined) return undefined;
    if (token.type === "op" && (token.text === "-" || token.text === "+")) {
      this.i += 1;
      const inner = this.factor(depth + 1);
      if (inner === undefined) return undefined;
      if (inner.t === "num") return { t: "num", v: token.text === "-" ? -inner.v : inner.v };
      return inner.t === "null" ? inner : { t: "expr" };
    }
    if (token.type === "lparen") {
      this.i += 1;
      const inner = this.operand(depth + 1);
      if (inner === undefined || this.toks[this.i]?.type !== "rparen") return undefined;
      this.i += 1;
      return inner;
    }
    if (token.type === "number") {
      this.i += 1;
      const v = Number(token.text);
      return Number.isNaN(v) ? { t: "expr" } : { t: "num", v };
    }
    if (token.type === "string") {
      this.i += 1;
      return { t: "str", v: token.value };
    }
    if (token.type === "word" && token.value === "NULL") {
      this.i += 1;
      return { t: "null" };
    }
    if (token.type === "word" && this.toks[this.i + 1]?.type === "lparen") {
      return this.call(token.value, depth);
    }
    const name = readName(this.toks, this.i);
    if (name === undefined || this.toks[name.next]?.type === "lparen") return undefined;
    this.i = name.next;
    return { t: "col", v: name.display };
  }

  /** ISNULL, COALESCE and NULLIF over constants; any other call is not folded. */
  private call(fn: string, depth: number): Value | undefined {
    if (fn !== "ISNULL" && fn !== "COALESCE" && fn !== "NULLIF") return undefined;
    this.i += 2;
    const args: Value[] = [];
    for (;;) {
      const arg = this.operand(depth + 1);
      if (arg === undefined) return undefined;
      args.push(arg);
      const token = this.toks[this.i];
      this.i += 1;
      if (token?.type === "rparen") break;
      if (token?.type !== "comma") return undefined;
    }
    if (fn === "NULLIF") {
      const [a, b] = args;
      if (args.length !== 2 || a === undefined || b === undefined) return undefined;
      const equal = compare("=", a, b);
      return equal === true ? { t: "null" } : equal === false ? a : { t: "expr" };
    }
    if (fn === "ISNULL" && args.length !== 2) return undefined;
    for (const arg of args) {
      if (arg.t === "null") continue;
      return isConst(arg) ? arg : { t: "expr" };
    }
    return { t: "null" };
  }
}

const ARITHMETIC: Readonly<Record<string, (a: number, b: number) => number>> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "%": (a, b) => a % b,
};

function arithmetic(op: string, left: Value, right: Value): Value {
  if (left.t === "null" || right.t === "null") return { t: "null" };
  const apply = ARITHMETIC[op];
  if (left.t === "num" && right.t === "num" && apply !== undefined) {
    const v = apply(left.v, right.v);
    return Number.isFinite(v) ? { t: "num", v } : { t: "expr" };
  }
  if (op === "+" && left.t === "str" && right.t === "str") return { t: "str", v: left.v + right.v };
  return { t: "expr" };
}

/** Null-safe equality (IS NOT DISTINCT FROM); undefined when it cannot tell. */
function sameValue(left: Value, right: Value): Truth {
  if (left.t === "null" || right.t === "null") return left.t === right.t ? true : undefined;
  if (left.t === "col" && right.t === "col") return left.v === right.v ? true : undefined;
  return compare("=", left, right);
}

/** SQL Server's LIKE with % and _ only, case-insensitive like the default collations. */
function likeRegex(pattern: string): RegExp {
  const body = [...pattern]
    .map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[.*+?^${}()|\\\]]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body} *$`, "is");
}

function compare(op: string, left: Value, right: Value): Truth {
  if (left.t === "col" && right.t === "col") {
    return left.v === right.v && ["=", "<=", ">=", "!<", "!>"].includes(op) ? true : undefined;
  }
  if (!isConst(left) || !isConst(right)) return undefined;
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
  return ordered(op, a, b);
}

/** T-SQL's `!>` and `!<` are `<=` and `>=`; the rest is the shared comparison. */
const TSQL_ONLY_OPERATORS = new Map([
  ["!>", "<="],
  ["!<", ">="],
]);

function ordered(op: string, a: number | string, b: number | string): Truth {
  return compareOrdered(TSQL_ONLY_OPERATORS.get(op) ?? op, a, b);
}
