/**
 * The one comparison both constant folders (pg-fold.ts, tsql-fold.ts) apply to two known
 * values: undefined for an operator it does not know, so the folder says "can't tell".
 */
export function compareOrdered(
  op: string,
  a: number | string,
  b: number | string,
): boolean | undefined {
  switch (op) {
    case "=":
      return a === b;
    case "<>":
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
    default:
      return undefined;
  }
}
