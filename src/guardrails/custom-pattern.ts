/**
 * Custom guardrail patterns (issue 12, class 8). A `pattern` rule is a regular expression
 * written by a repository's author and run over text any requester controls, so it runs on
 * RE2 (re2js, a pure-JS port): matching is linear in the input whatever the pattern, and
 * syntax that needs backtracking (backreferences, lookarounds, possessive quantifiers) is
 * refused when the pattern is compiled instead of being slow when it is matched.
 */
import { RE2JS } from "re2js";

/** Longer patterns are refused: a rule is a short phrase, and RE2's program grows with it. */
export const MAX_PATTERN_LENGTH = 500;

/** The compiled form: only a boolean test, which re2js runs on its DFA without captures. */
export interface CustomPattern {
  test(text: string): boolean;
}

export type CompiledPattern = { ok: true; pattern: CustomPattern } | { ok: false; error: string };

/**
 * Whitespace that JavaScript's `\s` matches and RE2's does not (RE2's is ASCII space, \t, \n,
 * \f, \r). Authors write `drop\s+table` with JavaScript in mind, and PostgreSQL 16+ reads a
 * vertical tab as whitespace: without this, `DROP<VT>TABLE` would slip past such a rule.
 */
const OTHER_WHITESPACE = /[\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g;

function plainSpaces(text: string): string {
  return text.replace(OTHER_WHITESPACE, " ");
}

/** Hints for the syntax people most often bring from JavaScript or PCRE. */
function hintFor(source: string, engineMessage: string): string {
  if (/\\[1-9]|\\k</.test(source))
    return " Backreferences (\\1, \\k<name>) are not supported: they cannot run in linear time.";
  if (/\(\?<?[=!]/.test(source))
    return " Lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported: they cannot run in linear time.";
  if (/[+*?}]\+/.test(source) || /\(\?>/.test(source))
    return " Possessive quantifiers and atomic groups are not supported (and not needed: RE2 never backtracks).";
  if (/invalid repeat count/.test(engineMessage))
    return " A repeat count is at most 1000, also when repeats are nested.";
  if (/\\u[0-9a-f]{4}/i.test(source)) return " Write a code point as \\x{41} rather than \\u0041.";
  return "";
}

/**
 * Compiles a custom rule's pattern, case-insensitively, or explains why it cannot be used.
 * The error names the rule's problem in terms a config author can act on, with RE2's own
 * message and a link to the syntax it accepts.
 */
export function compileCustomPattern(source: string): CompiledPattern {
  if (source.length === 0) return { ok: false, error: "pattern is empty" };
  if (source.length > MAX_PATTERN_LENGTH)
    return {
      ok: false,
      error: `pattern is ${source.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`,
    };
  try {
    const compiled = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
    return { ok: true, pattern: { test: (text) => compiled.test(plainSpaces(text)) } };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error:
        `pattern is not valid RE2 syntax (${message}).${hintFor(source, message)}` +
        " See https://github.com/google/re2/wiki/Syntax.",
    };
  }
}
