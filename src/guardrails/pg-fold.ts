/**
 * A small, conservative constant folder for PostgreSQL predicates (issue 12, class 5): a
 * WHERE (or MERGE … ON) that is true for every row is no WHERE at all. It answers `true`
 * or `false` only when sure and `undefined` otherwise, so a miss leaves the affected-row
 * limit as the backstop, and a wrong `true` (a false denial) needs an odd predicate.
 *
 * "For every row" ignores rows where a column is NULL: `col = col` selects every row whose
 * col is not null, which is what the requester meant to hide, not a real filter.
 */
import { isObject, list, str, stringList, unwrap, type JsonObject } from "./pg-ast.js";
import { compare, likeMatches, notDistinct, numeric, type Value } from "./pg-fold-values.js";

// ---------------------------------------------------------------------------------------
// Values

const TRUE_TEXT = ["t", "true", "y", "yes", "on", "1"];
const FALSE_TEXT = ["f", "false", "n", "no", "off", "0"];
const NUMBER_TYPES = new Set(["int2", "int4", "int8", "integer", "smallint", "bigint"]);
const DECIMAL_TYPES = new Set(["numeric", "decimal", "float4", "float8", "real"]);

function literal(body: JsonObject): Value | undefined {
  if (body.isnull === true) return { t: "null" };
  if (isObject(body.ival)) return { t: "num", v: Number(body.ival.ival ?? 0) };
  if (isObject(body.fval)) return { t: "num", v: Number(str(body.fval.fval) ?? "NaN") };
  if (isObject(body.sval)) return { t: "str", v: str(body.sval.sval) ?? "" };
  if (isObject(body.boolval)) return { t: "bool", v: body.boolval.boolval === true };
  return undefined;
}

/** `'t'::boolean`, `'1'::int`, `1::text`: the cast of a constant, when it is obvious. */
function castValue(body: JsonObject): Value | undefined {
  const inner = constValue(body.arg);
  const type = isObject(body.typeName) ? stringList(body.typeName.names).pop() : undefined;
  if (inner === undefined || inner.t === "null" || inner.t === "row") return inner;
  if (type === "bool" || type === "boolean") {
    if (inner.t === "bool") return inner;
    if (inner.t === "num") return { t: "bool", v: inner.v !== 0 };
    const text = inner.v.toString().trim().toLowerCase();
    if (TRUE_TEXT.includes(text)) return { t: "bool", v: true };
    if (FALSE_TEXT.includes(text)) return { t: "bool", v: false };
    return undefined;
  }
  if (type !== undefined && (NUMBER_TYPES.has(type) || DECIMAL_TYPES.has(type))) {
    const value = inner.t === "str" ? numeric(inner.v) : inner.t === "num" ? inner.v : undefined;
    if (value === undefined) return undefined;
    return { t: "num", v: NUMBER_TYPES.has(type) ? Math.round(value) : value };
  }
  if (type === "text" || type === "varchar") {
    return inner.t === "bool" ? undefined : { t: "str", v: String(inner.v) };
  }
  return inner;
}

const ARITHMETIC = new Set(["+", "-", "*"]);
const COMPARISONS = new Set(["=", "<>", "!=", "<", ">", "<=", ">="]);

/** `1 + 1`, `-1`: arithmetic on numeric constants (no division: integer rules differ). */
function arithmetic(body: JsonObject): Value | undefined {
  const op = stringList(body.name).pop();
  if (op === undefined || !ARITHMETIC.has(op)) return undefined;
  const right = constValue(body.rexpr);
  if (right?.t !== "num") return undefined;
  if (body.lexpr === undefined) return op === "-" ? { t: "num", v: -right.v } : undefined;
  const left = constValue(body.lexpr);
  if (left?.t !== "num") return undefined;
  if (op === "+") return { t: "num", v: left.v + right.v };
  if (op === "-") return { t: "num", v: left.v - right.v };
  if (op === "*") return { t: "num", v: left.v * right.v };
  return undefined;
}

function coalesce(args: unknown[]): Value | undefined {
  for (const arg of args) {
    const value = constValue(arg);
    if (value === undefined || value.t === "row") return undefined;
    if (value.t !== "null") return value;
  }
  return { t: "null" };
}

/** The value of a constant expression, a row key for a pure column expression, or undefined. */
export function constValue(node: unknown): Value | undefined {
  const wrapped = unwrap(node);
  if (wrapped === undefined) return undefined;
  const [type, body] = wrapped;
  if (type === "A_Const") return literal(body);
  if (type === "TypeCast") return castValue(body);
  if (type === "CoalesceExpr") return coalesce(list(body.args));
  if (type === "SubLink" && body.subLinkType === "EXPR_SUBLINK") return scalarSubquery(body);
  if (type === "A_Expr" && body.kind === "AEXPR_OP") {
    const op = stringList(body.name).pop() ?? "";
    if (!COMPARISONS.has(op)) return arithmetic(body) ?? { t: "row", node };
  }
  const truth = truthValue(node);
  if (truth !== undefined) return { t: "bool", v: truth };
  return { t: "row", node };
}

// ---------------------------------------------------------------------------------------
// Comparisons

/** `x LIKE '%'` holds for every non-null x; constant operands are matched for real. */
function like(body: JsonObject): boolean | undefined {
  const op = stringList(body.name).pop() ?? "";
  const negated = op.startsWith("!");
  const subject = constValue(body.lexpr);
  const pattern = constValue(body.rexpr);
  if (subject === undefined || pattern?.t !== "str") return undefined;
  let result: boolean | undefined;
  if (/^%+$/.test(pattern.v) && subject.t !== "null") result = true;
  else if (subject.t === "str") result = likeMatches(subject.v, pattern.v, op.endsWith("*"));
  return result === undefined ? undefined : result !== negated;
}

function inList(body: JsonObject): boolean | undefined {
  const subject = constValue(body.lexpr);
  const items = unwrap(body.rexpr)?.[0] === "List" ? list(unwrap(body.rexpr)?.[1].items) : [];
  if (subject === undefined || items.length === 0) return undefined;
  const equal = items.map((item) => {
    const value = constValue(item);
    return value === undefined ? undefined : compare("=", subject, value);
  });
  const found = equal.some((value) => value === true);
  const none = equal.every((value) => value === false);
  const positive = found ? true : none ? false : undefined;
  if (positive === undefined) return undefined;
  return stringList(body.name).pop() === "<>" ? !positive : positive;
}

function between(body: JsonObject): boolean | undefined {
  const subject = constValue(body.lexpr);
  const bounds = unwrap(body.rexpr)?.[0] === "List" ? list(unwrap(body.rexpr)?.[1].items) : [];
  const low = constValue(bounds[0]);
  const high = constValue(bounds[1]);
  if (subject === undefined || low === undefined || high === undefined) return undefined;
  const inside = (a: Value, b: Value): boolean | undefined => {
    const above = compare(">=", subject, a);
    const below = compare("<=", subject, b);
    if (above === false || below === false) return false;
    return above === true && below === true ? true : undefined;
  };
  const symmetric = String(body.kind).endsWith("_SYM");
  let result = inside(low, high);
  if (symmetric && result !== true) {
    const swapped = inside(high, low);
    result = swapped === true ? true : result === false && swapped === false ? false : undefined;
  }
  if (result === undefined) return undefined;
  return String(body.kind).startsWith("AEXPR_NOT_") ? !result : result;
}

/** `1 = ANY (ARRAY[1, 2])`, `2 > ALL (ARRAY[1])` over constant arrays. */
function quantified(body: JsonObject): boolean | undefined {
  const op = stringList(body.name).pop();
  const subject = constValue(body.lexpr);
  const array = unwrap(body.rexpr);
  if (op === undefined || subject === undefined || array?.[0] !== "A_ArrayExpr") return undefined;
  const results = list(array[1].elements).map((item) => {
    const value = constValue(item);
    return value === undefined ? undefined : compare(op, subject, value);
  });
  if (body.kind === "AEXPR_OP_ANY") {
    if (results.some((value) => value === true)) return true;
    return results.every((value) => value === false) ? false : undefined;
  }
  if (results.some((value) => value === false)) return false;
  return results.every((value) => value === true) ? true : undefined;
}

function operatorExpression(body: JsonObject): boolean | undefined {
  switch (body.kind) {
    case "AEXPR_OP": {
      const op = stringList(body.name).pop();
      if (op === undefined || !COMPARISONS.has(op)) return undefined;
      const left = constValue(body.lexpr);
      const right = constValue(body.rexpr);
      if (op === undefined || left === undefined || right === undefined) return undefined;
      return compare(op, left, right);
    }
    case "AEXPR_OP_ANY":
    case "AEXPR_OP_ALL":
      return quantified(body);
    case "AEXPR_DISTINCT":
    case "AEXPR_NOT_DISTINCT": {
      const left = constValue(body.lexpr);
      const right = constValue(body.rexpr);
      const same = left === undefined || right === undefined ? undefined : notDistinct(left, right);
      if (same === undefined) return undefined;
      return body.kind === "AEXPR_NOT_DISTINCT" ? same : !same;
    }
    case "AEXPR_IN":
      return inList(body);
    case "AEXPR_LIKE":
    case "AEXPR_ILIKE":
      return like(body);
    case "AEXPR_BETWEEN":
    case "AEXPR_NOT_BETWEEN":
    case "AEXPR_BETWEEN_SYM":
    case "AEXPR_NOT_BETWEEN_SYM":
      return between(body);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Subqueries without FROM

/** A SELECT that reads no table and filters nothing: `SELECT 1`, `SELECT true`. */
function returnsOneRow(subselect: unknown): JsonObject | false | undefined {
  const select = unwrap(subselect);
  if (select?.[0] !== "SelectStmt") return undefined;
  const body = select[1];
  if (body.op !== "SETOP_NONE" || body.fromClause !== undefined) return undefined;
  for (const key of ["havingClause", "groupClause", "limitCount", "limitOffset", "valuesLists"]) {
    if (body[key] !== undefined) return undefined;
  }
  if (body.whereClause === undefined) return body;
  const where = truthValue(body.whereClause);
  return where === true ? body : where === false ? false : undefined;
}

function scalarSubquery(body: JsonObject): Value | undefined {
  const select = returnsOneRow(body.subselect);
  if (select === undefined) return undefined;
  if (select === false) return { t: "null" };
  const targets = list(select.targetList);
  const target = unwrap(targets[0]);
  if (targets.length !== 1 || target?.[0] !== "ResTarget") return undefined;
  const value = constValue(target[1].val);
  return value?.t === "row" ? undefined : value;
}

function booleanTest(body: JsonObject): boolean | undefined {
  const value = truthValue(body.arg);
  if (value === undefined) return undefined;
  switch (body.booltesttype) {
    case "IS_TRUE":
    case "IS_NOT_FALSE":
      return value;
    case "IS_FALSE":
    case "IS_NOT_TRUE":
      return !value;
    case "IS_NOT_UNKNOWN":
      return true;
    case "IS_UNKNOWN":
      return false;
    default:
      return undefined;
  }
}

function boolExpression(body: JsonObject): boolean | undefined {
  const args = list(body.args).map(truthValue);
  if (body.boolop === "NOT_EXPR") {
    const only = args[0];
    return only === undefined ? undefined : !only;
  }
  if (body.boolop === "AND_EXPR") {
    if (args.some((value) => value === false)) return false;
    return args.every((value) => value === true) ? true : undefined;
  }
  if (body.boolop === "OR_EXPR") {
    if (args.some((value) => value === true)) return true;
    return args.every((value) => value === false) ? false : undefined;
  }
  return undefined;
}

/** true / false when the predicate holds for every row / no row, undefined otherwise. */
export function truthValue(node: unknown): boolean | undefined {
  const wrapped = unwrap(node);
  if (wrapped === undefined) return undefined;
  const [type, body] = wrapped;
  switch (type) {
    case "BoolExpr":
      return boolExpression(body);
    case "A_Expr":
      return operatorExpression(body);
    case "BooleanTest":
      return booleanTest(body);
    case "NullTest": {
      const arg = constValue(body.arg);
      if (arg === undefined || arg.t === "row") return undefined;
      return body.nulltesttype === "IS_NULL" ? arg.t === "null" : arg.t !== "null";
    }
    case "SubLink": {
      if (body.subLinkType === "EXPR_SUBLINK") return asBoolean(scalarSubquery(body));
      if (body.subLinkType !== "EXISTS_SUBLINK") return undefined;
      const select = returnsOneRow(body.subselect);
      return select === undefined ? undefined : select !== false;
    }
    case "A_Const":
      return asBoolean(literal(body));
    case "TypeCast":
      return asBoolean(castValue(body));
    case "CoalesceExpr":
      return asBoolean(coalesce(list(body.args)));
    default:
      return undefined;
  }
}

function asBoolean(value: Value | undefined): boolean | undefined {
  return value?.t === "bool" ? value.v : undefined;
}

/** Node kinds that tell rows apart: a column, or the row a cursor stands on. */
const ROW_NODES = new Set(["ColumnRef", "CurrentOfExpr"]);

/** Whether a node names a column (or a cursor's row) anywhere, subqueries included. */
function tellsRowsApart(node: unknown, depth = 0): boolean {
  // Too deep to look through: taken as naming none, which fails closed.
  if (depth > 200) return false;
  if (Array.isArray(node)) return node.some((item) => tellsRowsApart(item, depth + 1));
  if (!isObject(node)) return false;
  return Object.entries(node).some(
    ([key, value]) => ROW_NODES.has(key) || tellsRowsApart(value, depth + 1),
  );
}

/**
 * Why a row filter does not restrict rows, or undefined when it does (or might). A filter
 * that names no column and does not fold to false (`random() < 0.5`, `now() > '2000-01-01'`,
 * `x'01'::int = 1`) cannot tell one row from another: every row, none, or a random share.
 */
export function unrestricted(where: unknown): string | undefined {
  if (where === undefined || where === null) return "has no WHERE clause";
  const truth = truthValue(where);
  if (truth === true) return "has a WHERE clause that is always true";
  if (truth === undefined && !tellsRowsApart(where)) {
    return "has a WHERE clause that names no column";
  }
  return undefined;
}
