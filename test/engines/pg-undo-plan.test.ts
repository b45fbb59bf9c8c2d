/**
 * The undo plan of a command, from its parse trees and text, without a server: which
 * statements are backed up, with which relation and exact WHERE text, and what is refused.
 */
import { PostgresEngine } from "../../src/engines/postgres.js";
import { splitPgStatements } from "../../src/engines/pg-split.js";
import { planBackups } from "../../src/engines/pg-undo-plan.js";
import type { BackupPlan } from "../../src/engines/pg-undo-plan.js";
import { copySql, lockSql } from "../../src/engines/pg-undo-sql.js";
import { whereCondition } from "../../src/engines/pg-undo-where.js";

async function plansOf(sql: string): Promise<BackupPlan[]> {
  const split = await splitPgStatements(sql, false);
  if (!split.ok) throw new Error(split.message);
  const planned = await planBackups(sql, split.statements);
  if (!planned.ok) throw new Error(planned.message);
  return [...planned.plans.values()];
}

async function refusalOf(sql: string): Promise<string> {
  const split = await splitPgStatements(sql, false);
  if (!split.ok) throw new Error(split.message);
  const planned = await planBackups(sql, split.statements);
  if (planned.ok) throw new Error("not refused");
  expect(planned.code).toBe("COUNTERSIGN_UNDO_UNSUPPORTED");
  return planned.message;
}

describe("planBackups", () => {
  it("plans each top-level UPDATE/DELETE with its relation, ONLY, alias and exact WHERE", async () => {
    const plans = await plansOf(
      `SELECT 1; UPDATE ONLY "Sales"."Orders" AS o SET total = (SELECT max(x) FROM y WHERE y.id = o.id)
         WHERE o.note = 'a WHERE b RETURNING c' /* c */ AND (o.id IN (1, 2)) RETURNING o.id;
       INSERT INTO t VALUES (1);
       DELETE FROM t WHERE é = 'ü' -- last`,
    );
    expect(plans).toEqual([
      {
        statement: 2,
        kind: "UPDATE",
        target: {
          names: ["Sales", "Orders"],
          only: true,
          alias: "o",
          condition: " o.note = 'a WHERE b RETURNING c' /* c */ AND (o.id IN (1, 2))",
        },
        assigned: ["total"],
      },
      {
        statement: 4,
        kind: "DELETE",
        target: { names: ["t"], only: false, alias: null, condition: " é = 'ü'" },
        assigned: [],
      },
    ]);
  });

  it("plans a DELETE without WHERE as the whole table", async () => {
    const [plan] = await plansOf("DELETE FROM public.t");
    expect(plan?.target.condition).toBeNull();
    expect(copySql(plan!.target, "countersign_undo.r1_1")).toBe(
      'CREATE TABLE countersign_undo.r1_1 AS SELECT "t".* FROM "public"."t"',
    );
  });

  it("builds the lock and the copy from quoted names and the condition on its own lines", async () => {
    const [plan] = await plansOf(`DELETE FROM ONLY s."we""ird" w WHERE w.id = 1 -- bye`);
    expect(lockSql(plan!.target)).toBe(
      'SELECT pg_catalog.count(*) AS n FROM (SELECT 1 FROM ONLY "s"."we""ird" AS "w" WHERE (\n w.id = 1\n) FOR UPDATE OF "w") AS locked',
    );
    expect(copySql(plan!.target, "countersign_undo.r7_1")).toBe(
      'CREATE TABLE countersign_undo.r7_1 AS SELECT "w".* FROM ONLY "s"."we""ird" AS "w" WHERE (\n w.id = 1\n)',
    );
  });

  it("records the columns an UPDATE assigns, also in a multi-column SET", async () => {
    const [plan] = await plansOf("UPDATE t SET (a, b) = (1, 2), c = 3 WHERE id = 1");
    expect(plan?.assigned).toEqual(["a", "b", "c"]);
  });

  it.each([
    ["UPDATE t SET a = 1 FROM u WHERE t.id = u.id", "UPDATE … FROM"],
    ["DELETE FROM t USING u WHERE t.id = u.id", "DELETE … USING"],
    ["WITH x AS (SELECT 1) DELETE FROM t", "DELETE with a WITH clause"],
    [
      "SELECT * FROM (SELECT 1) s WHERE EXISTS (WITH d AS (DELETE FROM t RETURNING 1) SELECT 1 FROM d)",
      "data-modifying WITH",
    ],
    ["UPDATE t SET a = 1 WHERE CURRENT OF c", "WHERE CURRENT OF"],
    ["MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE", "MERGE"],
    ["TRUNCATE t", "TRUNCATE"],
    ["CALL p()", "CALL"],
    ["INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2", "ON CONFLICT DO UPDATE"],
    ["INSERT INTO countersign_undo.r1_1 VALUES (1)", "countersign_undo schema"],
    ["SELEC 1", "could not read"],
  ])("refuses %s", async (sql, why) => {
    const message = await refusalOf(sql);
    expect(message).toContain(why);
    expect(message).toContain("Nothing was run");
  });

  it("lets reads, inserts and ON CONFLICT DO NOTHING through without a backup", async () => {
    expect(
      await plansOf("SELECT 1; INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; COPY t FROM STDIN"),
    ).toEqual([]);
  });
});

describe("whereCondition", () => {
  it("finds the condition between the top-level WHERE and RETURNING only", async () => {
    const sql =
      "DELETE FROM t WHERE a IN (SELECT b FROM u WHERE c) RETURNING (SELECT 1 WHERE true)";
    expect(await whereCondition(sql, true, true)).toEqual({
      ok: true,
      condition: " a IN (SELECT b FROM u WHERE c)",
    });
  });

  it("refuses when the text and the tree disagree", async () => {
    expect((await whereCondition("DELETE FROM t", true, false)).ok).toBe(false);
    expect((await whereCondition("DELETE FROM t WHERE a", false, false)).ok).toBe(false);
    expect((await whereCondition("DELETE FROM t WHERE a", true, true)).ok).toBe(false);
  });

  it("keeps dollar quotes and multi-byte text exact", async () => {
    const sql = "UPDATE t SET a = 1 WHERE b = $q$ WHERE ) $q$ AND c = '日本'";
    expect(await whereCondition(sql, true, false)).toEqual({
      ok: true,
      condition: " b = $q$ WHERE ) $q$ AND c = '日本'",
    });
  });
});

describe("the engine with undo, before connecting", () => {
  // Nothing listens there: every answer below was made without a server.
  const engine = new PostgresEngine("postgres://nobody@127.0.0.1:1/nothing");
  afterAll(() => engine.close());

  const run = (sql: string, requestId: number) =>
    engine.execute({
      sql,
      readOnly: false,
      statementTimeoutMs: 1_000,
      lockTimeoutMs: 1_000,
      keepRows: 5,
      undo: { requestId },
    });

  it.each([0, -1, 1.5, Number.NaN])("refuses the request number %p", async (requestId) => {
    const outcome = await run("DELETE FROM t WHERE id = 1", requestId);
    expect(outcome.error?.code).toBe("COUNTERSIGN_INVALID_OPTIONS");
  });

  it("refuses an unsupported statement with nothing run", async () => {
    const outcome = await run("SELECT 1; UPDATE t SET a = 1 FROM u", 7);
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: false,
      resultSets: [],
      error: { code: "COUNTERSIGN_UNDO_UNSUPPORTED" },
    });
    expect(outcome.error?.message).toContain("Statement 2 is UPDATE … FROM");
  });
});
