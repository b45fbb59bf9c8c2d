import {
  codeFence,
  codeSpan,
  escapeInline,
  escapeTableCell,
  neutralizeReferences,
  safeCutIndex,
  sanitizeText,
  truncateMarkdown,
  truncateText,
} from "../../src/render/escape.js";
import { markdownProblems } from "./markdown-check.js";

const WJ = "\u2060";
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe("escapeTableCell", () => {
  test.each([
    ["a|b", "a\\|b"],
    ["`rm -rf`", "\\`rm -rf\\`"],
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["hi @alice", `hi @${WJ}alice`],
    ["@org/team", `@${WJ}org/team`],
    ["see #12", `see #${WJ}12`],
    ["acme/repo#3", `acme/repo#${WJ}3`],
    ["GH-7", `GH-${WJ}7`],
    ["line1\nline2\r\nline3\rline4", "line1<br>line2<br>line3<br>line4"],
    ["**bold** _it_ ~~s~~", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~"],
    ["[x](http://e.com)", `\\[x\\](http:${WJ}//e.com)`],
    ["www.example.com", `www${WJ}.example.com`],
    ["a@b.com", `a@${WJ}b.com`],
    ["&lt; & &#64;x", `&amp;lt; &amp; &amp;#${WJ}64;x`],
    ["back\\slash \\|", "back\\\\slash \\\\\\|"],
    ["$x^2$", "\\$x^2\\$"],
    ["", ""],
    ["NULL", "NULL"],
  ])("%j → %j", (input, expected) => {
    expect(escapeTableCell(input)).toBe(expected);
  });

  test("never leaves a pipe GFM would split on", () => {
    const escaped = escapeTableCell("|\\|\\\\|`|`");
    for (let i = 0; i < escaped.length; i += 1) {
      if (escaped[i] === "|") expect(escaped[i - 1]).toBe("\\");
    }
  });
});

describe("escapeInline", () => {
  test.each([
    ["# heading", "\\# heading"],
    ["- item", "\\- item"],
    ["+ item", "\\+ item"],
    ["=== ", "\\=== "],
    ["1. first", "1\\. first"],
    ["12) twelfth", "12\\) twelfth"],
    ["> quote", "&gt; quote"],
    ["a - b # c", "a - b # c"],
  ])("neutralises leading structure %j", (input, expected) => {
    expect(escapeInline(input)).toBe(expected);
  });

  test("makes controls and bidi overrides visible and repairs lone surrogates", () => {
    expect(escapeInline("a\u0000b\u001bc\u202Ed")).toBe("a\u2400b\u241Bc⟨U+202E⟩d");
    expect(sanitizeText("x\uD83Dy\uDE00")).toBe("x\uFFFDy\uFFFD");
    expect(sanitizeText("😀")).toBe("😀");
  });
});

describe("neutralizeReferences", () => {
  test("breaks mentions, issue references and URLs but keeps the visible text", () => {
    const text = "@alice @org/team #1 o/r#2 gh-3 https://github.com/o/r/issues/4 www.x.io";
    const out = neutralizeReferences(text);
    expect(out.replaceAll(WJ, "")).toBe(text);
    expect(out).not.toMatch(/@[a-z0-9]/i);
    expect(out).not.toMatch(/#\d/);
    expect(out).not.toMatch(/gh-\d/i);
    expect(out).not.toContain("://");
  });

  test("leaves text without references alone", () => {
    expect(neutralizeReferences("C# is #hashtag, 100% fine")).toBe("C# is #hashtag, 100% fine");
  });
});

describe("codeSpan", () => {
  test.each([
    ["prod-db", "`prod-db`"],
    ["a`b", "``a`b``"],
    ["`x`", "`` `x` ``"],
    ["a``b", "```a``b```"],
    ["two\nlines", "`two lines`"],
    ["<b>", "`<b>`"],
    ["", "` `"],
    ["@alice", `\`@${WJ}alice\``],
  ])("%j → %j", (input, expected) => {
    expect(codeSpan(input)).toBe(expected);
  });
});

describe("codeFence", () => {
  test("uses a fence longer than any backtick run inside", () => {
    expect(codeFence("select 1", "sql")).toBe("```sql\nselect 1\n```");
    expect(codeFence("a\n```\nb", "sql")).toBe("````sql\na\n```\nb\n````");
    expect(codeFence("`````", "")).toBe("``````\n`````\n``````");
  });

  test("keeps HTML and Markdown literal, neutralises mentions unless verbatim", () => {
    expect(codeFence("<script> & | *x* @alice #1")).toBe(
      `\`\`\`\n<script> & | *x* @${WJ}alice #${WJ}1\n\`\`\``,
    );
    expect(codeFence("select @id", "sql", { verbatim: true })).toBe("```sql\nselect @id\n```");
  });

  test("sanitises the info string and line endings", () => {
    expect(codeFence("a\r\nb\n", "sq`l x")).toBe("```sqlx\na\nb\n```");
    expect(codeFence("", "text")).toBe("```text\n```");
  });
});

describe("truncateText and safeCutIndex", () => {
  test("returns short text unchanged and cuts long text with an ellipsis", () => {
    expect(truncateText("hello", 5)).toBe("hello");
    expect(truncateText("hello world", 6)).toBe("hello…");
    expect(truncateText("hello", 0)).toBe("");
  });

  test("never splits a surrogate pair, emoji sequence or combining mark", () => {
    const samples = [
      "😀".repeat(50),
      "👩‍👩‍👧‍👦".repeat(20),
      "e\u0301".repeat(60),
      "漢字かな".repeat(30),
      "🇫🇷🇩🇪".repeat(30),
      "a😀b👍🏽c",
    ];
    for (const sample of samples) {
      for (let max = 1; max <= 40; max += 1) {
        const cut = truncateText(sample, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut).not.toMatch(LONE_SURROGATE);
        const kept = cut.endsWith("…") ? cut.slice(0, -1) : cut;
        expect(sample.startsWith(kept)).toBe(true);
      }
    }
    // Cuts between grapheme clusters: a family emoji is kept whole or not at all.
    const family = "👩‍👩‍👧‍👦";
    expect(truncateText(family.repeat(3), family.length + 3)).toBe(`${family}…`);
    expect(truncateText("e\u0301e\u0301", 3)).toBe("e\u0301…");
  });

  test("falls back to code points inside an enormous grapheme cluster", () => {
    const zalgo = `a${"\u0300".repeat(500)}`;
    expect(truncateText(zalgo, 100)).toHaveLength(100);
    const emojiCluster = "😀" + "\u0300".repeat(10);
    const index = safeCutIndex(`x${"\uD83D\uDE00".repeat(100)}`, 2);
    expect(index).toBe(1);
    expect(safeCutIndex(emojiCluster, 1)).toBe(0);
  });
});

describe("truncateMarkdown", () => {
  const note = "**Output truncated.**";

  test("leaves short Markdown alone", () => {
    expect(truncateMarkdown("short\n", 100, note)).toBe("short\n");
  });

  test("closes an open code fence and <details>", () => {
    const markdown = [
      "<details>",
      "<summary>x</summary>",
      "",
      "````text",
      ...Array.from({ length: 100 }, (_, i) => `line ${i} ${"x".repeat(50)}`),
      "````",
      "",
      "</details>",
      "",
    ].join("\n");
    for (let max = 60; max < markdown.length; max += 37) {
      const cut = truncateMarkdown(markdown, max, note);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(markdownProblems(cut)).toEqual([]);
      expect(cut).toContain(note);
    }
  });

  test("cuts tables at row boundaries", () => {
    const rows = Array.from({ length: 200 }, (_, i) => `| ${i} | ${"é😀".repeat(i % 7)} |`);
    const markdown = ["| a | b |", "| --- | --- |", ...rows].join("\n");
    for (let max = 40; max < markdown.length; max += 101) {
      const cut = truncateMarkdown(markdown, max, note);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(markdownProblems(cut)).toEqual([]);
    }
  });

  test("a limit below the note's length still returns something within the limit", () => {
    expect(truncateMarkdown("x".repeat(100), 10, note).length).toBeLessThanOrEqual(10);
  });
});
