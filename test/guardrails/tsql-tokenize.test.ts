import { tokenizeTsql, type TsqlToken } from "../../src/guardrails/tsql-tokenize.js";

function tokens(sql: string): Pick<TsqlToken, "type" | "value">[] {
  const result = tokenizeTsql(sql);
  if (!result.ok) throw new Error(result.message);
  return result.tokens.map(({ type, value }) => ({ type, value }));
}

describe("tokenizeTsql", () => {
  test("words are upper-cased values; the text is kept as written", () => {
    const result = tokenizeTsql("sElEcT x");
    expect(result.ok && result.tokens.map((t) => [t.text, t.value])).toEqual([
      ["sElEcT", "SELECT"],
      ["x", "X"],
    ]);
  });

  test("line and block comments disappear, nested block comments included", () => {
    expect(tokens("SELECT /* a /* b */ DROP */ 1 -- DROP\n")).toEqual([
      { type: "word", value: "SELECT" },
      { type: "number", value: "1" },
    ]);
    const result = tokenizeTsql("a /* x */ b -- y");
    expect(result.ok && result.comments).toEqual([
      [2, 9],
      [12, 16],
    ]);
  });

  test("strings: '' escapes and N'' unicode strings", () => {
    expect(tokens("'it''s' N'ünï' n'x'")).toEqual([
      { type: "string", value: "it's" },
      { type: "string", value: "ünï" },
      { type: "string", value: "x" },
    ]);
  });

  test("bracketed and double-quoted names with escapes", () => {
    expect(tokens('[a]]b] "c""d" [DROP]')).toEqual([
      { type: "qident", value: "a]b" },
      { type: "qident", value: 'c"d' },
      { type: "qident", value: "DROP" },
    ]);
  });

  test("variables, temp tables, numbers and operators", () => {
    expect(tokens("@x @@ROWCOUNT #tmp ##g 1.5e3 0x1F <> != >= ;")).toEqual([
      { type: "variable", value: "@x" },
      { type: "variable", value: "@@rowcount" },
      { type: "word", value: "#TMP" },
      { type: "word", value: "##G" },
      { type: "number", value: "1.5e3" },
      { type: "number", value: "0x1F" },
      { type: "op", value: "<>" },
      { type: "op", value: "!=" },
      { type: "op", value: ">=" },
      { type: "semicolon", value: ";" },
    ]);
  });

  test("unicode identifiers are single words; a stray emoji is one token", () => {
    expect(tokens("Données 名前 😀")).toEqual([
      { type: "word", value: "DONNÉES" },
      { type: "word", value: "名前" },
      { type: "op", value: "😀" },
    ]);
  });

  test("comments do not start inside strings or names", () => {
    expect(tokens("'--x' [/*y*/]")).toEqual([
      { type: "string", value: "--x" },
      { type: "qident", value: "/*y*/" },
    ]);
  });

  test("offsets include the base", () => {
    const result = tokenizeTsql("a b", 10);
    expect(result.ok && result.tokens.map((t) => [t.start, t.end])).toEqual([
      [10, 11],
      [12, 13],
    ]);
  });

  test.each([
    ["'open", "unterminated string", 0],
    ["SELECT N'open", "unterminated string", 7],
    ["/* a /* b */", "unterminated /* comment", 0],
    ["x [open", "unterminated [name]", 2],
    ['"open', 'unterminated "name"', 0],
  ])("%s is an error", (sql, message, position) => {
    expect(tokenizeTsql(sql)).toEqual({ ok: false, message, position });
  });

  test("a -- comment ends at LF, at CRLF and at a lone CR, as in SQL Server", () => {
    for (const end of ["\n", "\r\n", "\r"]) {
      expect(tokens(`SELECT 1 -- x${end}DROP`).map((t) => t.value)).toEqual([
        "SELECT",
        "1",
        "DROP",
      ]);
    }
    const result = tokenizeTsql("a -- b\rc");
    expect(result.ok && result.comments).toEqual([[2, 6]]);
  });

  test("NUL is refused wherever it is, strings and comments included", () => {
    for (const sql of ["SELECT 1\u0000", "SELECT 'a\u0000b'", "-- x\u0000\nSELECT 1"]) {
      expect(tokenizeTsql(sql).ok).toBe(false);
    }
  });
});
