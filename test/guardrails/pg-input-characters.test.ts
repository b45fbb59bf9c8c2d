/**
 * Characters the two readers (our parser, the server) or the reviewer's screen might treat
 * differently are refused before either dialect's classifier runs (issue 12, classes 1, 3).
 */
import { classifyCommand, loadGuardrails, type Dialect } from "../../src/guardrails/index.js";
import { findForbiddenCharacter } from "../../src/guardrails/forbidden-characters.js";

beforeAll(async () => {
  await loadGuardrails();
});

const dialects: Dialect[] = ["postgres", "mssql"];

describe.each(dialects)("%s", (dialect) => {
  test.each([
    ["NUL", "SELECT 1\u0000; DROP TABLE users", "U+0000", 1, 9],
    ["lone CR", "SELECT 1 -- x\rCOMMIT; DROP TABLE users", "U+000D", 1, 14],
    ["line separator", "SELECT 1\n-- x\u2028DROP TABLE users", "U+2028", 2, 5],
    ["paragraph separator", "SELECT 1\u2029", "U+2029", 1, 9],
    ["next line", "SELECT 1 -- x\u0085DROP TABLE users", "U+0085", 1, 14],
    ["right-to-left override", "SELECT 'a\u202e' AS x", "U+202E", 1, 10],
    ["left-to-right embedding", "SELECT 1 /*\u202a*/", "U+202A", 1, 12],
    ["isolate", "SELECT 1 /*\u2066*/", "U+2066", 1, 12],
    ["pop directional isolate", "SELECT 1 /*\u2069*/", "U+2069", 1, 12],
    ["vertical tab", "SELECT\u000b1", "U+000B", 1, 7],
    ["escape", "SELECT 1 \u001b[2J", "U+001B", 1, 10],
    ["byte order mark inside", "SELECT 1;\ufeffSELECT 2", "U+FEFF", 1, 10],
    ["unpaired surrogate", "SELECT '\ud800'", "U+D800", 1, 9],
  ])("%s is refused with its code, line and column", async (_name, sql, code, line, column) => {
    const classification = await classifyCommand(sql, dialect);
    expect(classification.ok).toBe(false);
    if (classification.ok) return;
    expect(classification.error.message).toContain(code);
    expect([classification.error.line, classification.error.column]).toEqual([line, column]);
  });
});

describe("findForbiddenCharacter", () => {
  test("allows tab, LF, CR-LF, form feed, a leading BOM and ordinary Unicode", () => {
    expect(findForbiddenCharacter("\ufeffSELECT\t1\r\nFROM t\f-- ü𝒳 日本 עברית")).toBeUndefined();
  });

  test("names the character", () => {
    expect(findForbiddenCharacter("a\u202eb")).toEqual({
      code: "U+202E",
      name: "RIGHT-TO-LEFT OVERRIDE",
      position: 1,
    });
    expect(findForbiddenCharacter("a\rb")?.name).toBe(
      "CARRIAGE RETURN not followed by a line feed",
    );
  });

  test("is linear on a large text", () => {
    const text = "SELECT 1;\r\n".repeat(100_000);
    const started = Date.now();
    expect(findForbiddenCharacter(`${text}\u2028`)?.position).toBe(text.length);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
