import Handlebars from "handlebars";
import {
  formatCount,
  formatElapsed,
  formatNumber,
  registerHelpers,
} from "../../src/render/helpers.js";

const WJ = "\u2060";
const handlebars = Handlebars.create();
registerHelpers(handlebars);

function render(source: string, context: object): string {
  return handlebars.compile(source, { strict: true })(context);
}

describe("escaping helpers return text escaped once, for their context", () => {
  test("md escapes Markdown and HTML without double-escaping", () => {
    expect(render("{{md x}}", { x: "<b> & *a* @bob #4" })).toBe(
      `&lt;b&gt; &amp; \\*a\\* @${WJ}bob #${WJ}4`,
    );
  });

  test("md can cut first, so the cut never splits an escape", () => {
    expect(render("{{md x 6}}", { x: "&&&&&&&&&&" })).toBe("&amp;&amp;&amp;&amp;&amp;…");
  });

  test("cell renders null distinctly from the string NULL", () => {
    expect(render("{{cell a}}|{{cell b}}", { a: null, b: "NULL" })).toBe("*NULL*|NULL");
    expect(render("{{cell a}}", { a: "x|y\nz" })).toBe("x\\|y<br>z");
  });

  test("fence keeps code literal (no HTML entities inside the block)", () => {
    expect(render("{{fence x 'sql'}}", { x: "select '<a>' & 1 from t where u = @who" })).toBe(
      `\`\`\`sql\nselect '<a>' & 1 from t where u = @${WJ}who\n\`\`\``,
    );
    expect(render("{{{fence x}}}", { x: "```" })).toBe("````\n```\n````");
    expect(render("{{verbatimFence x 'sql'}}", { x: "select @id" })).toBe(
      "```sql\nselect @id\n```",
    );
  });

  test("code makes an inline code span", () => {
    expect(render("{{code x}}", { x: "a`b<c>" })).toBe("``a`b<c>``");
  });

  test("existing eq and join still work, and join composes with md", () => {
    expect(render("{{#if (eq a 1)}}yes{{/if}}", { a: 1 })).toBe("yes");
    expect(render("{{md (join xs ', ')}}", { xs: ["@a", "b_c"] })).toBe(`@${WJ}a, b\\_c`);
  });

  test("num, duration and plural", () => {
    expect(
      render("{{num n}} · {{duration d}} · {{plural c 'row'}} · {{plural o 'row'}}", {
        n: 1000000,
        d: 35,
        c: 3,
        o: 1,
      }),
    ).toBe("1,000,000 · 35 ms · 3 rows · 1 row");
    expect(render("{{plural n 'index' 'indices'}}", { n: 2 })).toBe("2 indices");
  });
});

describe("formatting", () => {
  test.each([
    [0, "0"],
    [999, "999"],
    [1000, "1,000"],
    [1234567, "1,234,567"],
    [-1234.5, "-1,234.5"],
  ])("formatNumber(%p) = %p", (value, expected) => {
    expect(formatNumber(value)).toBe(expected);
  });

  test.each([
    [0, "0 ms"],
    [35, "35 ms"],
    [1234, "1.23 s"],
    [125_000, "2 min 5 s"],
    [3_720_000, "1 h 2 min"],
    [-1, "unknown time"],
  ])("formatElapsed(%p) = %p", (ms, expected) => {
    expect(formatElapsed(ms)).toBe(expected);
  });

  test("formatCount", () => {
    expect(formatCount(1, "row")).toBe("1 row");
    expect(formatCount(1_000_000, "row")).toBe("1,000,000 rows");
  });
});
