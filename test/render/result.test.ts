import {
  MAX_COMMENT_LENGTH,
  renderResultComment,
  type ExecutionOutcome,
  type ResultSet,
  type ResultView,
} from "../../src/render/result.js";
import { markdownProblems, tableShapes } from "./markdown-check.js";
import { outputDigest } from "../../src/render/output-digest.js";
import { MAX_CELL_CHARS, ResultSetBuilder } from "../../src/engines/result-set-builder.js";
import { credentialRedactor } from "../../src/engines/redact.js";
import { escapeInline, neutralizeReferences } from "../../src/render/escape.js";

const WJ = "\u2060";
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function outcome(overrides: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    status: "succeeded",
    resultSets: [],
    affectedRows: 0,
    durationMs: 35,
    notices: [],
    rolledBack: false,
    ...overrides,
  };
}

function view(overrides: Partial<ResultView> = {}, result: Partial<ExecutionOutcome> = {}) {
  const base: ResultView = {
    requestId: 42,
    resource: "prod-db",
    requester: "alice",
    output: "table",
    outcome: outcome(result),
    approvedBy: ["bob (dba)", "carol (security)"],
  };
  return { ...base, ...overrides };
}

function select(columns: string[], rows: (string | null)[][], totalRows = rows.length): ResultSet {
  return { columns, rows, totalRows, command: "SELECT", affectedRows: null };
}

/** Every comment must fit and be well-formed, whatever went in. */
function expectValid(comment: string, maxLength = MAX_COMMENT_LENGTH): void {
  expect(comment.length).toBeLessThanOrEqual(maxLength);
  expect(markdownProblems(comment)).toEqual([]);
}

describe("table output", () => {
  test("renders a table, counts, duration and approvals", () => {
    const comment = renderResultComment(
      view(
        {},
        {
          affectedRows: 1,
          resultSets: [
            select(
              ["id", "name"],
              [
                ["1", "Ada"],
                ["2", null],
              ],
              2,
            ),
            { columns: [], rows: [], totalRows: 0, command: "UPDATE", affectedRows: 1 },
          ],
        },
      ),
    );
    expectValid(comment);
    expect(comment).toContain("### ✅ Succeeded on `prod-db`");
    expect(comment).toContain("Request 42 · requested by alice · approved by bob (dba), carol");
    expect(comment).toContain("**1 row affected** · 35 ms");
    expect(comment).toContain("**Result 1 · SELECT** · 2 rows\n\n| id | name |\n| --- | --- |");
    expect(comment).toContain("| 1 | Ada |\n| 2 | *NULL* |");
    expect(comment).toContain("**Result 2 · UPDATE** · 1 row affected");
    expect(comment).not.toContain("Showing");
    expect(comment).not.toContain("<details>");
  });

  test("NULL is italic, the string 'NULL' is not", () => {
    const comment = renderResultComment(
      view({}, { resultSets: [select(["v"], [[null], ["NULL"]])] }),
    );
    expect(comment).toContain("| *NULL* |\n| NULL |");
  });

  test("summarises rows and columns beyond the shown ones", () => {
    const columns = Array.from({ length: 42 }, (_, i) => `c${i}`);
    const rows = Array.from({ length: 1000 }, (_, r) => columns.map((_, c) => `${r}.${c}`));
    const comment = renderResultComment(
      view({}, { resultSets: [select(columns, rows, 1_000_000)] }),
    );
    expectValid(comment);
    expect(comment).toContain("Showing 50 of 1,000,000 rows.");
    expect(comment).toContain("12 more columns not shown.");
    expect(tableShapes(comment)).toEqual([Array(52).fill(30)]);
    expect(comment).not.toContain("shortened");
  });

  test("cuts long cells to 200 characters with an ellipsis", () => {
    const comment = renderResultComment(
      view({}, { resultSets: [select(["v"], [["x".repeat(500)]])] }),
    );
    expect(comment).toContain(`| ${"x".repeat(199)}… |`);
  });

  test("a hostile cell renders inert", () => {
    const hostile = "a|b `c` <script>alert(1)</script> @alice #12 acme/repo#3\nnext **x** [l](u)";
    const comment = renderResultComment(
      view({}, { resultSets: [select(["<img src=x>", "@bob"], [[hostile, "# h"]])] }),
    );
    expectValid(comment);
    expect(comment).toContain(
      `| a\\|b \\\`c\\\` &lt;script&gt;alert(1)&lt;/script&gt; @${WJ}alice #${WJ}12 ` +
        `acme/repo#${WJ}3<br>next \\*\\*x\\*\\* \\[l\\](u) | \\# h |`,
    );
    expect(comment).toContain(`| &lt;img src=x&gt; | @${WJ}bob |`);
    expect(tableShapes(comment)).toEqual([[2, 2, 2]]);
  });

  test("a cell trying to close the table or open a fence stays inside its cell", () => {
    const comment = renderResultComment(
      view({}, { resultSets: [select(["a", "b"], [["x\n\n```\n| y | z |", "<details>"]])] }),
    );
    expectValid(comment);
    expect(tableShapes(comment)).toEqual([[2, 2, 2]]);
    expect(comment).toContain("| x<br><br>\\`\\`\\`<br>\\| y \\| z \\| | &lt;details&gt; |");
  });

  test("notices go in a collapsed <details>, escaped", () => {
    const comment = renderResultComment(
      view({}, { notices: ["ping @team and @org/admins", "see #7\nand <b>"] }),
    );
    expectValid(comment);
    expect(comment).toContain(
      "<details>\n<summary>2 notices</summary>\n\n" +
        `- ping @${WJ}team and @${WJ}org/admins\n- see #${WJ}7<br>and &lt;b&gt;\n\n</details>`,
    );
  });

  test("the requester, approvers, resource and grant are escaped too", () => {
    const comment = renderResultComment(
      view({
        requester: "@mallory",
        resource: "db`x",
        approvedBy: ["<b>bob</b> (dba)"],
        grant: "JIT #9 for @eve",
      }),
    );
    expectValid(comment);
    expect(comment).toContain("on ``db`x``");
    expect(comment).toContain(`requested by @${WJ}mallory`);
    expect(comment).toContain("approved by &lt;b&gt;bob&lt;/b&gt; (dba)");
    expect(comment).toContain(`under grant JIT #${WJ}9 for @${WJ}eve`);
  });
});

describe("errors", () => {
  const error = { message: 'relation "missing" does not exist', code: "42P01", position: 15 };

  test("shows message, code and position, and the rollback", () => {
    const comment = renderResultComment(
      view({}, { status: "failed", rolledBack: true, error, durationMs: 1234 }),
    );
    expectValid(comment);
    expect(comment).toContain("### ❌ Failed on `prod-db`");
    expect(comment).toContain("**0 rows affected** · 1.23 s · **rolled back**");
    expect(comment).toContain("**Error `42P01` at position 15**");
    expect(comment).toContain('```text\nrelation "missing" does not exist\n```');
  });

  test("without code or position", () => {
    const comment = renderResultComment(view({}, { status: "failed", error: { message: "boom" } }));
    expect(comment).toContain("**Error**\n\n```text\nboom\n```");
  });

  test("a message containing fences and mentions cannot escape its block", () => {
    const message = "syntax error at ```\n</details>\n@alice\n````";
    const comment = renderResultComment(view({}, { status: "failed", error: { message } }));
    expectValid(comment);
    expect(comment).toContain(
      `\`\`\`\`\`text\nsyntax error at \`\`\`\n</details>\n@${WJ}alice\n\`\`\`\`\n\`\`\`\`\``,
    );
  });

  test("partial result sets before the failure are still shown", () => {
    const comment = renderResultComment(
      view({}, { status: "failed", error, resultSets: [select(["a"], [["1"]])] }),
    );
    expectValid(comment);
    expect(comment).toContain("| 1 |");
  });
});

describe("summary and none modes show no data", () => {
  const secret = "SECRET-VALUE";
  const data = outcome({
    status: "failed",
    rolledBack: true,
    affectedRows: 3,
    durationMs: 250,
    notices: [`notice ${secret}`, "another"],
    error: { message: `duplicate key (email)=(${secret})`, code: "23505", position: 3 },
    resultSets: [
      select([`col_${secret}`, "b"], [[secret, null]], 1500),
      { columns: [], rows: [], totalRows: 0, command: "UPDATE", affectedRows: 3 },
    ],
  });

  test("summary: counts only", () => {
    const comment = renderResultComment(view({ output: "summary", outcome: data }));
    expectValid(comment);
    expect(comment).not.toContain(secret);
    expect(comment).not.toContain("|");
    expect(comment).not.toContain("<details>");
    expect(comment).toContain("**3 rows affected** · 250 ms · **rolled back**");
    expect(comment).toContain("**Result 1 · SELECT** · 1,500 rows · 2 columns");
    expect(comment).toContain("**Result 2 · UPDATE** · 3 rows affected");
    expect(comment).toContain("2 notices (not shown");
    expect(comment).toContain("**Error `23505` at position 3** (message withheld");
  });

  test("none: one status line", () => {
    const comment = renderResultComment(view({ output: "none", outcome: data }));
    expect(comment).toBe("❌ Request 42 on `prod-db` failed and was rolled back in 250 ms.\n");
    const ok = renderResultComment(view({ output: "none" }, { affectedRows: 5 }));
    expect(ok).toBe("✅ Request 42 on `prod-db` succeeded in 35 ms.\n");
  });
});

describe("the 65,536-character limit", () => {
  // One 5 KB cell full of characters that grow when escaped, multi-byte text and mentions.
  const bigCell = "|&<@x#1`\n".repeat(200) + "é😀漢👩‍👩‍👧‍👦e\u0301".repeat(300);

  test("1,000 rows × 300 columns of 5 KB cells", () => {
    const columns = Array.from({ length: 300 }, (_, i) => `column_${i}_${"n".repeat(100)}`);
    const row = columns.map((_, i) => (i % 7 === 0 ? null : bigCell));
    const rows = Array.from({ length: 1000 }, () => row);
    const comment = renderResultComment(
      view({}, { resultSets: [select(columns, rows, 5_000_000)], notices: [bigCell] }),
    );
    expectValid(comment);
    const shapes = tableShapes(comment);
    expect(shapes).toHaveLength(1);
    const [shape = []] = shapes;
    expect(shape.length).toBeGreaterThanOrEqual(3);
    expect(new Set(shape).size).toBe(1);
    expect(comment).toMatch(/Showing \d+ of 5,000,000 rows\./);
    expect(comment).toMatch(/\d+ more columns not shown\./);
    expect(comment).toContain("Output shortened to fit GitHub's 65,536-character comment limit.");
  });

  test("many result sets, huge notices and a huge error", () => {
    const sets = Array.from({ length: 500 }, (_, i) =>
      select(
        ["a", "b", "c"],
        Array.from({ length: 100 }, () => [bigCell, null, `${i}`]),
        100,
      ),
    );
    const comment = renderResultComment(
      view(
        {},
        {
          status: "failed",
          resultSets: sets,
          notices: Array.from({ length: 5000 }, () => bigCell),
          error: { message: "```\n".repeat(50_000), code: "X".repeat(10_000), position: 1 },
        },
      ),
    );
    expectValid(comment);
    expect(comment).toMatch(/more result sets not listed/);
  });

  test("notices that do not fit are counted, not listed", () => {
    const comment = renderResultComment(
      view({}, { notices: ["a".repeat(400), "b".repeat(400), "c"], status: "failed" }),
      { maxLength: 400 },
    );
    expectValid(comment, 400);
    expect(comment).toContain("3 notices (not shown: too long for one comment).");
    expect(comment).not.toContain("<details>");
  });

  test("enormous names and approver lists", () => {
    const comment = renderResultComment(
      view({
        resource: "r".repeat(100_000),
        requester: "@".repeat(100_000),
        approvedBy: Array.from({ length: 10_000 }, (_, i) => `user${i} (team)`),
        grant: "<".repeat(100_000),
      }),
    );
    expectValid(comment);
  });

  test("multi-byte text at every cut point never leaves a lone surrogate", () => {
    const texts = ["😀", "👍🏽", "🇫🇷", "漢字", "e\u0301\u0302", "\uD83D"];
    for (const text of texts) {
      const cell = `a${text.repeat(400)}`;
      for (let maxLength = 300; maxLength < 3000; maxLength += 173) {
        const comment = renderResultComment(
          view(
            {},
            {
              resultSets: [
                select(
                  ["v", "w"],
                  Array.from({ length: 60 }, () => [cell, cell]),
                ),
              ],
              notices: [cell],
              error: { message: cell },
              status: "failed",
            },
          ),
          { maxLength },
        );
        expect(comment).not.toMatch(LONE_SURROGATE);
        expectValid(comment, maxLength);
      }
    }
  });

  test("when even the smallest rendering does not fit, it is cut with a note and stays valid", () => {
    const message = "x".repeat(150) + "\n" + "y".repeat(150);
    let truncated = 0;
    for (let maxLength = 200; maxLength < 1200; maxLength += 41) {
      const comment = renderResultComment(
        view(
          { approvedBy: Array.from({ length: 50 }, () => "someone (team)") },
          { status: "failed", error: { message }, resultSets: [select(["a"], [["1"]])] },
        ),
        { maxLength },
      );
      expectValid(comment, maxLength);
      if (comment.includes("Output truncated")) {
        truncated += 1;
        expect(
          comment
            .trimEnd()
            .endsWith(`${maxLength.toLocaleString("en-US")}-character comment limit.`),
        ).toBe(true);
      }
    }
    expect(truncated).toBeGreaterThan(5);
  });
});

describe("outputDigest", () => {
  const base = () =>
    view(
      {},
      {
        affectedRows: 2,
        notices: ["n1"],
        resultSets: [
          select(
            ["a", "b"],
            [
              ["1", null],
              ["2", "x"],
            ],
            10,
          ),
        ],
      },
    );

  test("is a SHA-256 hex digest, stable for equal input", () => {
    const digest = outputDigest(base().outcome);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(outputDigest(structuredClone(base()).outcome)).toBe(digest);
  });

  test("ignores duration and presentation, not content", () => {
    const digest = outputDigest(base().outcome);
    const same = base();
    same.outcome.durationMs = 99_999;
    same.output = "summary";
    expect(outputDigest(same.outcome)).toBe(digest);

    const changes: ((v: ResultView) => void)[] = [
      (v) => (v.outcome.resultSets[0]!.rows[0]![1] = "NULL"),
      (v) => (v.outcome.resultSets[0]!.rows[1]![1] = "y"),
      (v) => (v.outcome.resultSets[0]!.columns[0] = "A"),
      (v) => (v.outcome.resultSets[0]!.totalRows = 11),
      (v) => (v.outcome.notices = ["n2"]),
      (v) => (v.outcome.notices = []),
      (v) => (v.outcome.affectedRows = 3),
      (v) => (v.outcome.status = "failed"),
      (v) => (v.outcome.error = { message: "boom" }),
      (v) => (v.outcome.resultSets = []),
      // Moving a value between cells must change the digest.
      (v) => (v.outcome.resultSets[0]!.rows = [["1", null, "2", "x"]]),
    ];
    const digests = new Set([digest]);
    for (const change of changes) {
      const changed = base();
      change(changed);
      digests.add(outputDigest(changed.outcome));
    }
    expect(digests.size).toBe(changes.length + 1);
  });
});

describe("credentials never reach the comment (issue 12, class 9)", () => {
  // A password using every character the Markdown escaping changes, and `@`, which the
  // mention breaker changes: escaped first, it would no longer match the redaction.
  const PASSWORD = "s3_cr$t|p`w@x_y";
  const USER = "svc_app";
  const URL = `postgres://${USER}:${encodeURIComponent(PASSWORD)}@db.internal:5432/prod`;
  const redact = credentialRedactor(URL);

  /** The comment with escapes, word joiners and entities undone: what a reader sees. */
  function asRead(comment: string): string {
    return comment
      .replace(/\u2060/g, "")
      .replace(/\\(.)/g, "$1")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  }

  function expectNoPassword(comment: string): void {
    for (const form of [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      escapeInline(PASSWORD),
      neutralizeReferences(PASSWORD),
    ]) {
      expect(comment).not.toContain(form);
    }
    expect(asRead(comment)).not.toContain(PASSWORD);
    // Not even the part a cut could leave behind.
    expect(asRead(comment)).not.toContain(PASSWORD.slice(0, 8));
  }

  function leaky(): ResultView {
    return view(
      {},
      {
        status: "failed",
        rolledBack: true,
        resultSets: [
          select(
            ["id", `col_${PASSWORD}`, "url"],
            [
              ["1", `the password is ${PASSWORD}.`, URL],
              ["2", `${PASSWORD}${PASSWORD}`, `mssql://sa:${PASSWORD}@other:1433/db`],
              // The password straddles the 200-character cut of the first render.
              ["3", `${"x".repeat(195)}${PASSWORD}`, null],
            ],
          ),
        ],
        notices: [`NOTICE: connecting with ${PASSWORD}`, `WARNING: user ${USER} said hi`],
        error: { message: `could not connect to ${URL}: Password=${PASSWORD};`, code: "28P01" },
      },
    );
  }

  test("cells, column names, notices and errors are scrubbed before escaping", () => {
    const comment = renderResultComment(leaky(), { redact });
    expectNoPassword(comment);
    expect(comment).not.toMatch(new RegExp(`(?<![A-Za-z0-9_$])${USER}(?![A-Za-z0-9_$])`));
    expect(comment).toContain("\\[redacted\\]");
    expectValid(comment);
  });

  test("without scrubbing first, escaping would hide the password from a scrub of the comment", () => {
    // The failure mode the renderer's redact option exists for: this is what a scrub after
    // rendering (the old way) lets through.
    const late = redact(renderResultComment(leaky()));
    expect(asRead(late)).toContain(PASSWORD);
  });

  test("summary and none modes scrub too", () => {
    for (const output of ["summary", "none"] as const) {
      const comment = renderResultComment({ ...leaky(), output }, { redact });
      expectNoPassword(comment);
    }
  });

  test("huge output full of short secrets stays within 65,536 characters after scrubbing", () => {
    // A 2-character password becomes the 10-character `[redacted]`: scrubbing after measuring
    // would grow the comment five-fold.
    const shortUrl = "postgres://u1:pw@db/x";
    const scrub = credentialRedactor(shortUrl);
    const cell = "pw".repeat(500);
    const sets = Array.from({ length: 4 }, () =>
      select(
        Array.from({ length: 12 }, (_, i) => `pw${i}`),
        Array.from({ length: 60 }, () => Array.from({ length: 12 }, () => cell)),
        1_000_000,
      ),
    );
    const comment = renderResultComment(
      view(
        {},
        {
          resultSets: sets,
          notices: Array.from({ length: 100 }, () => "pw".repeat(1_000)),
          error: { message: "pw".repeat(20_000) },
        },
      ),
      { redact: scrub },
    );
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(comment).not.toContain("pw");
    expectValid(comment);
  });

  test("a scrub that grows the finished comment is cut again to the limit", () => {
    // Template text itself matches here, so only the final pass can see it.
    const growing = (text: string) => text.replace(/Result/g, "R".repeat(2_000));
    const sets = Array.from({ length: 100 }, () => select(["a"], [["1"]]));
    const comment = renderResultComment(view({}, { resultSets: sets }), { redact: growing });
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(growing(comment)).toBe(comment);
  });

  test("the engines' builder scrubs column names and cells before cutting them", () => {
    const builder = new ResultSetBuilder([`c_${PASSWORD}`], 5, redact);
    builder.add([`${"y".repeat(MAX_CELL_CHARS - 3)}${PASSWORD}`]);
    const set = builder.finish("SELECT", null);
    expect(JSON.stringify(set)).not.toContain(PASSWORD.slice(0, 4));
  });
});
