import { DEFAULT_DENY, type GuardrailPolicy } from "../../src/policy/config.js";
import {
  classifyCommand,
  evaluateGuardrails,
  isReadOnly,
  type Dialect,
  type GuardrailVerdict,
} from "../../src/guardrails/index.js";

function policy(overrides: Partial<GuardrailPolicy> = {}): GuardrailPolicy {
  return { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false, ...overrides };
}

async function verdict(
  sql: string,
  guardrails: GuardrailPolicy = policy(),
  dialect: Dialect = "postgres",
): Promise<GuardrailVerdict> {
  return evaluateGuardrails(await classifyCommand(sql, dialect), guardrails, sql);
}

describe("evaluateGuardrails: built-in rules", () => {
  test("a denied hit names the rule, the statement and how to proceed", async () => {
    const result = await verdict("SELECT 1;\nDELETE FROM users");
    expect(result.allowed).toBe(false);
    expect(result.denied).toEqual([
      {
        rule: "delete_without_where",
        custom: false,
        statement: { index: 1, excerpt: "DELETE FROM users", line: 2 },
        message: expect.stringContaining("Add a WHERE clause"),
      },
    ]);
    expect(result.denied[0]?.message).toContain("Statement 2 (line 2): DELETE has no WHERE clause");
  });

  test("drop explains both ways forward", async () => {
    const result = await verdict("DROP TABLE users");
    expect(result.denied.map((hit) => hit.rule)).toEqual(["drop"]);
    expect(result.denied[0]?.message).toContain(
      "ask an admin to run it outside Countersign or remove `drop` from guardrails.deny for this resource",
    );
  });

  test("every flagged statement gets its own hit", async () => {
    const result = await verdict("DROP TABLE a; SELECT 1; DROP TABLE b");
    expect(result.denied.map((hit) => hit.statement?.index)).toEqual([0, 2]);
  });

  test("warn rules warn, deny wins when a rule is in both lists", async () => {
    const result = await verdict(
      "GRANT SELECT ON t TO bob; UPDATE t SET a = 1 WHERE id = 1",
      policy({ deny: ["grant"], warn: ["grant", "write"] }),
    );
    expect(result.denied.map((hit) => hit.rule)).toEqual(["grant"]);
    expect(result.warnings.map((hit) => [hit.rule, hit.statement?.index])).toEqual([
      ["write", 0],
      ["write", 1],
    ]);
    expect(result.warnings[0]?.message).toContain("Reviewers:");
  });

  test("multiple_statements is a command-level hit", async () => {
    const result = await verdict("SELECT 1; SELECT 2", policy({ deny: ["multiple_statements"] }));
    expect(result.denied).toEqual([
      {
        rule: "multiple_statements",
        custom: false,
        message: expect.stringContaining("The command has 2 statements"),
      },
    ]);
    expect((await verdict("SELECT 1;", policy({ deny: ["multiple_statements"] }))).allowed).toBe(
      true,
    );
    const repeated = await verdict(
      "SELECT 1\nGO 3",
      policy({ deny: ["multiple_statements"] }),
      "mssql",
    );
    expect(repeated.denied[0]?.message).toContain("a batch repeated with GO n");
  });

  test("write denies anything that is not read-only, and isReadOnly agrees", async () => {
    const readOnly = policy({ deny: ["write"] });
    expect((await verdict("SELECT * FROM t", readOnly)).allowed).toBe(true);
    expect((await verdict("SELECT * FROM t FOR UPDATE", readOnly)).allowed).toBe(false);
    expect((await verdict("CREATE TABLE t (a int)", readOnly)).allowed).toBe(false);
    expect((await verdict("VACUUM t", readOnly)).allowed).toBe(false);
    // An ordinary session setting is allowed, but is never a read; a pinned one (search_path)
    // is refused everywhere (see the corpus).
    expect((await verdict("SET work_mem = '64MB'; SELECT 1", readOnly)).allowed).toBe(true);
    const classification = await classifyCommand("SET work_mem = '64MB'; SELECT 1", "postgres");
    expect(isReadOnly(classification)).toBe(false);
    expect(isReadOnly(await classifyCommand("SELECT 1; SHOW work_mem", "postgres"))).toBe(true);
  });

  test("the reason names the admin function", async () => {
    const result = await verdict("SELECT pg_terminate_backend(42)");
    expect(result.denied[0]?.message).toContain("Calls pg_terminate_backend");
    const tsql = await verdict("EXEC xp_cmdshell 'dir'", policy(), "mssql");
    expect(tsql.denied[0]?.message).toContain("Calls xp_cmdshell");
  });

  test("treatAsWrite is false only for read-only commands", async () => {
    expect((await verdict("SELECT 1")).treatAsWrite).toBe(false);
    expect((await verdict("INSERT INTO t VALUES (1)")).treatAsWrite).toBe(true);
  });
});

describe("evaluateGuardrails: custom rules", () => {
  const noPii = { name: "no-pii", pattern: "\\bssn\\b" };

  test("match case-insensitively and name the statement", async () => {
    const result = await verdict("SELECT 1; SELECT SSN FROM people", policy({ deny: [noPii] }));
    expect(result.denied).toEqual([
      {
        rule: "no-pii",
        custom: true,
        statement: { index: 1, excerpt: "SELECT SSN FROM people", line: 1 },
        message: expect.stringContaining("matches the custom rule `no-pii`"),
      },
    ]);
  });

  test("two rules with one name are two rules: a repository's cannot shadow the floor's", async () => {
    const decoy = { name: "no-pii", pattern: "zzz_never" };
    const result = await verdict(
      "SELECT ssn FROM people WHERE id = 1",
      policy({ deny: [decoy, noPii] }),
    );
    expect(result.allowed).toBe(false);
    expect(result.denied.map((hit) => hit.rule)).toEqual(["no-pii"]);
  });

  test("comments cannot split a word to dodge a rule", async () => {
    const rule = { name: "no-drop-users", pattern: "drop table users" };
    const result = await verdict("DROP/* x */TABLE/**/users", policy({ deny: [rule] }));
    expect(result.denied.map((hit) => hit.rule)).toEqual(["no-drop-users"]);
    const tsql = await verdict(
      "DROP/* a /* nested */ b */TABLE users",
      policy({ deny: [rule] }),
      "mssql",
    );
    expect(tsql.denied.map((hit) => hit.rule)).toEqual(["no-drop-users"]);
  });

  test("the raw text is matched too (rules about comments work)", async () => {
    const rule = { name: "no-hints", pattern: "/\\*\\+" };
    const result = await verdict("SELECT /*+ SeqScan(t) */ * FROM t", policy({ warn: [rule] }));
    expect(result.allowed).toBe(true);
    expect(result.warnings.map((hit) => hit.rule)).toEqual(["no-hints"]);
  });

  test("dollar-quoted and string contents are kept for matching", async () => {
    const rule = { name: "secret", pattern: "password" };
    expect((await verdict("SELECT $$password$$", policy({ deny: [rule] }))).allowed).toBe(false);
    expect((await verdict("SELECT 1 -- password", policy({ deny: [rule] }))).allowed).toBe(false);
  });

  test("no match, no hit", async () => {
    expect((await verdict("SELECT name FROM people", policy({ deny: [noPii] }))).allowed).toBe(
      true,
    );
  });

  test("custom rules still apply to unparsed commands", async () => {
    const result = await verdict(
      "SELEC ssn FROM people",
      policy({ deny: [noPii], allowUnparsed: true }),
    );
    expect(result.denied.map((hit) => hit.rule)).toEqual(["no-pii"]);
    expect(result.warnings.map((hit) => hit.rule)).toEqual(["unparsed"]);
  });

  test("an invalid pattern fails closed", async () => {
    const result = await verdict("SELECT 1", policy({ deny: [{ name: "broken", pattern: "(" }] }));
    expect(result.allowed).toBe(false);
    expect(result.denied[0]?.message).toContain("invalid pattern");
  });
});

describe("evaluateGuardrails: unparsed commands", () => {
  test("denied by default with the parser's message and position", async () => {
    const result = await verdict("SELECT 1;\n  SELEC 2");
    expect(result.allowed).toBe(false);
    expect(result.denied).toEqual([
      {
        rule: "unparsed",
        custom: false,
        message: expect.stringContaining(
          'could not parse the command at line 2, column 3: syntax error at or near "SELEC"',
        ),
      },
    ]);
    expect(result.denied[0]?.message).toContain("allow_unparsed");
    expect(result.treatAsWrite).toBe(true);
  });

  test("allow_unparsed lets it through with a warning, as a write", async () => {
    const result = await verdict("SELEC 1", policy({ allowUnparsed: true }));
    expect(result.allowed).toBe(true);
    expect(result.denied).toEqual([]);
    expect(result.warnings.map((hit) => hit.rule)).toEqual(["unparsed"]);
    expect(result.warnings[0]?.message).toContain("treated as a write");
    expect(result.treatAsWrite).toBe(true);
    expect(isReadOnly(await classifyCommand("SELEC 1", "postgres"))).toBe(false);
  });

  test("T-SQL parse errors carry line and column", async () => {
    const result = await verdict("SELECT 1\nGO\nSELECT 'open", policy(), "mssql");
    expect(result.denied[0]?.message).toContain("at line 3, column 8: unterminated string");
  });
});
