/**
 * The plan, the estimate rule and the dry run as intake gets them (issue 16), against a REAL
 * PostgreSQL: the resource is a scratch schema of TEST_DATABASE_URL, the preview target a
 * database this file creates (a separate copy, as the operator would configure). The pure
 * estimate rule always runs.
 */
import pg from "pg";
import { randomBytes } from "node:crypto";
import { createCommandChecker } from "../../src/requests/command-check.js";
import { estimateHits, previewUrlVariable } from "../../src/requests/command-assessment.js";
import type { PlanResult } from "../../src/engines/plan-types.js";
import { requestBody } from "../../src/render/request-pr-text.js";
import { statusView } from "../../src/render/status-view.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { resourcePolicy, scratchSchema, type Scratch } from "../helpers/worker.js";
import type { RequestRecord } from "../../src/store/requests.js";
import type { ResourcePolicy } from "../../src/policy/config.js";

const describeWithDb = describeWithServer("the plan-at-intake tests against a real server");

function plan(total: number, unplanned = false): PlanResult {
  return {
    ok: true,
    statements: [
      unplanned
        ? {
            number: 1,
            text: "CREATE TABLE t ()",
            kind: "CreateStmt",
            planned: false,
            reason: "a utility statement",
          }
        : {
            number: 1,
            text: "DELETE FROM t",
            kind: "DeleteStmt",
            planned: true,
            estimatedRows: total,
            topNode: "ModifyTable (Delete)",
            seqScans: [],
          },
    ],
    totalEstimatedRows: total,
    seqScanWarnRows: 100_000,
    plannedAt: "2026-12-05T06:00:00.000Z",
    durationMs: 3,
  };
}

describe("the max_estimated_rows rule (pure)", () => {
  test("over deny: denied, no warning besides; over warn only: a warning; within: nothing", () => {
    const limits = { deny: 1_000, warn: 100 };
    expect(estimateHits(plan(5_000), limits)).toEqual({
      denied: [
        {
          rule: "max_estimated_rows",
          statement: null,
          message:
            "The planner estimates 5,000 rows touched, over max_estimated_rows (1,000, denies).",
        },
      ],
      warnings: [],
    });
    expect(estimateHits(plan(500), limits).warnings[0]?.message).toBe(
      "The planner estimates 500 rows touched, over max_estimated_rows (100, warns).",
    );
    expect(estimateHits(plan(500), limits).denied).toEqual([]);
    expect(estimateHits(plan(50), limits)).toEqual({ denied: [], warnings: [] });
    expect(estimateHits(plan(10_000_000), undefined)).toEqual({ denied: [], warnings: [] });
  });

  test("an estimate that cannot be made is said, never a silent pass", () => {
    const hits = estimateHits({ ok: false, reason: "connection refused" }, { deny: 10 });
    expect(hits.denied).toEqual([]);
    expect(hits.warnings[0]?.message).toBe(
      "max_estimated_rows could not be checked: connection refused.",
    );
    expect(estimateHits(plan(0, true), { deny: 10 }).warnings[0]?.message).toMatch(
      /statement\(s\) 1 could not be planned/,
    );
  });
});

describe("which planner a resource gets", () => {
  const policy = resourcePolicy({ approvals: "none" });
  const fake = (label: string) => () =>
    Promise.resolve<PlanResult>({ ok: false, reason: `${label} was asked` });
  const assessors = {
    plan: fake("EXPLAIN"),
    planMssql: fake("SHOWPLAN_XML"),
    preview: () => Promise.resolve({ ok: false as const, reason: "no dry run expected" }),
  };

  test("SQL Server gets its estimated plan and no dry run; MySQL gets neither", async () => {
    const mssql = await createCommandChecker(
      {
        COUNTERSIGN_RESOURCE_PROD_DB_URL: "mssql://sa:pw@db.internal/app",
        [previewUrlVariable("prod-db")]: "postgres://copy/app",
      },
      assessors,
    )("UPDATE users SET a = 1 WHERE id = 1", policy, { preview: true });
    expect(mssql.plan).toEqual({ ok: false, reason: "SHOWPLAN_XML was asked" });
    expect(mssql.preview).toBeUndefined();
    const mysql = await createCommandChecker(
      { COUNTERSIGN_RESOURCE_PROD_DB_URL: "mysql://root@db.internal/app" },
      assessors,
    )("UPDATE users SET a = 1 WHERE id = 1", policy, { preview: true });
    expect(mysql.plan).toBeUndefined();
  });
});

describeWithDb("plans and dry runs at intake (real PostgreSQL)", () => {
  // describe.skip still runs this body (without a server): a placeholder that is never dialled.
  const base = TEST_SERVER_URL ?? "postgres://unused@127.0.0.1:1/unused";
  const previewName = `cs_assess_${randomBytes(6).toString("hex")}`;
  const previewUrl = Object.assign(new URL(base), { pathname: `/${previewName}` }).toString();
  let scratch: Scratch;
  let admin: pg.Client;
  let preview: pg.Client;
  let table: string;

  beforeAll(async () => {
    scratch = await scratchSchema(base);
    table = `${scratch.schema}.orders`;
    await scratch.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, customer int NOT NULL);
       INSERT INTO ${table} SELECT g, g % 100 FROM generate_series(1, 50000) g;
       ANALYZE ${table}`,
    );
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${previewName}`);
    preview = new pg.Client({ connectionString: previewUrl });
    await preview.connect();
    // The staging copy: the same schema and table, fewer rows.
    await preview.query(
      `CREATE SCHEMA ${scratch.schema};
       CREATE TABLE ${table} (id int PRIMARY KEY, customer int NOT NULL);
       INSERT INTO ${table} SELECT g, g % 100 FROM generate_series(1, 1000) g`,
    );
  }, 60_000);

  afterAll(async () => {
    await scratch?.drop();
    await preview?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${previewName}`);
    await admin?.end();
  });

  const env = () => ({ COUNTERSIGN_RESOURCE_PROD_DB_URL: base });
  const policy = (resource: object, extra: Partial<ResourcePolicy> = {}): ResourcePolicy => ({
    ...resourcePolicy({ approvals: "none", ...resource }),
    ...extra,
  });

  test("a full-table DELETE is denied by max_estimated_rows before anyone is asked", async () => {
    const check = await createCommandChecker(env())(
      `DELETE FROM ${table} WHERE customer >= 0`,
      policy({ guardrails: { deny: ["drop"], max_estimated_rows: 10_000 } }),
    );
    expect(check.plan?.ok).toBe(true);
    expect(check.denied.map((hit) => hit.rule)).toEqual(["max_estimated_rows"]);
    expect(check.denied[0]?.message).toMatch(/estimates 50,000 rows touched/);
  });

  test("a selective UPDATE passes, its plan kept for the PR and the drift guard", async () => {
    const check = await createCommandChecker(env())(
      `UPDATE ${table} SET customer = 1 WHERE id = 42`,
      policy({ guardrails: { deny: ["drop"], max_estimated_rows: 10_000 } }),
    );
    expect(check.denied).toEqual([]);
    const statement = check.plan?.ok === true ? check.plan.statements[0] : undefined;
    expect(statement).toMatchObject({ planned: true, estimatedRows: 1 });
    expect(check.preview).toBeUndefined();
  });

  test("the dry run runs on the preview target, rolled back, and the PR body shows both", async () => {
    const command = `DELETE FROM ${table} WHERE customer = 7 RETURNING id`;
    const held = policy({ guardrails: { deny: ["drop"] } });
    const check = await createCommandChecker({
      ...env(),
      [previewUrlVariable("prod-db")]: previewUrl,
    })(command, held, { preview: true });
    expect(check.preview?.ok).toBe(true);
    const outcome = check.preview?.ok === true ? check.preview.outcome : undefined;
    // 1,000 rows on the copy: ten have customer 7. The copy keeps them all.
    expect(outcome).toMatchObject({ status: "succeeded", rolledBack: true, affectedRows: 10 });
    expect(outcome?.resultSets[0]?.rows).toHaveLength(5);
    const left = await preview.query(`SELECT count(*)::int AS n FROM ${table} WHERE customer = 7`);
    expect(left.rows).toEqual([{ n: 10 }]);

    const body = requestBody(
      {
        id: 9,
        kind: "command",
        resource: "prod-db",
        requester: "alice",
        sourceUrl: "https://github.com/acme/ops/issues/7",
        reason: null,
        command,
      } as RequestRecord,
      held,
      check,
      statusView({ status: "pending", evaluation: null, autoApproval: null }),
    );
    expect(body).toContain("### Plan");
    expect(body).toContain("### Dry run on the preview target");
    expect(body).toContain("nothing was kept");
  });

  test("no preview at execution, none without a preview URL, no plan when the server switched plans off", async () => {
    const withPreview = { ...env(), [previewUrlVariable("prod-db")]: previewUrl };
    const command = `UPDATE ${table} SET customer = 1 WHERE id = 42`;
    const atExecution = await createCommandChecker(withPreview)(command, policy({}));
    expect(atExecution.preview).toBeUndefined();
    expect(atExecution.plan?.ok).toBe(true);
    const off = await createCommandChecker(withPreview)(command, policy({}, { plan: false }), {
      preview: true,
    });
    expect(off.plan).toBeUndefined();
    expect(off.preview).toBeUndefined();
  });

  test("an unreachable target: the plan says so and the request proceeds", async () => {
    const check = await createCommandChecker({
      COUNTERSIGN_RESOURCE_PROD_DB_URL: "postgres://admin:s3cret@127.0.0.1:1/prod",
    })(
      `UPDATE ${table} SET customer = 1 WHERE id = 42`,
      policy({ guardrails: { max_estimated_rows: 5 } }),
    );
    expect(check.plan?.ok).toBe(false);
    expect(JSON.stringify(check)).not.toContain("s3cret");
    expect(check.denied).toEqual([]);
    expect(check.warnings.map((hit) => hit.rule)).toEqual(["max_estimated_rows"]);
  });
});
