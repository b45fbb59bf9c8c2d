import fc from "fast-check";
import {
  MASKED,
  NO_MASK,
  maskOutcome,
  masksAnything,
  mergeMaskConfigs,
  validateMaskConfig,
  type MaskConfig,
  type MaskPatternName,
} from "../../src/render/mask.js";
import type { ExecutionOutcome, ResultSet } from "../../src/engines/types.js";

function outcome(overrides: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    status: "succeeded",
    resultSets: [],
    affectedRows: 0,
    durationMs: 12,
    notices: [],
    rolledBack: false,
    ...overrides,
  };
}

function select(columns: string[], rows: (string | null)[][]): ResultSet {
  return { columns, rows, totalRows: rows.length, command: "SELECT", affectedRows: null };
}

function config(columns: string[], patterns: MaskPatternName[] = []): MaskConfig {
  return { columns, patterns };
}

/** Masks each text as one cell of a one-column result set with one pattern on. */
function maskCells(pattern: MaskPatternName, cells: string[]) {
  const result = maskOutcome(
    outcome({
      resultSets: [
        select(
          ["note"],
          cells.map((cell) => [cell]),
        ),
      ],
    }),
    config([], [pattern]),
  );
  return { cells: result.outcome.resultSets[0]?.rows.map((row) => row[0]), report: result.report };
}

/** [input, expected]: every pattern's positive and negative cases. */
const CASES: Record<MaskPatternName, [string, string][]> = {
  email: [
    ["alice@example.com", "[masked:email]"],
    ["Contact: Bob.Smith+tag@mail.example.co.uk, thanks", "Contact: [masked:email], thanks"],
    ["<x_y@sub-domain.example.org>", "<[masked:email]>"],
    ["jörg@bücher.de", "[masked:email]"],
    ['{"to":"a@b.io","cc":"c@d.io"}', '{"to":"[masked:email]","cc":"[masked:email]"}'],
    ["a@b.com.123", "[masked:email].123"],
    ["...dots@example.com", "...[masked:email]"],
    ["@alice said hi", "@alice said hi"],
    ["root@localhost", "root@localhost"],
    ["postgres@10.0.0.1", "postgres@10.0.0.1"],
    ["a@b.c", "a@b.c"],
    ["dangling foo@ and @bar", "dangling foo@ and @bar"],
    ["x@@y.com", "x@@y.com"],
  ],
  card: [
    ["4111111111111111", "[masked:card]"],
    ["4111 1111 1111 1111", "[masked:card]"],
    ["5555-5555-5555-4444", "[masked:card]"],
    ["Amex 3782 822463 10005 on file", "Amex [masked:card] on file"],
    ["4222222222222", "[masked:card]"],
    ["6304000000000000000", "[masked:card]"],
    ["card 6011111111111117, exp 12/25", "card [masked:card], exp 12/25"],
    // Luhn fails: not a card.
    ["4111111111111112", "4111111111111112"],
    ["4111 1111 1111 1112", "4111 1111 1111 1112"],
    ["1111111111111111", "1111111111111111"],
    // Passes Luhn but 20 digits; and a card inside a longer run of digits.
    ["10041111111111111111", "10041111111111111111"],
    ["41111111111111111111111", "41111111111111111111111"],
    // Two dates whose 16 digits pass Luhn: groups of two are never a card.
    ["2024-01-01 2024-01-03", "2024-01-01 2024-01-03"],
    ["amount 12345678901.50", "amount 12345678901.50"],
  ],
  iban: [
    ["DE89 3704 0044 0532 0130 00", "[masked:iban]"],
    ["DE89370400440532013000", "[masked:iban]"],
    ["gb82west12345698765432", "[masked:iban]"],
    ["IBAN: GB82 WEST 1234 5698 7654 32.", "IBAN: [masked:iban]."],
    ["DE89 3704 0044 0532 0130 00 EUR", "[masked:iban] EUR"],
    ["NO9386011117947", "[masked:iban]"],
    ["MT84MALT011000012345MTLCAST001S", "[masked:iban]"],
    // Check digits wrong.
    ["DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01"],
    ["DE88370400440532013000", "DE88370400440532013000"],
    // Glued to a letter on either side.
    ["XDE89370400440532013000", "XDE89370400440532013000"],
    ["DE89370400440532013000X", "DE89370400440532013000X"],
    ["SKU AB12CDEF3456", "SKU AB12CDEF3456"],
  ],
  phone: [
    ["+14155552671", "[masked:phone]"],
    ["+44 20 7946 0958", "[masked:phone]"],
    ["+44 (0)20 7946 0958", "[masked:phone]"],
    ["+1 (415) 555-2671", "[masked:phone]"],
    ["+49-30-1234567", "[masked:phone]"],
    ["+33.1.23.45.67.89", "[masked:phone]"],
    ["(415) 555-2671", "[masked:phone]"],
    ["(415)555-2671", "[masked:phone]"],
    ["415-555-2671", "[masked:phone]"],
    ["415.555.2671", "[masked:phone]"],
    ["415 555 2671", "[masked:phone]"],
    ["1-800-555-0199", "[masked:phone]"],
    ["call 415-555-2671 after 5pm.", "call [masked:phone] after 5pm."],
    ["+44 20 7946 0958 1234 5678", "[masked:phone] 1234 5678"],
    // Dates, times, order numbers and other numbers.
    ["2024-01-15", "2024-01-15"],
    ["2024-01-15 10:30:00+02:00", "2024-01-15 10:30:00+02:00"],
    ["15.01.2024", "15.01.2024"],
    ["ORD-2024-000123", "ORD-2024-000123"],
    ["order 4155552671 shipped", "order 4155552671 shipped"],
    ["123-456-7890", "123-456-7890"],
    ["INV-555-123-4567", "INV-555-123-4567"],
    ["7-415-555-2671", "7-415-555-2671"],
    ["415-555-2671-99", "415-555-2671-99"],
    ["415-555.2671", "415-555.2671"],
    ["192.168.100.200", "192.168.100.200"],
    ["+12345.67", "+12345.67"],
    ["+123456", "+123456"],
    ["+1234567890123456", "+1234567890123456"],
    ["x+14155552671", "x+14155552671"],
    ["+14155552671abc", "+14155552671abc"],
  ],
};

describe("value patterns over a result set", () => {
  for (const pattern of Object.keys(CASES) as MaskPatternName[]) {
    test(`${pattern}: matches masked, the rest kept, and counted`, () => {
      const cases = CASES[pattern];
      const { cells, report } = maskCells(
        pattern,
        cases.map(([input]) => input),
      );
      expect(cells).toEqual(cases.map(([, expected]) => expected));
      const changed = cases.filter(([input, expected]) => input !== expected).length;
      expect(report.cells).toBe(changed);
      expect(report.byReason[pattern]).toBe(changed);
    });
  }

  test("every pattern at once over a table", () => {
    const set = select(
      ["id", "contact", "payment", "comment"],
      [
        ["1", "alice@example.com", "4111 1111 1111 1111", "call +44 20 7946 0958"],
        ["2", "(415) 555-2671", "DE89 3704 0044 0532 0130 00", "order ORD-2024-000123"],
        ["3", null, "4111 1111 1111 1112", "mail bob@example.org or 415.555.2671"],
      ],
    );
    const { outcome: masked, report } = maskOutcome(
      outcome({ resultSets: [set] }),
      config([], ["email", "card", "iban", "phone"]),
    );
    expect(masked.resultSets[0]?.rows).toEqual([
      ["1", "[masked:email]", "[masked:card]", "call [masked:phone]"],
      ["2", "[masked:phone]", "[masked:iban]", "order ORD-2024-000123"],
      ["3", null, "4111 1111 1111 1112", "mail [masked:email] or [masked:phone]"],
    ]);
    expect(report.cells).toBe(6);
    expect(report.byReason).toEqual({ column: 0, email: 2, card: 1, iban: 1, phone: 3 });
  });

  test("a pattern that is not configured is not applied", () => {
    const { outcome: masked, report } = maskOutcome(
      outcome({ resultSets: [select(["a"], [["alice@example.com 4111111111111111"]])] }),
      config([], ["card"]),
    );
    expect(masked.resultSets[0]?.rows).toEqual([["alice@example.com [masked:card]"]]);
    expect(report.byReason.email).toBe(0);
  });

  test("overlapping matches of two patterns are masked once, as [masked]", () => {
    // 13 digits passing Luhn after a `+`: both a card and an international phone number.
    const { outcome: masked, report } = maskOutcome(
      outcome({ resultSets: [select(["a"], [["tel +4222222222222 ok"]])] }),
      config([], ["card", "phone"]),
    );
    expect(masked.resultSets[0]?.rows).toEqual([[`tel ${MASKED} ok`]]);
    expect(report.cells).toBe(1);
    expect(report.byReason).toMatchObject({ card: 1, phone: 1 });
  });

  test("a card among neighbouring numbers is masked whole, with any group that completes one", () => {
    const { cells } = maskCells("card", [
      "total 100 4111 1111 1111 1111 paid",
      // `1111 1111 1111 2024` passes the Luhn check too: masking more never shows a card.
      "4111 1111 1111 1111 2024",
    ]);
    expect(cells).toEqual(["total 100 [masked:card] paid", "[masked:card]"]);
  });
});

describe("column globs", () => {
  const columns = [
    "id",
    "Email",
    "password",
    "SSN",
    "card_number",
    "card",
    "user_email",
    "u.password",
    "notes",
  ];
  const row = columns.map((column) => `value of ${column}`);

  function maskedColumns(globs: string[], names = columns, cells = row): string[] {
    const { outcome: masked } = maskOutcome(
      outcome({ resultSets: [select(names, [cells])] }),
      config(globs),
    );
    const out = masked.resultSets[0]?.rows[0] ?? [];
    return names.filter((_, index) => out[index] === MASKED);
  }

  test("names and globs, case-insensitive; *.password reads the part after the last dot", () => {
    expect(maskedColumns(["email", "*.password", "ssn", "card_*"])).toEqual([
      "Email",
      "password",
      "SSN",
      "card_number",
      "u.password",
    ]);
  });

  test("a qualified name masks that column from any table, and qualified column names", () => {
    expect(maskedColumns(["users.email"], ["email", "u.email", "email_sent"])).toEqual([
      "email",
      "u.email",
    ]);
  });

  test("wildcards at either end or inside; $ is literal", () => {
    const names = ["passwd", "password_hash", "bypass", "api_token", "token", "amount$usd"];
    expect(maskedColumns(["pass*"], names)).toEqual(["passwd", "password_hash"]);
    expect(maskedColumns(["*_token"], names)).toEqual(["api_token"]);
    expect(maskedColumns(["*token*"], names)).toEqual(["api_token", "token"]);
    expect(maskedColumns(["amount$usd"], names)).toEqual(["amount$usd"]);
    expect(maskedColumns(["a*d"], names)).toEqual(["amount$usd"]);
  });

  test("a glob whose last part is * masks every column", () => {
    expect(maskedColumns(["users.*"])).toEqual(columns);
  });

  test("a masked cell is replaced whole; NULL stays NULL and is not counted", () => {
    const set = select(
      ["id", "email"],
      [
        ["1", "alice@example.com"],
        ["2", null],
        ["3", ""],
        ["4", "not an address at all"],
      ],
    );
    const { outcome: masked, report } = maskOutcome(
      outcome({ resultSets: [set] }),
      config(["email"]),
    );
    expect(masked.resultSets[0]?.rows).toEqual([
      ["1", MASKED],
      ["2", null],
      ["3", MASKED],
      ["4", MASKED],
    ]);
    expect(report.cells).toBe(3);
    expect(report.byReason.column).toBe(3);
  });

  test("a masked column is not also counted under a pattern", () => {
    const set = select(["email", "other"], [["alice@example.com", "bob@example.com"]]);
    const { outcome: masked, report } = maskOutcome(
      outcome({ resultSets: [set] }),
      config(["email"], ["email"]),
    );
    expect(masked.resultSets[0]?.rows).toEqual([[MASKED, "[masked:email]"]]);
    expect(report).toMatchObject({ cells: 2, byReason: { column: 1, email: 1 } });
  });

  test("cells past the last column are masked when any column is (fail closed)", () => {
    const ragged = select(["id"], [["1", "secret"]]);
    const { outcome: masked } = maskOutcome(outcome({ resultSets: [ragged] }), config(["email"]));
    expect(masked.resultSets[0]?.rows).toEqual([["1", MASKED]]);
  });
});

describe("notices, error, column names and the report", () => {
  const failed = outcome({
    status: "failed",
    rolledBack: true,
    notices: ["row for alice@example.com skipped", "nothing here", "call +1 (415) 555-2671"],
    error: {
      message: "duplicate key value violates unique constraint: (email)=(bob@example.com)",
      code: "23505",
      position: 7,
    },
    resultSets: [
      select(["id", "alice@example.com"], [["1", "4111 1111 1111 1111"]]),
      { command: "UPDATE", columns: [], rows: [], totalRows: 0, affectedRows: 3 },
    ],
    affectedRows: 3,
  });

  test("notices and the error message are masked with the patterns, codes kept", () => {
    // No column masked: a quoted value is left to the patterns (mask-echo.test.ts has the rest).
    const { outcome: masked, report } = maskOutcome(failed, config([], ["email", "phone", "card"]));
    expect(masked.notices).toEqual([
      "row for [masked:email] skipped",
      "nothing here",
      "call [masked:phone]",
    ]);
    expect(masked.error).toEqual({
      message: "duplicate key value violates unique constraint: (email)=([masked:email])",
      code: "23505",
      position: 7,
    });
    expect(masked.resultSets[0]?.columns).toEqual(["id", "[masked:email]"]);
    expect(masked.resultSets[0]?.rows).toEqual([["1", "[masked:card]"]]);
    expect(masked.resultSets[1]).toEqual(failed.resultSets[1]);
    expect(report).toEqual({
      cells: 1,
      byReason: { column: 0, email: 0, card: 1, iban: 0, phone: 0 },
      notices: 2,
      error: true,
      columnNames: 1,
    });
    // Everything else is carried over.
    expect({ ...masked, notices: [], error: undefined, resultSets: [] }).toEqual({
      ...failed,
      notices: [],
      error: undefined,
      resultSets: [],
    });
  });

  test("the input outcome is not mutated", () => {
    const snapshot = structuredClone(failed);
    const { outcome: masked } = maskOutcome(failed, config(["id"], ["email", "card", "phone"]));
    expect(failed).toEqual(snapshot);
    expect(masked).not.toBe(failed);
    expect(masked.resultSets[0]?.rows).not.toBe(failed.resultSets[0]?.rows);
  });

  test("with nothing configured the outcome comes back equal and nothing is counted", () => {
    const { outcome: masked, report } = maskOutcome(failed, NO_MASK);
    expect(masked).toEqual(failed);
    expect(report.cells + report.notices + report.columnNames).toBe(0);
    expect(report.error).toBe(false);
    expect(masksAnything(NO_MASK)).toBe(false);
    expect(masksAnything(config([], ["iban"]))).toBe(true);
  });
});

describe("linear time on hostile cells", () => {
  // 100 kB each; a backtracking scan would not finish. Only the results are asserted.
  const ALL: MaskPatternName[] = ["email", "card", "iban", "phone"];

  function maskOne(cell: string): string | null | undefined {
    return maskOutcome(outcome({ resultSets: [select(["c"], [[cell]])] }), config([], ALL)).outcome
      .resultSets[0]?.rows[0]?.[0];
  }

  test("digit groups joined by separators, with a card at the end", () => {
    const run = "1111 ".repeat(20_000);
    expect(maskOne(`${run}/ 4111 1111 1111 1111`)).toBe(`${run}/ [masked:card]`);
  });

  test("digits, dashes, dots and pluses that never make a match", () => {
    for (const unit of ["12-", "1.2 ", "+1-1", "(1) ", "0-0 0.", "+(12)3 "]) {
      const cell = unit.repeat(Math.ceil(100_000 / unit.length));
      expect(maskOne(cell)).toBe(cell);
    }
  });

  test("a run of @ and dots, and a long domain", () => {
    const ats = "a@".repeat(50_000);
    expect(maskOne(ats)).toBe(ats);
    const dots = `x@${"a.".repeat(50_000)}`;
    expect(maskOne(dots)).toBe(dots);
    expect(maskOne(`x@${"ab.".repeat(33_000)}com`)).toBe("[masked:email]");
  });

  test("letters and digits that look like the start of an IBAN", () => {
    const cell = "DE89 ".repeat(20_000);
    expect(maskOne(cell)).toBe(cell);
  });
});

describe("a card number anywhere in text", () => {
  test("is masked whatever surrounds it", () => {
    const filler = fc.string({ unit: fc.constantFrom(..."abcXYZ .,;:/()_é\n") });
    fc.assert(
      fc.property(filler, filler, (before, after) => {
        const cell = `${before} 4111-1111-1111-1111 ${after}`;
        const masked = maskOne(cell);
        expect(masked).toBe(`${before} [masked:card] ${after}`);
      }),
    );

    function maskOne(cell: string) {
      return maskOutcome(outcome({ resultSets: [select(["c"], [[cell]])] }), config([], ["card"]))
        .outcome.resultSets[0]?.rows[0]?.[0];
    }
  });
});

describe("validateMaskConfig", () => {
  test("a valid mask, duplicates dropped", () => {
    expect(
      validateMaskConfig({
        columns: ["email", "*.password", "ssn", "card_*", "amount$usd", "email"],
        patterns: ["email", "card", "iban", "phone", "card"],
      }),
    ).toEqual({
      ok: true,
      config: {
        columns: ["email", "*.password", "ssn", "card_*", "amount$usd"],
        patterns: ["email", "card", "iban", "phone"],
      },
    });
    expect(validateMaskConfig({})).toEqual({ ok: true, config: { columns: [], patterns: [] } });
    expect(validateMaskConfig({ patterns: ["iban"] })).toEqual({
      ok: true,
      config: { columns: [], patterns: ["iban"] },
    });
  });

  test("an unknown pattern name lists the known ones", () => {
    expect(validateMaskConfig({ patterns: ["email", "phon"] }, "resources.prod-db.mask")).toEqual({
      ok: false,
      problems: [
        {
          path: "resources.prod-db.mask.patterns[1]",
          message: 'unknown mask pattern "phon"; known patterns: email, card, iban, phone',
        },
      ],
    });
  });

  const CHARACTERS = "globs are letters A-Z a-z, digits, _, $, . and the wildcard *";

  test.each([
    ["a column glob must not be empty", ""],
    [`the column glob "user-name" has "-": ${CHARACTERS}`, "user-name"],
    [`the column glob "e mail;" has " ", ";": ${CHARACTERS}`, "e mail;"],
    ['the column glob "users." has an empty part around a dot', "users."],
    ['the column glob "a..b" has an empty part around a dot', "a..b"],
    ['the column glob ".email" has an empty part around a dot', ".email"],
    [`the column glob "${"x".repeat(60)}…" is longer than 300 characters`, "x".repeat(301)],
  ])("a glob is refused: %s", (message, glob) => {
    expect(validateMaskConfig({ columns: ["ok", glob] })).toEqual({
      ok: false,
      problems: [{ path: "mask.columns[1]", message }],
    });
  });

  test.each([
    ["mask", "must be a mapping with columns and/or patterns", null],
    ["mask", "must be a mapping with columns and/or patterns", ["email"]],
    ["mask", "must be a mapping with columns and/or patterns", "email"],
    ["mask.column", 'unknown key "column"; mask takes columns and patterns', { column: ["email"] }],
    ["mask.columns", "must be a list", { columns: "email" }],
    ["mask.columns[0]", "must be a string", { columns: [1] }],
    ["mask.patterns[0]", "must be a string", { patterns: [null] }],
    ["mask.patterns", "must have at most 200 entries", { patterns: Array(201).fill("email") }],
  ])("a value is refused at %s: %s", (path, message, raw) => {
    expect(validateMaskConfig(raw)).toEqual({ ok: false, problems: [{ path, message }] });
  });

  test("every problem is reported at once", () => {
    const result = validateMaskConfig({ columns: ["", "ok"], patterns: ["ssn"], extra: 1 });
    expect(result.ok ? [] : result.problems.map((problem) => problem.path)).toEqual([
      "mask.extra",
      "mask.columns[0]",
      "mask.patterns[0]",
    ]);
  });

  test("merging keeps everything either side masks", () => {
    expect(
      mergeMaskConfigs(config(["ssn", "email"], ["phone"]), config(["email", "*.token"], ["card"])),
    ).toEqual({ columns: ["ssn", "email", "*.token"], patterns: ["card", "phone"] });
  });
});
