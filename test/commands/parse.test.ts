import { MAX_COMMAND_BYTES, parseComment } from "../../src/commands/parse.js";

describe("parseComment: /run", () => {
  test.each([
    [
      "a fenced block under the /run line",
      "/run prod-db\n```sql\nUPDATE users SET status = 'inactive' WHERE id = 123;\n```",
      {
        resource: "prod-db",
        command: "UPDATE users SET status = 'inactive' WHERE id = 123;",
        reason: null,
      },
    ],
    [
      "a one-line command",
      "/run prod-db SELECT count(*) FROM users",
      { resource: "prod-db", command: "SELECT count(*) FROM users", reason: null },
    ],
    [
      "a leading --reason in double quotes",
      '/run prod-db --reason "ticket 42" SELECT 1',
      { resource: "prod-db", command: "SELECT 1", reason: "ticket 42" },
    ],
    [
      "a trailing --reason in single quotes",
      "/run prod-db SELECT 1 --reason 'ticket 42'",
      { resource: "prod-db", command: "SELECT 1", reason: "ticket 42" },
    ],
    [
      "a Reason: line after the block",
      "/run replica\n~~~\nSELECT 1\n~~~\nReason: looking into INC-7",
      { resource: "replica", command: "SELECT 1", reason: "looking into INC-7" },
    ],
    [
      "text before the command and CRLF line endings",
      "Please run this:\r\n\r\n/run prod-db\r\n```sql\r\nSELECT 1;\r\nSELECT 2;\r\n```\r\n",
      { resource: "prod-db", command: "SELECT 1;\nSELECT 2;", reason: null },
    ],
    [
      "a longer fence holding backticks",
      "/run prod-db\n````sql\nSELECT '```' AS fence;\n````",
      { resource: "prod-db", command: "SELECT '```' AS fence;", reason: null },
    ],
    [
      "a case-insensitive verb",
      "/RUN staging_db SELECT 1",
      { resource: "staging_db", command: "SELECT 1", reason: null },
    ],
  ])("%s", (_name, body, expected) => {
    expect(parseComment(body)).toEqual({ kind: "run", ...expected });
  });

  test("only the first /run of a comment counts", () => {
    expect(parseComment("/run a SELECT 1\n/run b SELECT 2")).toEqual({
      kind: "run",
      resource: "a",
      command: "SELECT 1",
      reason: null,
    });
    expect(
      parseComment("/run a\n```sql\nSELECT 1\n```\n/run b\n```sql\nDROP TABLE x\n```"),
    ).toMatchObject({ resource: "a", command: "SELECT 1" });
  });

  test("a /run inside a code block or a quote is an example, not a command", () => {
    expect(parseComment("Use it like this:\n```\n/run prod-db SELECT 1\n```")).toEqual({
      kind: "none",
    });
    expect(parseComment("> /run prod-db SELECT 1")).toEqual({ kind: "none" });
    expect(parseComment("see /run in the docs")).toEqual({ kind: "none" });
    expect(parseComment("/running late")).toEqual({ kind: "none" });
  });

  test("no body or no slash command is not a command", () => {
    expect(parseComment(null)).toEqual({ kind: "none" });
    expect(parseComment("")).toEqual({ kind: "none" });
    expect(parseComment("LGTM")).toEqual({ kind: "none" });
  });

  test.each([
    ["no resource", "/run", /name the resource/],
    ["a bad resource name", "/run prod;db SELECT 1", /is not a resource name/],
    ["an empty command", "/run prod-db", /the command is empty/],
    ["an empty code block", "/run prod-db\n```sql\n\n```", /the command is empty/],
    ["an unclosed code block", "/run prod-db\n```sql\nSELECT 1", /not closed/],
    ["both a line and a block", "/run prod-db SELECT 1\n```sql\nSELECT 2\n```", /not both/],
    ["a --reason without a value", "/run prod-db --reason", /--reason "…"/],
  ])("refuses %s", (_name, body, problem) => {
    const parsed = parseComment(body);
    expect(parsed).toMatchObject({ kind: "invalid", verb: "run" });
    if (parsed.kind !== "invalid") throw new Error("expected invalid");
    expect(parsed.problem).toMatch(problem);
  });

  test("refuses a command over 64 KiB, counting UTF-8 bytes", () => {
    const justFits = "SELECT '" + "x".repeat(MAX_COMMAND_BYTES - 9) + "'";
    expect(Buffer.byteLength(justFits)).toBe(MAX_COMMAND_BYTES);
    expect(parseComment(`/run prod-db\n\`\`\`\n${justFits}\n\`\`\``)).toMatchObject({
      kind: "run",
    });
    // 3-byte characters: fewer than 64 Ki characters but over 64 KiB.
    const tooBig = "SELECT '" + "€".repeat(22_000) + "'";
    const parsed = parseComment(`/run prod-db\n\`\`\`\n${tooBig}\n\`\`\``);
    expect(parsed).toMatchObject({ kind: "invalid" });
    if (parsed.kind !== "invalid") throw new Error("expected invalid");
    expect(parsed.problem).toBe("the command is 66,009 bytes; the limit is 65,536 bytes (64 KiB)");
  });
});

describe("parseComment: /jit, /revoke, /cancel", () => {
  test("a grant request with a reason", () => {
    expect(parseComment('/jit prod-db 30m --reason "incident 123"')).toEqual({
      kind: "jit",
      resource: "prod-db",
      durationMs: 1_800_000,
      durationText: "30m",
      reason: "incident 123",
    });
  });

  test.each([
    ["no duration", "/jit prod-db", /give a duration/],
    ["a bad duration", "/jit prod-db soon", /is not a duration/],
    ["trailing words", "/jit prod-db 30m please", /unexpected "please"/],
  ])("refuses a grant request with %s", (_name, body, problem) => {
    const parsed = parseComment(body);
    expect(parsed).toMatchObject({ kind: "invalid", verb: "jit" });
    if (parsed.kind !== "invalid") throw new Error("expected invalid");
    expect(parsed.problem).toMatch(problem);
  });

  test("/revoke with and without a resource, /cancel", () => {
    expect(parseComment("/revoke prod-db")).toEqual({ kind: "revoke", resource: "prod-db" });
    expect(parseComment("/revoke")).toEqual({ kind: "revoke", resource: null });
    expect(parseComment("/cancel")).toEqual({ kind: "cancel" });
    expect(parseComment("/cancel please, wrong table")).toEqual({ kind: "cancel" });
  });
});

describe("parseComment: code blocks follow CommonMark", () => {
  test("a fence indented four spaces does not close an example block", () => {
    const body = "Example:\n```\n    ```\n/run prod-db DROP TABLE users\n```";
    expect(parseComment(body)).toEqual({ kind: "none" });
  });
});

describe("parseComment: HTML comments are invisible on GitHub and never acted on", () => {
  test.each([
    ["on one line", "<!-- /run prod-db DROP TABLE users -->"],
    ["after text", "Looks good <!-- /run prod-db DROP TABLE users -->"],
    ["on its own lines", "<!--\n/run prod-db DROP TABLE users\n-->"],
    ["indented and with CRLF", "  <!--\r\n/run prod-db DROP TABLE users\r\n-->\r\n"],
    [
      "multi-line, opened mid-paragraph",
      "Thanks! <!-- note\n/run prod-db\n```sql\nDROP TABLE users\n```\n-->",
    ],
    ["unterminated", "<!--\n/run prod-db DROP TABLE users"],
    ["unterminated after a closed one", "<!-- a --> b <!-- c\n\n/run prod-db DROP TABLE users"],
    ["a PR template's comment", "<!-- Describe the change.\n/cancel\n-->"],
    ["the empty comment <!-->", "<!-->\n/run prod-db DROP TABLE users"],
  ])("a slash command inside an HTML comment (%s) is not a command", (_what, body) => {
    expect(parseComment(body)).toEqual({ kind: "none" });
  });

  test("a visible /run after a closed HTML comment still counts", () => {
    expect(parseComment("<!-- template help -->\n/run prod-db SELECT 1")).toEqual({
      kind: "run",
      resource: "prod-db",
      command: "SELECT 1",
      reason: null,
    });
    expect(parseComment("<!--\n/run prod-db DROP TABLE users\n-->\n/run replica SELECT 2")).toEqual(
      { kind: "run", resource: "replica", command: "SELECT 2", reason: null },
    );
  });

  test("a code block hidden in an HTML comment is not the command", () => {
    const body = "/run prod-db\n<!--\n```sql\nDROP TABLE users\n```\n-->";
    expect(parseComment(body)).toMatchObject({ kind: "invalid", verb: "run" });
    expect(parseComment(body)).not.toMatchObject({ command: expect.anything() });
  });

  test("the visible block after a hidden one is the command; a hidden reason is ignored", () => {
    const body =
      "/run prod-db\n<!-- ```sql\nDROP TABLE users\n``` -->\n```sql\nSELECT 1\n```\nReason: INC-7 <!-- not this -->";
    expect(parseComment(body)).toEqual({
      kind: "run",
      resource: "prod-db",
      command: "SELECT 1",
      reason: "INC-7",
    });
  });

  test("a /run line that carries a hidden part is refused, not run without it", () => {
    for (const body of [
      "/run prod-db SELECT 1 <!-- ; DROP TABLE users -->",
      "/run prod-db SELECT 1 <!--\n; DROP TABLE users\n-->",
      "/run prod-db<!-- x --> SELECT 1",
    ]) {
      const parsed = parseComment(body);
      expect(parsed).toMatchObject({ kind: "invalid", verb: "run" });
      expect(parsed).toMatchObject({ problem: expect.stringContaining("HTML comment") });
    }
  });

  test("<!-- inside a code block is SQL, not an HTML comment", () => {
    const body = "/run prod-db\n```sql\nSELECT '<!--' AS a;\n```\nReason: INC-8";
    expect(parseComment(body)).toEqual({
      kind: "run",
      resource: "prod-db",
      command: "SELECT '<!--' AS a;",
      reason: "INC-8",
    });
    // And a comment opened in a code block does not hide what follows the block.
    expect(parseComment("```\n<!--\n```\n/run prod-db SELECT 1")).toMatchObject({
      kind: "run",
      command: "SELECT 1",
    });
  });
});

describe("indentation", () => {
  test("a tab-indented /run is code (an example), not a command", () => {
    expect(parseComment("See:\n\n\t/run prod-db DELETE FROM users")).toEqual({ kind: "none" });
    expect(parseComment("   /run prod-db SELECT 1")).toMatchObject({ kind: "run" });
  });
});
