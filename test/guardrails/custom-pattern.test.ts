import {
  MAX_PATTERN_LENGTH,
  compileCustomPattern,
  type CustomPattern,
} from "../../src/guardrails/custom-pattern.js";
import { evaluateGuardrails } from "../../src/guardrails/verdict.js";
import { classifyCommand } from "../../src/guardrails/index.js";
import { DEFAULT_DENY, type GuardrailPolicy } from "../../src/policy/config.js";

function compiled(source: string): CustomPattern {
  const result = compileCustomPattern(source);
  if (!result.ok) throw new Error(`expected ${source} to compile: ${result.error}`);
  return result.pattern;
}

function refusal(source: string): string {
  const result = compileCustomPattern(source);
  if (result.ok) throw new Error(`expected ${source} to be refused`);
  return result.error;
}

describe("compileCustomPattern (RE2, linear time)", () => {
  test("a catastrophic-backtracking pattern on a long near-miss returns quickly", () => {
    const input = "a".repeat(50_000) + "!";
    for (const source of ["(a+)+$", "^(a|a)*$", "^(a*)*$", "(a*)*b", "^(?:a|aa)+$", "(.*a){20}$"]) {
      const pattern = compiled(source);
      const started = performance.now();
      expect(pattern.test(input)).toBe(false);
      // A backtracking engine needs longer than the age of the universe here.
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });

  test("matching time grows linearly, not exponentially, with the input", () => {
    const pattern = compiled("(x+x+)+y");
    const time = (n: number) => {
      const input = "x".repeat(n);
      const started = performance.now();
      pattern.test(input);
      return performance.now() - started;
    };
    time(1_000); // warm-up
    expect(time(64_000)).toBeLessThan(2_000);
  });

  test("backreferences are refused with a message that says why", () => {
    const error = refusal("(drop)\\s+\\1");
    expect(error).toContain("not valid RE2 syntax");
    expect(error).toContain("Backreferences");
    expect(refusal("(?<w>a)\\k<w>")).toContain("Backreferences");
  });

  test("lookarounds and possessive quantifiers are refused with a hint", () => {
    expect(refusal("drop(?=\\s+table)")).toContain("Lookahead and lookbehind");
    expect(refusal("(?<!no )delete")).toContain("Lookahead and lookbehind");
    expect(refusal("a++")).toContain("Possessive");
  });

  test("a syntax error is refused with RE2's own message", () => {
    expect(refusal("(")).toMatch(/missing closing \)/);
    expect(refusal("[a")).toMatch(/missing closing \]/);
  });

  test("patterns over the length cap and empty patterns are refused", () => {
    expect(compileCustomPattern("a".repeat(MAX_PATTERN_LENGTH)).ok).toBe(true);
    expect(refusal("a".repeat(MAX_PATTERN_LENGTH + 1))).toContain(
      `the limit is ${MAX_PATTERN_LENGTH}`,
    );
    expect(refusal("")).toContain("empty");
  });

  test("matching is case-insensitive, unanchored, and understands the usual classes", () => {
    const ssn = compiled("\\bssn\\b");
    expect(ssn.test("SELECT SSN FROM people")).toBe(true);
    expect(ssn.test("select Ssn from people")).toBe(true);
    expect(ssn.test("SELECT ssns FROM people")).toBe(false);
    expect(compiled("drop\\s+table\\s+users").test("DROP  TABLE\tUsers")).toBe(true);
    expect(compiled("^select").test("  select 1")).toBe(false);
    expect(compiled("é").test("É")).toBe(true);
  });

  test("\\s matches the whitespace JavaScript's \\s matches (vertical tab, no-break spaces …)", () => {
    const rule = compiled("drop\\s+table");
    for (const space of [" ", "\t", "\n", "\r\n", "\v", "\u00a0", "\u2003", "\u3000", "\ufeff"])
      expect(rule.test(`DROP${space}TABLE users`)).toBe(true);
    expect(rule.test("DROPTABLE")).toBe(false);
  });

  test("a pattern that compiles is usable again and again (no lastIndex state)", () => {
    const pattern = compiled("users");
    expect(pattern.test("users")).toBe(true);
    expect(pattern.test("users")).toBe(true);
  });
});

describe("custom rules in the verdict run on RE2", () => {
  function policy(overrides: Partial<GuardrailPolicy>): GuardrailPolicy {
    return { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false, ...overrides };
  }

  test("a catastrophic pattern in a deny rule does not stall the verdict", async () => {
    const sql = `SELECT '${"a".repeat(50_000)}!'`;
    const rule = { name: "slow", pattern: "(a+)+$" };
    const started = performance.now();
    const verdict = evaluateGuardrails(
      await classifyCommand(sql, "postgres"),
      policy({ deny: [rule] }),
      sql,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    // The command ends with `'`, so `(a+)+$` does not match: the point is that it returned.
    expect(verdict.denied.map((hit) => hit.rule)).not.toContain("slow");
  });

  test("a rule RE2 cannot take fails closed and says why", async () => {
    const sql = "DELETE FROM t WHERE id = 1";
    const verdict = evaluateGuardrails(
      await classifyCommand(sql, "postgres"),
      policy({ deny: [{ name: "twice", pattern: "(\\w+) \\1" }] }),
      sql,
    );
    expect(verdict.allowed).toBe(false);
    expect(verdict.denied[0]?.message).toContain("invalid pattern");
    expect(verdict.denied[0]?.message).toContain("Backreferences");
  });

  test("case-insensitive matching holds through the verdict", async () => {
    const sql = "select * from Payroll";
    const verdict = evaluateGuardrails(
      await classifyCommand(sql, "postgres"),
      policy({ warn: [{ name: "payroll", pattern: "PAYROLL" }] }),
      sql,
    );
    expect(verdict.warnings.map((hit) => hit.rule)).toEqual(["payroll"]);
  });
});
