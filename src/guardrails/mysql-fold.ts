/**
 * Always-true WHERE clauses in MySQL (`WHERE 1`, `WHERE 1 = 1 OR id = 5`, `WHERE id = id`,
 * `WHERE 'a' LIKE '%'`): a DELETE or UPDATE with one touches every row, so it counts as
 * having no WHERE at all.
 *
 * node-sql-parser gives AND, OR and XOR one precedence, left to right (it reads
 * `1 OR a = 1 AND b = 2` as `(1 OR a = 1) AND b = 2`); MySQL binds AND tighter than XOR and
 * XOR tighter than OR. So the parser's tree of logical operators is flattened back into the
 * operands and operators as written (parenthesised groups stay whole) and re-read here
 * with MySQL's precedence. Anything this fold cannot evaluate depends on the row.
 */
import { isObject, list, str, type JsonObject } from "./pg-ast.js";

/** T: true, F: false, N: NULL, U: depends on the row (or unknown here). */
type Truth = "T" | "F" | "N" | "U";

type Value = { t: "num"; v: number } | { t: "str"; v: string } | { t: "null" } | undefined;

const LOGIC = new Set(["AND", "&&", "OR", "XOR"]);

function number(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return Number(value);
  return undefined;
}

/** MySQL's string-to-number: the longest numeric prefix, else 0. */
function toNumber(text: string): number {
  const match = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text);
  return match === null ? 0 : Number(match[0]);
}

function constant(node: unknown): Value {
  if (!isObject(node)) return undefined;
  switch (node.type) {
    case "number": {
      const v = number(node.value);
      return v === undefined ? undefined : { t: "num", v };
    }
    case "bool":
      return { t: "num", v: node.value === true ? 1 : 0 };
    case "null":
      return { t: "null" };
    case "single_quote_string":
    case "double_quote_string":
    case "string":
      return typeof node.value === "string" ? { t: "str", v: node.value } : undefined;
    case "unary_expr": {
      const inner = constant(node.expr);
      if (node.operator !== "-" || inner === undefined || inner.t === "null") return undefined;
      return { t: "num", v: -(inner.t === "num" ? inner.v : toNumber(inner.v)) };
    }
    case "binary_expr":
      return arithmetic(node);
    default:
      return undefined;
  }
}

function asNumber(value: Value): number | undefined {
  if (value === undefined || value.t === "null") return undefined;
  return value.t === "num" ? value.v : toNumber(value.v);
}

function arithmetic(node: JsonObject): Value {
  const op = str(node.operator);
  if (op === undefined || !["+", "-", "*", "/", "%", "DIV", "MOD"].includes(op)) return undefined;
  const a = asNumber(constant(node.left));
  const b = asNumber(constant(node.right));
  if (a === undefined || b === undefined) return undefined;
  if ((op === "/" || op === "%" || op === "DIV" || op === "MOD") && b === 0) return { t: "null" };
  const result: Record<string, number> = {
    "+": a + b,
    "-": a - b,
    "*": a * b,
    "/": a / b,
    "%": a % b,
    MOD: a % b,
    DIV: Math.trunc(a / b),
  };
  return { t: "num", v: result[op] as number };
}

function truthOfValue(value: Value): Truth {
  if (value === undefined) return "U";
  if (value.t === "null") return "N";
  const n = value.t === "num" ? value.v : toNumber(value.v);
  return n !== 0 ? "T" : "F";
}

/**
 * Compares two constants as MySQL would. Two strings are known equal when they are equal
 * ignoring case; any other order depends on the collation (trailing spaces are padding,
 * `'a' = 'á'` under the general collations), so it is not known.
 */
function compare(a: Value, b: Value): number | "null" | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.t === "null" || b.t === "null") return "null";
  if (a.t === "str" && b.t === "str") {
    return a.v.toLowerCase() === b.v.toLowerCase() ? 0 : undefined;
  }
  const x = asNumber(a) as number;
  const y = asNumber(b) as number;
  return x === y ? 0 : x < y ? -1 : 1;
}

function sameColumn(a: unknown, b: unknown): boolean {
  if (!isObject(a) || !isObject(b) || a.type !== "column_ref" || b.type !== "column_ref") {
    return false;
  }
  return JSON.stringify([a.table, a.column]) === JSON.stringify([b.table, b.column]);
}

const COMPARISONS: Record<string, (c: number) => boolean> = {
  "=": (c) => c === 0,
  "<=>": (c) => c === 0,
  "<>": (c) => c !== 0,
  "!=": (c) => c !== 0,
  "<": (c) => c < 0,
  ">": (c) => c > 0,
  "<=": (c) => c <= 0,
  ">=": (c) => c >= 0,
};

function fromBoolean(value: boolean): Truth {
  return value ? "T" : "F";
}

function likeTruth(left: Value, pattern: Value): Truth {
  if (left === undefined || pattern === undefined) return "U";
  if (left.t === "null" || pattern.t === "null") return "N";
  const text = left.t === "str" ? left.v : String(left.v);
  const source = pattern.t === "str" ? pattern.v : String(pattern.v);
  const regex = source
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/%/g, "[\\s\\S]*")
    .replace(/_/g, "[\\s\\S]");
  return fromBoolean(new RegExp(`^${regex}$`, "i").test(text));
}

function not(truth: Truth): Truth {
  if (truth === "T") return "F";
  if (truth === "F") return "T";
  return truth;
}

function comparisonTruth(node: JsonObject, op: string): Truth {
  if (op === "XOR") return "U";
  const compareWith = COMPARISONS[op];
  if (compareWith !== undefined) {
    if (sameColumn(node.left, node.right)) return fromBoolean(compareWith(0));
    const c = compare(constant(node.left), constant(node.right));
    if (c === undefined) return "U";
    if (c === "null") {
      if (op !== "<=>") return "N";
      const bothNull = constant(node.left)?.t === "null" && constant(node.right)?.t === "null";
      return fromBoolean(bothNull);
    }
    return fromBoolean(compareWith(c));
  }
  const left = constant(node.left);
  switch (op) {
    case "IS":
    case "IS NOT": {
      const right = isObject(node.right) ? node.right : undefined;
      let truth: Truth;
      if (right?.type === "null") truth = left === undefined ? "U" : fromBoolean(left.t === "null");
      else if (right?.type === "bool") {
        const value = truthOfValue(left);
        truth = value === "U" ? "U" : fromBoolean(value === (right.value === true ? "T" : "F"));
      } else truth = "U";
      return op === "IS" ? truth : not(truth);
    }
    case "LIKE":
      return likeTruth(left, constant(node.right));
    case "NOT LIKE":
      return not(likeTruth(left, constant(node.right)));
    case "IN":
    case "NOT IN": {
      const items = isObject(node.right) ? list(node.right.value) : [];
      const equal = items.some((item) => compare(left, constant(item)) === 0);
      const truth: Truth = equal ? "T" : "U";
      return op === "IN" ? truth : not(truth);
    }
    case "BETWEEN":
    case "NOT BETWEEN": {
      const [low, high] = isObject(node.right) ? list(node.right.value) : [];
      const a = compare(left, constant(low));
      const b = compare(left, constant(high));
      if (typeof a !== "number" || typeof b !== "number") return "U";
      const truth = fromBoolean(a >= 0 && b <= 0);
      return op === "BETWEEN" ? truth : not(truth);
    }
    default:
      return truthOfValue(constant(node));
  }
}

/** The operands and operators of a chain of AND/OR/XOR, as written. */
function flatten(node: unknown, out: (unknown | string)[], top: boolean): void {
  if (
    isObject(node) &&
    node.type === "binary_expr" &&
    LOGIC.has(str(node.operator) ?? "") &&
    (top || node.parentheses !== true)
  ) {
    flatten(node.left, out, false);
    out.push(str(node.operator) === "&&" ? "AND" : str(node.operator));
    flatten(node.right, out, false);
    return;
  }
  out.push({ operand: node });
}

function and(a: Truth, b: Truth): Truth {
  if (a === "F" || b === "F") return "F";
  if (a === "T" && b === "T") return "T";
  return a === "U" || b === "U" ? "U" : "N";
}

function or(a: Truth, b: Truth): Truth {
  if (a === "T" || b === "T") return "T";
  if (a === "F" && b === "F") return "F";
  return a === "U" || b === "U" ? "U" : "N";
}

function xor(a: Truth, b: Truth): Truth {
  if ((a === "T" || a === "F") && (b === "T" || b === "F")) return fromBoolean(a !== b);
  return a === "U" || b === "U" ? "U" : "N";
}

/** Re-reads a flattened chain with MySQL's precedence: AND, then XOR, then OR. */
function combine(parts: (unknown | string)[], depth: number): Truth {
  const ors: Truth[] = [];
  let xors: Truth[] = [];
  let current: Truth | undefined;
  for (const part of parts) {
    if (part === "AND") continue;
    if (part === "XOR" || part === "OR") {
      xors.push(current ?? "U");
      current = undefined;
      if (part === "OR") {
        ors.push(xors.reduce(xor));
        xors = [];
      }
      continue;
    }
    const operand = isObject(part) ? part.operand : undefined;
    const truth = truthOf(operand, depth + 1);
    current = current === undefined ? truth : and(current, truth);
  }
  xors.push(current ?? "U");
  ors.push(xors.reduce(xor));
  return ors.reduce(or);
}

const MAX_DEPTH = 64;

function truthOf(node: unknown, depth: number): Truth {
  if (depth > MAX_DEPTH || !isObject(node)) return "U";
  if (node.type === "binary_expr" && LOGIC.has(str(node.operator) ?? "")) {
    const parts: (unknown | string)[] = [];
    flatten(node, parts, true);
    return combine(parts, depth);
  }
  if (node.type === "unary_expr" && (node.operator === "NOT" || node.operator === "!")) {
    return not(truthOf(node.expr, depth + 1));
  }
  if (node.type === "function" && functionName(node) === "NOT") {
    const args = isObject(node.args) ? list(node.args.value) : [];
    return args.length === 1 ? not(truthOf(args[0], depth + 1)) : "U";
  }
  if (node.type === "binary_expr") return comparisonTruth(node, str(node.operator) ?? "");
  return truthOfValue(constant(node));
}

function functionName(node: JsonObject): string | undefined {
  const name = isObject(node.name) ? list(node.name.name) : [];
  const last = name[name.length - 1];
  return isObject(last) ? str(last.value)?.toUpperCase() : undefined;
}

const NUMBER_LIKE = /^[0-9]+(\.[0-9]*)?e[+-]?[0-9]+$/i;

/** True when the node holds a column reference anywhere (subqueries included). */
function refersToColumn(node: unknown, depth = 0): boolean {
  // Too deep to look through: taken as naming none, which fails closed.
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(node)) return node.some((item) => refersToColumn(item, depth + 1));
  if (!isObject(node)) return false;
  // The parser reads `1e0` as a column of that name; the server reads a number.
  if (node.type === "column_ref") return !NUMBER_LIKE.test(str(node.column) ?? "");
  return Object.values(node).some((value) => refersToColumn(value, depth + 1));
}

/**
 * True when a WHERE condition cannot tell one row from another: it folds to true, or it names
 * no column at all and does not fold to false or NULL (`0x01`, `b'1'`, `~0`, `IF(1,1,0)`,
 * `'a' = 'a '`, `RAND() < 0.5`), so it takes every row, none, or a random set; the folding
 * alone would miss literal forms the server reads as true. `1 = 0` stays harmless.
 */
export function alwaysTrue(where: unknown): boolean {
  const truth = truthOf(where, 0);
  // "N" (NULL for every row, `NULL = NULL`) takes no row, as "F" does.
  return truth === "T" || (truth === "U" && !refersToColumn(where));
}

/**
 * True when a WHERE condition uses XOR: the parser places XOR differently from MySQL
 * (`a = 1 XOR 1` is `(a = 1) XOR 1` to the server), so such a condition cannot be checked.
 */
export function usesXor(where: unknown): boolean {
  let found = false;
  const visit = (node: unknown, depth: number): void => {
    if (found || depth > MAX_DEPTH) return;
    if (Array.isArray(node)) node.forEach((item) => visit(item, depth + 1));
    else if (isObject(node)) {
      if (node.operator === "XOR") found = true;
      for (const value of Object.values(node)) visit(value, depth + 1);
    }
  };
  visit(where, 0);
  return found;
}
