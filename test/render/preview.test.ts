/**
 * The dry-run section of a request PR (issue 16): what it says about the preview target, the
 * real counts and first rows, a failure there, and that hostile output stays bounded and inert.
 */
import { PREVIEW_SECTION_MAX_LENGTH, renderPreviewSection } from "../../src/render/preview.js";
import type { PreviewResult } from "../../src/engines/plan-types.js";
import type { ExecutionOutcome, ResultSet } from "../../src/engines/types.js";
import { credentialRedactor } from "../../src/engines/redact.js";
import { markdownProblems, tableShapes } from "./markdown-check.js";

const WJ = "\u2060";

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
const RAN_AT = "2025-03-04T10:11:13.002Z";

function outcome(overrides: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    status: "succeeded",
    resultSets: [],
    affectedRows: 0,
    durationMs: 52,
    notices: [],
    rolledBack: true,
    ...overrides,
  };
}

function ran(overrides: Partial<ExecutionOutcome> = {}): PreviewResult {
  return { ok: true, ranAt: RAN_AT, outcome: outcome(overrides) };
}

function returning(
  command: string,
  columns: string[],
  rows: (string | null)[][],
  totalRows = rows.length,
): ResultSet {
  return { command, columns, rows, totalRows, affectedRows: totalRows };
}

const UPDATED: ResultSet = {
  command: "UPDATE",
  columns: [],
  rows: [],
  totalRows: 0,
  affectedRows: 3,
};

describe("renderPreviewSection", () => {
  test("says where and when it ran, that nothing was kept, and the real counts and rows", () => {
    const section = renderPreviewSection(
      ran({
        affectedRows: 5,
        resultSets: [
          UPDATED,
          returning(
            "DELETE",
            ["id", "email"],
            [
              ["7", "ada@example.com"],
              ["9", null],
            ],
          ),
        ],
      }),
      { output: "table" },
    );
    expect(section).toBe(
      [
        "### Dry run on the preview target",
        "",
        "Dry run on the preview target at 2025-03-04 10:11:13 UTC, rolled back: nothing was kept.",
        "",
        "✅ It succeeded there in 52 ms: 5 rows affected.",
        "",
        "**Result 1 · UPDATE** · 3 rows affected",
        "",
        "**Result 2 · DELETE** · 2 rows affected · 2 rows returned",
        "",
        "| id | email |",
        "| --- | --- |",
        `| 7 | ada@${WJ}example.com |`,
        "| 9 | *NULL* |",
        "",
      ].join("\n"),
    );
    expect(problems(section)).toEqual([]);
  });

  test("a query's first rows, with how many there were", () => {
    const rows = Array.from({ length: 10 }, (_, i) => [String(i), `name ${i}`]);
    const section = renderPreviewSection(
      ran({
        resultSets: [{ ...returning("SELECT", ["id", "name"], rows, 4_200), affectedRows: null }],
      }),
      { output: "table" },
    );
    expect(section).toContain(
      "**Result 1 · SELECT** · 4,200 rows returned\n\nShowing 10 of 4,200 rows.\n\n| id | name |",
    );
    expect(tableShapes(section)).toEqual([Array(12).fill(2)]);
  });

  test("a failure there: the error, its code and position, after what ran before it", () => {
    const section = renderPreviewSection(
      ran({
        status: "failed",
        affectedRows: 3,
        resultSets: [UPDATED],
        error: {
          message:
            'duplicate key value violates unique constraint "users_email_key"\n```\nDETAIL: x',
          code: "23505",
          position: 1234,
        },
      }),
      { output: "table" },
    );
    expect(section).toContain("❌ It failed there after 52 ms.");
    expect(section).toContain(
      '**Error <code>23505</code> at position 1,234** on the preview target:\n\n````text\nduplicate key value violates unique constraint "users_email_key"\n```\nDETAIL: x\n````',
    );
    expect(section).toContain("**Result 1 · UPDATE** · 3 rows affected");
    expect(section).toContain("rolled back: nothing was kept.");
    expect(problems(section)).toEqual([]);
  });

  test("summary mode withholds rows and the error message; none shows only the outcome", () => {
    const failed = ran({
      status: "failed",
      resultSets: [returning("DELETE", ["email"], [["ada@example.com"]])],
      notices: ["secret notice"],
      error: { message: "Key (email)=(ada@example.com) already exists.", code: "23505" },
    });
    const summary = renderPreviewSection(failed, { output: "summary" });
    expect(summary).not.toContain("ada");
    expect(summary).not.toContain("secret");
    expect(summary).toContain(
      "**Error <code>23505</code>** on the preview target (message withheld: this resource posts summaries only).",
    );
    expect(summary).toContain("**Result 1 · DELETE** · 1 row affected · 1 row returned");
    expect(summary).toContain("1 notice (not shown: this resource posts summaries only).");
    expect(renderPreviewSection(failed, { output: "none" })).toBe(
      "### Dry run on the preview target\n\nDry run on the preview target at 2025-03-04 10:11:13 UTC, rolled back: nothing was kept.\n\n❌ It failed there after 52 ms.\n",
    );
  });

  test("never claims nothing was kept when the engine did not roll back", () => {
    const section = renderPreviewSection(
      ran({ status: "failed", rolledBack: false, error: { message: "connection refused" } }),
      { output: "table" },
    );
    expect(section).not.toContain("nothing was kept");
    expect(section).toContain(
      "Dry run on the preview target at 2025-03-04 10:11:13 UTC. ⚠️ Countersign could not confirm that it was rolled back: if any statement ran, the preview target may have kept its changes.",
    );
  });

  test("no dry run: the reason", () => {
    const refused: PreviewResult = {
      ok: false,
      reason:
        "The preview target is the resource itself; a dry run is only made on a separate copy.",
    };
    expect(renderPreviewSection(refused, { output: "table" })).toBe(
      "### Dry run on the preview target\n\nNo dry run: The preview target is the resource itself; a dry run is only made on a separate copy.\n",
    );
  });

  test("notices in a collapsed list, bounded", () => {
    const notices = Array.from({ length: 30 }, (_, i) => `notice ${i} @carol`);
    const section = renderPreviewSection(ran({ notices }), { output: "table" });
    expect(section).toContain(
      "<details>\n<summary>30 notices</summary>\n\n- notice 0 @\u2060carol",
    );
    expect(section).toContain("- notice 9 @\u2060carol\n- …and 20 more\n\n</details>");
    expect(problems(section)).toEqual([]);
  });

  test("large output is shortened step by step and stays within the budget", () => {
    const wide = Array.from({ length: 40 }, (_, i) => `column_${i}`);
    const rows = Array.from({ length: 10 }, () => wide.map(() => "v".repeat(500)));
    const sets = Array.from({ length: 120 }, () => returning("UPDATE", wide, rows, 10_000));
    const section = renderPreviewSection(ran({ resultSets: sets, affectedRows: 1_200_000 }), {
      output: "table",
    });
    expect(section.length).toBeLessThanOrEqual(PREVIEW_SECTION_MAX_LENGTH);
    expect(problems(section)).toEqual([]);
    expect(section).toContain("✅ It succeeded there in 52 ms: 1,200,000 rows affected.");
    expect(section).toMatch(/…and \d+ more result sets not listed\./);
    expect(section).toContain("<sub>Shortened to fit the pull request.</sub>");
    for (const maxLength of [200, 600, 3_000]) {
      const cut = renderPreviewSection(ran({ resultSets: sets }), { output: "table", maxLength });
      expect(cut.length).toBeLessThanOrEqual(maxLength);
      expect(problems(cut)).toEqual([]);
    }
  });

  test("hostile cells, column names, commands and errors stay bounded and inert", () => {
    const hostile =
      "```\n</details><details><summary>@alice</summary>|x|\n<script>alert(1)</script> #12 https://evil.example [a](javascript:x) \u202Eevil";
    const section = renderPreviewSection(
      ran({
        status: "failed",
        resultSets: [
          returning(
            `DELETE ${hostile}`,
            [hostile, "b|c"],
            [
              [hostile, "y".repeat(100_000)],
              ["short"], // a ragged row
            ],
          ),
        ],
        notices: [hostile],
        error: { message: hostile + "z".repeat(100_000), code: hostile },
      }),
      { output: "table" },
    );
    expect(section.length).toBeLessThan(6_000);
    expect(problems(section)).toEqual([]);
    expect(tableShapes(section)).toEqual([[2, 2, 2, 2]]);
    // Raw only inside the error's code fence, which is one backtick longer than any run in it.
    const outsideFence = section.replace(/^(`{4,})text\n[\s\S]*?\n\1$/m, "");
    expect(outsideFence).toContain("**Result 1 · DELETE");
    expect(outsideFence).not.toMatch(/<(script|summary>@|\/details><details)/);
    expect(section).not.toContain("\u202E");
    expect(section).toContain(`@${WJ}alice`);
    expect(section).toContain("| short |  |");
    // The only <details> is the notices list this renderer opened, and it is closed.
    expect(outsideFence.match(/<details>/g)).toHaveLength(1);
    expect(outsideFence.match(/<\/details>/g)).toHaveLength(1);
  });

  test("redacts credentials in cells and errors before cutting them", () => {
    const redact = credentialRedactor("postgres://app:s3cr3t-pw@preview.internal/copy");
    const section = renderPreviewSection(
      ran({
        status: "failed",
        resultSets: [returning("SELECT", ["dsn"], [["postgres://app:s3cr3t-pw@x"]])],
        error: { message: "password authentication failed: s3cr3t-pw" },
      }),
      { output: "table", redact },
    );
    expect(section).not.toContain("s3cr3t");
    expect(section).toContain("password authentication failed: [redacted]");
  });
});
