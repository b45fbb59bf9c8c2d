/**
 * The values the PostgreSQL constant folder (pg-fold.ts) works with, and how two of them
 * compare. A pure column expression compared with itself holds on every row whose columns
 * are not null, which is what "for every row" means here.
 */
import { unwrap } from "./pg-ast.js";
import { compareOrdered } from "./fold-compare.js";

export type Value =
  | { t: "bool"; v: boolean }
  | { t: "num"; v: number }
  | { t: "str"; v: string }
  /**
   * Depends on the row. Compared structurally, and only when both sides of a comparison
   * are rows: computing the key eagerly at every level would be quadratic on deep input.
   */
  | { t: "row"; node: unknown }
  | { t: "null" };

/** A number written as text (`'2'`), as PostgreSQL would read it for a numeric comparison. */
export function numeric(text: string): number | undefined {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : undefined;
}

const ROW_NODES = new Set(["ColumnRef", "A_Const", "A_Expr", "TypeCast", "TypeName", "String"]);

/**
 * A key for a row-dependent expression built only from columns, constants and operators
 * (no function: `random() = random()` is not always true), or undefined.
 */
function rowKey(node: unknown): string | undefined {
  let pure = true;
  let hasColumn = false;
  const text = JSON.stringify(node, (key, value: unknown) => {
    if (key === "location") return undefined;
    if (/^[A-Z]/.test(key) && !ROW_NODES.has(key)) pure = false;
    if (key === "ColumnRef") hasColumn = true;
    return value;
  });
  return pure && hasColumn ? text : undefined;
}

/** Whether two row values are the same pure expression (then they are equal on every row). */
function sameRow(left: Value, right: Value): boolean {
  if (left.t !== "row" || right.t !== "row") return false;
  // Cheap test first: most comparisons set a column against something else entirely.
  if (unwrap(left.node)?.[0] !== unwrap(right.node)?.[0]) return false;
  const key = rowKey(left.node);
  return key !== undefined && key === rowKey(right.node);
}

/** `op` applied to two values; undefined when it depends on the row or on a collation. */
export function compare(op: string, left: Value, right: Value): boolean | undefined {
  if (left.t === "row" || right.t === "row") {
    if (!sameRow(left, right)) return undefined;
    if (["=", "<=", ">="].includes(op)) return true;
    return ["<>", "!=", "<", ">"].includes(op) ? false : undefined;
  }
  if (left.t === "null" || right.t === "null") return undefined;
  let a: number | string | boolean = left.v;
  let b: number | string | boolean = right.v;
  if (typeof a !== typeof b) {
    // '2' = 2: PostgreSQL reads the literal as a number.
    const na = typeof a === "string" ? numeric(a) : a;
    const nb = typeof b === "string" ? numeric(b) : b;
    if (typeof na !== "number" || typeof nb !== "number") return undefined;
    a = na;
    b = nb;
  }
  if (typeof a === "boolean" || typeof b === "boolean") {
    return ["=", "<>", "!="].includes(op) ? compareOrdered(op, String(a), String(b)) : undefined;
  }
  // Text order depends on the collation: only equality is certain.
  if (typeof a === "string" && !["=", "<>", "!="].includes(op)) return undefined;
  return compareOrdered(op, a, b);
}

/** IS [NOT] DISTINCT FROM: NULLs compare equal, and a pure expression equals itself. */
export function notDistinct(left: Value, right: Value): boolean | undefined {
  if (left.t === "null" && right.t === "null") return true;
  if (left.t === "null" || right.t === "null") {
    return left.t === "row" || right.t === "row" ? undefined : false;
  }
  if (left.t === "row" || right.t === "row") return sameRow(left, right) ? true : undefined;
  return compare("=", left, right);
}

/** A LIKE between constants; backslash is the escape, as in PostgreSQL by default. */
export function likeMatches(text: string, pattern: string, caseless: boolean): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === "\\" && i + 1 < pattern.length) {
      i += 1;
      source += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (char === "%") source += "[\\s\\S]*";
    else if (char === "_") source += "[\\s\\S]";
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, caseless ? "iu" : "u").test(text);
}
