/**
 * The plan section and the drift message of a request PR (issue 16): what they say, and that
 * hostile statements, reasons and table names stay bounded and inert.
 */
import { describeDrift, renderDriftMessage } from "../../src/render/drift.js";
import {
  PLAN_SECTION_MAX_LENGTH,
  codeExcerpt,
  formatInstant,
  renderPlanOffSection,
  renderPlanSection,
} from "../../src/render/plan.js";
import { judgeEstimate } from "../../src/engines/plan-types.js";
import type { DriftFinding, PlanResult, StatementPlan } from "../../src/engines/plan-types.js";
import { credentialRedactor } from "../../src/engines/redact.js";
import { markdownProblems, tableShapes } from "./markdown-check.js";

const WJ = "\u2060";
const PLANNED_AT = "2025-03-04T10:11:12.345Z";

/**
 * Our `<code>` elements around escaped text are the one tag the shared checker does not know;
 * data never produces a raw `<` (it is entity-escaped), so removing ours leaves the rest to check.
 */
function problems(markdown: string): string[] {
  for (const line of markdown.split("\n")) {
    expect((line.match(/<code>/g) ?? []).length).toBe((line.match(/<\/code>/g) ?? []).length);
  }
  return markdownProblems(markdown.replace(/<\/?code>/g, ""));
}

type Planned = Extract<StatementPlan, { planned: true }>;

function update(number: number, rows: number, text = `UPDATE users SET n = ${number}`): Planned {
  return {
    number,
    text,
    kind: "UpdateStmt",
    planned: true,
    estimatedRows: rows,
    topNode: "ModifyTable (Update)",
    inputNode: "Index Scan",
    seqScans: [],
  };
}

function fullDelete(number: number, table = "events", rows = 2_000_000): Planned {
  return {
    number,
    text: `DELETE FROM ${table}`,
    kind: "DeleteStmt",
    planned: true,
    estimatedRows: rows,
    topNode: "ModifyTable (Delete)",
    inputNode: "Seq Scan",
    seqScans: [{ schema: "public", name: table, tableRows: rows, large: true }],
  };
}

function utility(number: number, reason = "Vacuum is a utility statement"): StatementPlan {
  return { number, text: "VACUUM events", kind: "VacuumStmt", planned: false, reason };
}

function plan(statements: StatementPlan[]): Extract<PlanResult, { ok: true }> {
  return {
    ok: true,
    statements,
    totalEstimatedRows: statements.reduce((sum, s) => sum + (s.planned ? s.estimatedRows : 0), 0),
    seqScanWarnRows: 100_000,
    plannedAt: PLANNED_AT,
    durationMs: 40,
  };
}

const HEADER =
  "| # | statement | estimated rows | plan | warnings |\n| --- | --- | --- | --- | --- |";

describe("renderPlanSection", () => {
  test("a table with one row per statement, its estimate, its plan and its warnings", () => {
    const section = renderPlanSection(
      plan([
        update(1, 1, "UPDATE users\n   SET status = 'inactive'\n WHERE id = 123"),
        fullDelete(2),
      ]),
    );
    expect(section).toBe(
      [
        "### Plan",
        "",
        "Estimated by EXPLAIN without ANALYZE at 2025-03-04 10:11:12 UTC: nothing was run.",
        "",
        "**2,000,001 estimated rows in total**.",
        "",
        HEADER,
        "| 1 | <code>UPDATE users SET status = 'inactive' WHERE id = 123</code> | 1 | ModifyTable (Update) ← Index Scan |  |",
        "| 2 | <code>DELETE FROM events</code> | 2,000,000 | ModifyTable (Delete) ← Seq Scan | ⚠️ sequential scan of <code>events</code> (2,000,000 rows) |",
        "",
      ].join("\n"),
    );
    expect(problems(section)).toEqual([]);
  });

  test("names the schema unless it is public, and warns only of large scans", () => {
    // A plan whose top node is not a ModifyTable has no input node.
    const statement: StatementPlan = {
      number: 1,
      text: "SELECT * FROM audit.log JOIN small USING (id)",
      kind: "SelectStmt",
      planned: true,
      estimatedRows: 5,
      topNode: "Hash Join",
      seqScans: [
        { schema: "audit", name: "log", tableRows: 150_000, large: true },
        { schema: "public", name: "small", tableRows: 12, large: false },
      ],
    };
    const section = renderPlanSection(plan([statement]));
    expect(section).toContain(
      "| 5 | Hash Join | ⚠️ sequential scan of <code>audit.log</code> (150,000 rows) |",
    );
    expect(section).not.toContain("<code>small</code>");
  });

  test("the total against max_estimated_rows: within, and over in deny and warn mode", () => {
    const small = plan([update(1, 10), update(2, 20)]);
    expect(renderPlanSection(small, judgeEstimate(small, 1_000))).toContain(
      "**30 estimated rows in total**, within the limit of 1,000 (`max_estimated_rows`).",
    );
    const big = plan([update(1, 10), fullDelete(2), fullDelete(3, "orders", 1_500_000)]);
    const judgement = judgeEstimate(big, 1_000_000);
    expect(renderPlanSection(big, judgement, { mode: "deny" })).toContain(
      "**3,500,010 estimated rows in total**, over the limit of 1,000,000 (`max_estimated_rows`): ⛔ the request is denied. Over the limit on their own: statement 2 (2,000,000 rows), statement 3 (1,500,000 rows).",
    );
    const warned = renderPlanSection(big, judgement, { mode: "warn" });
    expect(warned).toContain(
      "over the limit of 1,000,000 (`max_estimated_rows`): ⚠️ a warning; approve only if that many rows is intended.",
    );
    expect(warned).not.toContain("denied");
  });

  test("only the sum over the limit: no statement is named", () => {
    const summed = plan([update(1, 600), update(2, 600)]);
    const section = renderPlanSection(summed, judgeEstimate(summed, 1_000), { mode: "deny" });
    expect(section).toContain(
      "over the limit of 1,000 (`max_estimated_rows`): ⛔ the request is denied.\n",
    );
    expect(section).not.toContain("on their own");
  });

  test("statements without a plan show their reason, and the estimate is incomplete", () => {
    const mixed = plan([
      update(1, 3),
      utility(2),
      utility(3, 'the server could not plan it: relation "gone" does not exist.'),
    ]);
    const section = renderPlanSection(mixed, judgeEstimate(mixed, 1_000));
    expect(section).toContain(
      "| 2 | <code>VACUUM events</code> | — | no plan: Vacuum is a utility statement |  |",
    );
    expect(section).toContain(
      '| 3 | <code>VACUUM events</code> | — | no plan: the server could not plan it: relation "gone" does not exist. |  |',
    );
    expect(section).toContain(
      "**3 estimated rows in total**; the estimate could not be checked against the limit of 1,000 (`max_estimated_rows`): statement(s) 2, 3 could not be planned, so the estimate is incomplete.",
    );
    expect(renderPlanSection(mixed)).toContain(
      "**3 estimated rows in total** (statements without a plan are not counted).",
    );
    expect(problems(section)).toEqual([]);
  });

  test("a malformed estimate is shown as unknown, never as a small number", () => {
    const odd = plan([update(1, Number.NaN), update(2, -5)]);
    const section = renderPlanSection(odd, judgeEstimate(odd, 10));
    expect(section).toContain("| 1 | <code>UPDATE users SET n = 1</code> | unknown |");
    expect(section).toContain("| 2 | <code>UPDATE users SET n = 2</code> | unknown |");
    expect(section).toContain("**an estimate that could not be read**, over the limit of 10");
  });

  test("no plan: the reason, and the request proceeds", () => {
    const unavailable: PlanResult = { ok: false, reason: "connect ECONNREFUSED 10.0.0.5:5432." };
    expect(renderPlanSection(unavailable)).toBe(
      "### Plan\n\nNo plan: connect ECONNREFUSED 10.0.0.5:5432. The request proceeds without one.\n",
    );
    expect(renderPlanSection(unavailable, judgeEstimate(unavailable, 500))).toContain(
      "The request proceeds without one.\n\nThe estimate could not be checked against the limit of 500 (`max_estimated_rows`).\n",
    );
  });

  test("plans switched off, an empty command, an unreadable time", () => {
    expect(renderPlanOffSection()).toBe("### Plan\n\nPlans are switched off for this resource.\n");
    expect(renderPlanSection(plan([]))).toContain("The command has no statement to plan.");
    expect(formatInstant("yesterday")).toBe("an unknown time");
    expect(renderPlanSection({ ...plan([update(1, 1)]), plannedAt: "" })).toContain(
      "Estimated by EXPLAIN without ANALYZE at an unknown time: nothing was run.",
    );
  });

  test("many statements: the table is cut, and what is hidden is still counted and named", () => {
    const statements: StatementPlan[] = Array.from({ length: 300 }, (_, i) =>
      i === 250 ? fullDelete(i + 1) : i === 270 ? utility(i + 1) : update(i + 1, 10),
    );
    const many = plan(statements);
    const section = renderPlanSection(many, judgeEstimate(many, 10_000_000), { mode: "deny" });
    expect(section.length).toBeLessThanOrEqual(PLAN_SECTION_MAX_LENGTH);
    expect(problems(section)).toEqual([]);
    const shown = tableShapes(section)[0] ?? [];
    expect(shown.length).toBeGreaterThan(2);
    expect(shown.every((cells) => cells === 5)).toBe(true);
    const hidden = 300 - (shown.length - 2);
    expect(section).toContain(
      `…and ${hidden} more statements not shown: ${(2_000_000 + (hidden - 2) * 10).toLocaleString("en-US")} estimated rows; ⚠️ sequential scans of large tables in statement 251; no plan for statement 271.`,
    );
    // The total and the verdict are never what gets cut.
    expect(section).toContain(
      "**2,002,980 estimated rows in total**; the estimate could not be checked",
    );
  });

  test("a tight budget keeps the section within it", () => {
    const many = plan(Array.from({ length: 40 }, (_, i) => fullDelete(i + 1, `t${i}`)));
    for (const maxLength of [300, 800, 2_000, 5_000]) {
      const section = renderPlanSection(many, judgeEstimate(many, 1), { maxLength });
      expect(section.length).toBeLessThanOrEqual(maxLength);
      expect(problems(section)).toEqual([]);
    }
  });

  test("hostile statements, reasons and table names stay bounded and inert", () => {
    const hostile = [
      "SELECT '```' AS fence, '|' AS pipe, '<details><summary>x' AS html,",
      "'@alice @acme/dba #12 GH-3 https://evil.example/x' AS refs, '<script>alert(1)</script>',",
      "'[link](javascript:alert(1))' AS md, '\u202Eevil' AS bidi, '\\|' AS escaped",
      "-- " + "x".repeat(100_000),
    ].join("\n");
    const statements: StatementPlan[] = [
      { ...update(1, 7, hostile), topNode: "Seq Scan | <b>@bob</b>", seqScans: [] },
      {
        ...fullDelete(2),
        text: hostile,
        seqScans: [{ schema: "`s|@x`", name: "<details>#1", tableRows: 500_000, large: true }],
      },
      utility(3, `the server said: ${hostile}`),
    ];
    const section = renderPlanSection(plan(statements), judgeEstimate(plan(statements), 1));
    expect(section.length).toBeLessThan(3_000);
    expect(problems(section)).toEqual([]);
    expect(tableShapes(section)).toEqual([[5, 5, 5, 5, 5]]);
    expect(section).not.toMatch(/<(details|script|summary|b)\b/);
    expect(section).not.toContain("```");
    expect(section).not.toContain("\u202E");
    expect(section).toContain(`@${WJ}alice`);
    expect(section).toContain(`<code>\\\`s\\|@${WJ}x\\\`.&lt;details&gt;#${WJ}1</code>`);
    // The excerpt is the statement's start, cut to ~80 characters on one line.
    expect(section).toContain(
      "| 1 | <code>SELECT '\\`\\`\\`' AS fence, '\\|' AS pipe, '&lt;details&gt;&lt;summary&gt;x' AS html, '@",
    );
  });

  test("redacts credentials in reasons and statements before cutting them", () => {
    const redact = credentialRedactor("postgres://app:s3cr3t-pw@db.internal/prod");
    const section = renderPlanSection(
      plan([
        { ...utility(1, "password authentication failed (s3cr3t-pw)"), text: "SELECT 's3cr3t-pw'" },
      ]),
      undefined,
      { redact },
    );
    expect(section).not.toContain("s3cr3t");
    expect(section).toContain(
      "| 1 | <code>SELECT '\\[redacted\\]'</code> | — | no plan: password authentication failed (\\[redacted\\]) |  |",
    );
  });
});

describe("codeExcerpt", () => {
  test("one line, cut, escaped, in a <code> element", () => {
    expect(codeExcerpt("SELECT\n\t1", 80)).toBe("<code>SELECT 1</code>");
    expect(codeExcerpt("SELECT a FROM t WHERE b < 2", 20)).toBe(
      "<code>SELECT a FROM t WHE…</code>",
    );
    expect(codeExcerpt(`SELECT${" ".repeat(5_000)}1`, 80)).toBe("<code>SELECT…</code>");
  });
});

describe("renderDriftMessage", () => {
  const grew: DriftFinding = {
    number: 2,
    text: "DELETE FROM orders WHERE customer = 7",
    before: 120,
    after: 48_000,
    kind: "grew",
  };
  const missing: DriftFinding = {
    number: 3,
    text: "UPDATE gone SET a = 1",
    before: 5,
    after: null,
    kind: "missing",
    reason: 'the server could not plan it: relation "gone" does not exist.',
  };

  test("a statement that grew and one whose table is gone", () => {
    expect(renderDriftMessage([grew, missing], 10)).toBe(
      'The plan changed since approval: statement 2 (<code>DELETE FROM orders WHERE customer = 7</code>) was estimated at 120 rows, now 48,000 (over 10× growth); statement 3 (<code>UPDATE gone SET a = 1</code>): a table it touches no longer exists (the server could not plan it: relation "gone" does not exist). The request is back to pending and approvals are requested again.',
    );
    expect(describeDrift([grew, missing], 10)).toBe(
      'The plan changed since approval: statement 2 was estimated at 120 rows, now 48,000 (over 10× growth); statement 3: a table it touches no longer exists (the server could not plan it: relation "gone" does not exist). The request is back to pending and approvals are requested again.',
    );
  });

  test("no plan at approval, an invalid factor, no findings", () => {
    const unplannedThen: DriftFinding = { ...grew, before: null };
    expect(describeDrift([unplannedThen], Number.NaN)).toContain(
      "statement 2 had no plan at approval and is now estimated at 48,000 rows.",
    );
    expect(describeDrift([grew], 0.5)).toContain("(over 1× growth)");
    expect(describeDrift([], 10)).toBe("The plan has not changed since approval.");
  });

  test("many findings: named up to a bound, the rest counted, the closing always kept", () => {
    const findings = Array.from({ length: 500 }, (_, i) => ({ ...grew, number: i + 1 }));
    const message = renderDriftMessage(findings, 10);
    expect(message).toContain("; and 490 more statements changed. The request is back to pending");
    for (const maxLength of [150, 400, 1_000]) {
      const cut = renderDriftMessage(findings, 10, { maxLength });
      expect(cut.length).toBeLessThanOrEqual(maxLength);
      expect(cut).toContain("The request is back to pending and approvals are requested again.");
      expect(problems(cut)).toEqual([]);
    }
    expect(renderDriftMessage(findings, 10, { maxLength: 150 })).toBe(
      "The plan changed since approval: 500 statements changed. The request is back to pending and approvals are requested again.",
    );
  });

  test("hostile statements and reasons stay inert", () => {
    const text =
      "UPDATE t SET a = '``` <details> @alice #5 | https://x.example'" + "y".repeat(100_000);
    const message = renderDriftMessage(
      [
        { ...grew, text },
        {
          ...missing,
          text,
          reason: `relation "<script>@bob</script>" does not exist\n\n# heading`,
        },
      ],
      10,
    );
    expect(message.length).toBeLessThan(1_000);
    expect(problems(message)).toEqual([]);
    expect(message).not.toMatch(/<(details|script)\b/);
    expect(message).not.toContain("```");
    expect(message).toContain(
      `relation "&lt;script&gt;@${WJ}bob&lt;/script&gt;" does not exist # heading`,
    );
  });
});
