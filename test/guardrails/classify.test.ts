import {
  classifyCommand,
  classifyCommandSync,
  loadGuardrails,
  type Classification,
  type StatementInfo,
} from "../../src/guardrails/index.js";

function statements(classification: Classification): StatementInfo[] {
  if (!classification.ok) throw new Error(classification.error.message);
  return classification.statements;
}

beforeAll(async () => {
  await loadGuardrails();
});

describe("postgres", () => {
  test("statement offsets, lines and columns are in UTF-16 units despite multi-byte text", () => {
    const sql = "SELECT 'ü𝒳 日本';\n  DELETE FROM t WHERE id = 1;";
    const [first, second] = statements(classifyCommandSync(sql, "postgres"));
    expect(sql.slice(first?.start, first?.end)).toBe("SELECT 'ü𝒳 日本'");
    expect(sql.slice(second?.start, second?.end)).toBe("DELETE FROM t WHERE id = 1");
    expect([second?.line, second?.column]).toEqual([2, 3]);
  });

  test("parse error position is converted from characters to UTF-16 offsets", () => {
    const sql = "SELECT '𝒳𝒳';\nSELECT 1 FROMM t";
    const result = classifyCommandSync(sql, "postgres");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.position).toBe(sql.indexOf("t", sql.indexOf("FROMM")));
    expect(result.error.line).toBe(2);
    expect(result.error.column).toBe(16);
  });

  test("functions are kept for reviewers, even in harmless reads", async () => {
    const [statement] = statements(
      await classifyCommand("SELECT lower(name), myschema.score(id) FROM people", "postgres"),
    );
    expect(statement?.functions).toEqual(["lower", "myschema.score"]);
    // "Read" is an allowlist: a function the server's operator has not declared side-effect
    // free makes the statement a write.
    expect(statement?.kind).toBe("write");
    const [declared] = statements(
      await classifyCommand("SELECT lower(name), myschema.score(id) FROM people", "postgres", {
        readFunctions: ["myschema.score"],
      }),
    );
    expect(declared?.kind).toBe("read");
  });

  test("excerpts are collapsed and at most 200 characters", async () => {
    const sql = `SELECT\n\n ${Array.from({ length: 100 }, (_, i) => `col${i}`).join(",\n ")} FROM t`;
    const [statement] = statements(await classifyCommand(sql, "postgres"));
    expect(statement?.text.length).toBe(200);
    expect(statement?.text.startsWith("SELECT col0, col1")).toBe(true);
    expect(statement?.text.endsWith("…")).toBe(true);
  });

  test("reasons explain each flag", async () => {
    const [statement] = statements(
      await classifyCommand("UPDATE t SET a = 1 WHERE 1=1", "postgres"),
    );
    expect(statement?.reasons.update_without_where).toBe(
      "UPDATE has a WHERE clause that is always true: it changes every row",
    );
  });

  test("DO blocks: nested statements are classified and their tables reported", async () => {
    const [statement] = statements(
      await classifyCommand(
        "DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM a; TRUNCATE b; END $$",
        "postgres",
      ),
    );
    expect(statement?.flags).toEqual(["truncate", "ddl", "procedural", "write"]);
    expect(statement?.tables.sort()).toEqual(["a", "b"]);
  });
});

describe("mssql", () => {
  test("statements carry their batch and exact offsets", async () => {
    const sql = "SELECT 1\nGO\n  DELETE FROM t WHERE id = 1\nGO 2\nPRINT 'done'";
    const result = await classifyCommand(sql, "mssql");
    const list = statements(result);
    expect(list.map((s) => [s.batch, s.line, s.column])).toEqual([
      [0, 1, 1],
      [1, 3, 3],
      [2, 5, 1],
    ]);
    expect(sql.slice(list[1]?.start, list[1]?.end)).toBe("DELETE FROM t WHERE id = 1");
    expect(result.ok && result.multipleStatements).toBe(true);
  });

  test("procedure names are reported as functions", async () => {
    const [statement] = statements(await classifyCommand("EXEC [dbo].[Refresh] 1", "mssql"));
    expect(statement?.functions).toEqual(["[dbo].[Refresh]"]);
    expect(statement?.command).toBe("EXEC");
  });

  test("flags absorbed into another statement still fire", async () => {
    // ALTER TABLE may continue with DROP COLUMN, so a following DROP TABLE is absorbed.
    const [statement] = statements(
      await classifyCommand("ALTER TABLE t ADD c int DROP TABLE users", "mssql"),
    );
    expect(statement?.flags).toContain("drop");
  });

  test("errors carry line and column", async () => {
    const result = await classifyCommand("SELECT 1;\n  FROBNICATE x", "mssql");
    expect(result).toEqual({
      ok: false,
      dialect: "mssql",
      error: {
        message: "unrecognised statement starting with FROBNICATE",
        position: 12,
        line: 2,
        column: 3,
      },
    });
  });
});
