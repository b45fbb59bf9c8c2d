/**
 * The constant folder behind the without-WHERE rules (issue 12, class 5): what it proves
 * always true, always false, and what it must leave alone.
 */
import { loadModule, parseSync } from "libpg-query";
import { truthValue, unrestricted } from "../../src/guardrails/pg-fold.js";

beforeAll(async () => {
  await loadModule();
});

/** The WHERE clause of `DELETE FROM t WHERE <predicate>` as the parser gives it. */
function where(predicate: string): unknown {
  const tree = parseSync(`DELETE FROM t WHERE ${predicate}`) as {
    stmts: { stmt: { DeleteStmt: { whereClause: unknown } } }[];
  };
  return tree.stmts[0]?.stmt.DeleteStmt.whereClause;
}

describe("truthValue", () => {
  test.each([
    "true",
    "1 = 1",
    "1 IN (1)",
    "1 IN (2, 1)",
    "1 NOT IN (2, 3)",
    "2 BETWEEN 1 AND 3",
    "2 BETWEEN SYMMETRIC 3 AND 1",
    "5 NOT BETWEEN 1 AND 3",
    "'a' LIKE '%'",
    "'abc' LIKE 'a_c'",
    "'ABC' ILIKE 'a%'",
    "'a' NOT LIKE 'b%'",
    "name LIKE '%'",
    "EXISTS (SELECT 1)",
    "EXISTS (SELECT 1 WHERE true)",
    "NOT EXISTS (SELECT 1 WHERE false)",
    "col = col",
    "t.col >= t.col",
    "col + 1 = col + 1",
    "coalesce(NULL, true)",
    "coalesce(NULL, NULL, 1) = 1",
    "1 IS NOT DISTINCT FROM 1",
    "NULL IS NOT DISTINCT FROM NULL",
    "x IS NOT DISTINCT FROM x",
    "1 IS DISTINCT FROM 2",
    "NOT false",
    "true OR id = 5",
    "id = 5 OR 1 = 1",
    "1 <> 2",
    "1 != 2",
    "2 > 1",
    "-1 < 1 + 1",
    "2 * 3 = 6",
    "'t'::boolean",
    "'yes'::bool",
    "CAST('on' AS boolean)",
    "'1'::int = 1",
    "'2' = 2",
    "'x' = 'x'",
    "(1 = 1) IS TRUE",
    "(1 = 2) IS NOT TRUE",
    "false IS FALSE",
    "NULL IS NULL",
    "1 IS NOT NULL",
    "1 = ANY (ARRAY[1, 2])",
    "3 > ALL (ARRAY[1, 2])",
    "(SELECT true)",
    "(SELECT 1) = 1",
    "NOT (col <> col)",
  ])("%s is always true", (predicate) => {
    expect(truthValue(where(predicate))).toBe(true);
  });

  test.each([
    "false",
    "1 = 2",
    "1 IN (2, 3)",
    "5 BETWEEN 1 AND 3",
    "'b' LIKE 'a%'",
    "NOT true",
    "true AND false",
    "EXISTS (SELECT 1 WHERE false)",
    "col <> col",
    "1 IS DISTINCT FROM 1",
    "'f'::boolean",
  ])("%s is always false", (predicate) => {
    expect(truthValue(where(predicate))).toBe(false);
  });

  test.each([
    "id = 5",
    "id IN (1, 2)",
    "name LIKE 'tmp%'",
    "created_at BETWEEN '2024-01-01' AND '2024-02-01'",
    "EXISTS (SELECT 1 FROM bans WHERE bans.user_id = t.id)",
    "EXISTS (SELECT 1 LIMIT 0)",
    "coalesce(active, true)",
    "a = b",
    "t.id = id",
    "random() = random()",
    "now() > '2000-01-01'",
    "'a' < 'b'",
    "NULL = NULL",
    "1 IN (NULL)",
    "x IS DISTINCT FROM x + 0",
    "7 / 2 = 3",
    "'abc' SIMILAR TO 'a%'",
    "'a' LIKE 'a' ESCAPE '!'",
    "true AND id = 1",
  ])("%s depends on the row or is not folded", (predicate) => {
    expect(truthValue(where(predicate))).toBeUndefined();
  });
});

describe("unrestricted", () => {
  test("names the problem", () => {
    expect(unrestricted(undefined)).toBe("has no WHERE clause");
    expect(unrestricted(where("2 BETWEEN 1 AND 3"))).toBe("has a WHERE clause that is always true");
    expect(unrestricted(where("id = 2"))).toBeUndefined();
  });

  test("deep nesting does not throw", () => {
    const nested = `${"(".repeat(200)}1 = 1${")".repeat(200)}`;
    expect(truthValue(where(nested))).toBe(true);
  });

  test("stays fast on deeply nested expressions (each node is looked at once)", () => {
    const sum = `${"(".repeat(500)}a${" + 1)".repeat(500)}`;
    const compared = `${"(".repeat(300)}a = 1${") = true".repeat(300)}`;
    const started = Date.now();
    expect(truthValue(where(`${sum} = ${sum}`))).toBe(true);
    expect(truthValue(where(`${sum} > 3`))).toBeUndefined();
    expect(truthValue(where(compared))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
