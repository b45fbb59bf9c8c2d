/**
 * Inputs that would make PostgreSQL's own lexer slow (nested block comments are quadratic
 * in libpg-query) are refused quickly, fail closed, in the command and in procedural code.
 */
import { classifyCommand, loadGuardrails } from "../../src/guardrails/index.js";
import { MAX_COMMENT_DEPTH, deepCommentAt } from "../../src/guardrails/pg-ast.js";

beforeAll(async () => {
  await loadGuardrails();
});

describe("deepCommentAt", () => {
  test("accepts ordinary and moderately nested comments", () => {
    expect(deepCommentAt("SELECT 1 /* a /* b */ c */ -- x")).toBeUndefined();
    expect(
      deepCommentAt(`${"/*".repeat(MAX_COMMENT_DEPTH)}${"*/".repeat(MAX_COMMENT_DEPTH)}`),
    ).toBeUndefined();
    expect(deepCommentAt(`${"/* x */ ".repeat(10_000)}SELECT 1`)).toBeUndefined();
  });

  test("finds the first comment past the limit", () => {
    const text = `SELECT 1 ${"/*".repeat(MAX_COMMENT_DEPTH + 1)}`;
    expect(deepCommentAt(text)).toBe(9 + 2 * MAX_COMMENT_DEPTH);
  });

  test("'/*/' opens a comment without closing it", () => {
    expect(deepCommentAt("/*/".repeat(MAX_COMMENT_DEPTH + 1))).toBeDefined();
  });

  test("closing markers before the comments cannot hide the depth", () => {
    const text = `SELECT '${"*/".repeat(1000)}'; ${"/*".repeat(MAX_COMMENT_DEPTH + 1)}`;
    expect(deepCommentAt(text)).toBeDefined();
  });
});

describe("classification", () => {
  test("64 KiB of nested comments is refused at once", async () => {
    const started = Date.now();
    const result = await classifyCommand("/*".repeat(32_000), "postgres");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("nest more than");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("so is a DO block whose code nests them", async () => {
    const code = `BEGIN ${"/*".repeat(5000)}${"*/".repeat(5000)} END`;
    const result = await classifyCommand(`DO $x$ ${code} $x$`, "postgres");
    expect(result.ok).toBe(false);
  });
});
