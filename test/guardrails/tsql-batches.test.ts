import { splitTsqlBatches } from "../../src/guardrails/tsql-batches.js";

describe("splitTsqlBatches", () => {
  test("splits on GO alone on its line, any case, with counts", () => {
    const sql = "SELECT 1\nGO\nSELECT 2\n  go 5  \nSELECT 3\nGo";
    expect(splitTsqlBatches(sql)).toEqual([
      { text: "SELECT 1\n", startLine: 1, repeat: 1, start: 0 },
      { text: "SELECT 2\n", startLine: 3, repeat: 5, start: 12 },
      { text: "SELECT 3\n", startLine: 5, repeat: 1, start: 30 },
    ]);
  });

  test("a single batch without GO is returned whole", () => {
    expect(splitTsqlBatches("SELECT 1;\nSELECT 2")).toEqual([
      { text: "SELECT 1;\nSELECT 2", startLine: 1, repeat: 1, start: 0 },
    ]);
  });

  test("GO inside strings, names and comments is not a separator", () => {
    const cases = [
      "SELECT 'a\nGO\nb'",
      "SELECT N'a\nGO\nb'",
      "SELECT 'it''s\nGO\n'",
      "SELECT [a\nGO\nb]",
      "SELECT [a]]\nGO\nb]",
      'SELECT "a\nGO\nb"',
      "/*\nGO\n*/ SELECT 1",
      "/* outer /* inner */\nGO\n*/ SELECT 1",
      "SELECT 1 -- GO\n-- GO\nSELECT 2",
    ];
    for (const sql of cases) {
      expect(splitTsqlBatches(sql)).toEqual([{ text: sql, startLine: 1, repeat: 1, start: 0 }]);
    }
  });

  test("GO must be alone on its line (a trailing comment is allowed)", () => {
    expect(splitTsqlBatches("SELECT 1 GO\nSELECT 2")).toHaveLength(1);
    expect(splitTsqlBatches("SELECT 1\nGOTO x\nx: SELECT 2")).toHaveLength(1);
    expect(splitTsqlBatches("SELECT 1\nGO;\nSELECT 2")).toHaveLength(1);
    expect(splitTsqlBatches("SELECT 1\nGO -- next\nSELECT 2").map((b) => b.text)).toEqual([
      "SELECT 1\n",
      "SELECT 2",
    ]);
  });

  test("handles CRLF line endings and tracks start lines", () => {
    const batches = splitTsqlBatches("SELECT 1\r\nGO\r\n\r\nSELECT 2\r\nGO 2\r\n");
    expect(batches.map((b) => [b.text, b.startLine, b.repeat])).toEqual([
      ["SELECT 1\r\n", 1, 1],
      ["\r\nSELECT 2\r\n", 3, 2],
    ]);
  });

  test("a line after a multi-line string or comment is counted correctly", () => {
    const sql = "SELECT 'a\nb\nc'\nGO\nSELECT 2 /* x\ny */\nGO\nSELECT 3";
    expect(splitTsqlBatches(sql).map((b) => b.startLine)).toEqual([1, 5, 8]);
  });

  test("whitespace-only batches are dropped; comment-only batches are kept", () => {
    expect(splitTsqlBatches("GO\n\nGO\nSELECT 1\nGO\n   \nGO")).toEqual([
      { text: "SELECT 1\n", startLine: 4, repeat: 1, start: 7 },
    ]);
    expect(splitTsqlBatches("-- note\nGO\nSELECT 1").map((b) => b.text)).toEqual([
      "-- note\n",
      "SELECT 1",
    ]);
    expect(splitTsqlBatches("")).toEqual([]);
  });

  test("batch texts are exact slices of the input", () => {
    const sql = "SELECT 1\nGO\n/* c */ SELECT 'GO'\nGO 3\nEXEC p";
    for (const batch of splitTsqlBatches(sql)) {
      expect(sql.slice(batch.start, batch.start + batch.text.length)).toBe(batch.text);
    }
  });

  test("unterminated strings and comments swallow the rest (the classifier reports them)", () => {
    expect(splitTsqlBatches("SELECT 'x\nGO\nSELECT 2")).toHaveLength(1);
    expect(splitTsqlBatches("/* x\nGO\nSELECT 2")).toHaveLength(1);
  });

  test("a -- comment ends at a lone CR, so a quote after it is seen", () => {
    const sql = "SELECT 1 -- x\r'\nGO\n'";
    expect(splitTsqlBatches(sql)).toHaveLength(1);
  });
});
