/**
 * The MySQL/MariaDB classifier beyond the corpus: lexical rules, statement splitting,
 * refusals that hold on every resource, the operator's read functions, and the corpus
 * agreement figure.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_DENY, type GuardrailPolicy } from "../../src/policy/config.js";
import { classifyCommandSync, evaluateGuardrails, isReadOnly } from "../../src/guardrails/index.js";
import { blankComments, tokenizeMysql } from "../../src/guardrails/mysql-tokenize.js";
import { splitMysqlStatements } from "../../src/guardrails/mysql-split.js";
import type { Classification } from "../../src/guardrails/index.js";

const policy: GuardrailPolicy = { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false };
const lenient: GuardrailPolicy = { deny: [], warn: [], allowUnparsed: true };

function classify(sql: string, readFunctions?: string[]): Classification {
  return classifyCommandSync(sql, "mysql", readFunctions === undefined ? {} : { readFunctions });
}

function statements(sql: string) {
  const result = classify(sql);
  if (!result.ok) throw new Error(`unexpected parse error: ${result.error.message}`);
  return result.statements;
}

describe("mysql tokenizer", () => {
  test("-- starts a comment only before whitespace or the end", () => {
    const spaced = tokenizeMysql("SELECT 1 -- x\nFROM t");
    expect(spaced.ok && spaced.comments).toEqual([[9, 13]]);
    expect(spaced.ok && spaced.hazard).toBeUndefined();
    const atEnd = tokenizeMysql("SELECT 1 --");
    expect(atEnd.ok && atEnd.comments).toEqual([[9, 11]]);
    const glued = tokenizeMysql("SELECT 1--1");
    expect(glued.ok && glued.hazard?.reason).toMatch(/two minus signs/);
  });

  test("doubled quotes stay inside strings and quoted names", () => {
    const result = tokenizeMysql("SELECT 'it''s', `a``b` FROM t");
    if (!result.ok) throw new Error(result.message);
    const values = result.tokens.map((token) => [token.type, token.value]);
    expect(values).toContainEqual(["string", "it's"]);
    expect(values).toContainEqual(["quoted", "a`b"]);
    expect(result.hazard).toBeUndefined();
  });

  test("each lexical hazard is found at its offset", () => {
    const cases: [string, number, RegExp][] = [
      ["SELECT 1 /*! 2 */", 9, /executable comment/],
      ["SELECT 1 /*M!100000 2 */", 9, /MariaDB runs/],
      ["SELECT /*+ BKA(t) */ 1", 7, /optimizer hint/],
      ["SELECT 1 # x", 9, /# comment/],
      ["SELECT 'a\\'b'", 9, /backslash/],
      ["SELECT \\N", 7, /backslash/],
      ["SELECT a || b", 9, /\|\|/],
      ["SELECT 1 /* a /* b */", 14, /inside another/],
    ];
    for (const [sql, position, reason] of cases) {
      const result = tokenizeMysql(sql);
      expect(result.hazard?.position).toBe(position);
      expect(result.hazard?.reason).toMatch(reason);
    }
  });

  test("unterminated strings, names and comments are errors", () => {
    expect(tokenizeMysql("SELECT 'abc").ok).toBe(false);
    expect(tokenizeMysql("SELECT `abc").ok).toBe(false);
    expect(tokenizeMysql("SELECT 1 /* abc").ok).toBe(false);
  });

  test("blanking comments keeps every offset and line", () => {
    const sql = "SELECT /* x */ 1 -- y\nFROM t";
    const result = tokenizeMysql(sql);
    if (!result.ok) throw new Error(result.message);
    const blank = blankComments(sql, result.comments);
    expect(blank).toHaveLength(sql.length);
    expect(blank).toBe("SELECT         1     \nFROM t");
  });
});

describe("mysql statement splitting", () => {
  function split(sql: string): string[] {
    const result = tokenizeMysql(sql);
    if (!result.ok) throw new Error(result.message);
    return splitMysqlStatements(result.tokens).map((range) => {
      const first = result.tokens[range.start];
      const last = result.tokens[range.end - 1];
      return sql.slice(first?.start, last?.end);
    });
  }

  test("semicolons split outside stored-program bodies only", () => {
    expect(split("SELECT 1; SELECT ';'")).toEqual(["SELECT 1", "SELECT ';'"]);
    const body = "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; SELECT 2; END";
    expect(split(`${body}; SELECT 3`)).toEqual([body, "SELECT 3"]);
  });

  test("IF(), IF EXISTS, CASE expressions and FOR UPDATE do not open blocks", () => {
    const body =
      "CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS x; SELECT IF(a, 1, 2), CASE WHEN a THEN 1 END FROM t FOR UPDATE; END";
    expect(split(`${body}; DELETE FROM users`)).toEqual([body, "DELETE FROM users"]);
  });

  // A routine whose body is a DO statement ends at its first `;`, as the server reads it: what
  // follows is its own statement, judged as one (it was swallowed into the routine before).
  test("after a DO statement IF( is a call, not a block; after WHILE … DO a statement starts", () => {
    const routine = "CREATE PROCEDURE p() DO IF(1, 1, 1)";
    expect(split(`${routine}; DELETE FROM users; END IF`)).toEqual([
      routine,
      "DELETE FROM users",
      "END IF",
    ]);
    const loop = "CREATE PROCEDURE p() WHILE 0 DO IF 1 THEN SELECT 1; END IF; END WHILE";
    expect(split(`${loop}; SELECT 2`)).toEqual([loop, "SELECT 2"]);
    const doInLoop = "CREATE PROCEDURE p() BEGIN WHILE 0 DO DO IF(1, 1, 1); END WHILE; END";
    expect(split(`${doInLoop}; SELECT 3`)).toEqual([doInLoop, "SELECT 3"]);
  });

  test("a body that does not balance is an error, never a longer statement", () => {
    const result = classify("CREATE PROCEDURE p() BEGIN SELECT 1; END; DELETE FROM users; END");
    expect(result.ok).toBe(false);
    const unbalanced = classify("CREATE PROCEDURE p() BEGIN SELECT 1;");
    expect(unbalanced.ok).toBe(false);
    if (!unbalanced.ok) expect(unbalanced.error.message).toMatch(/BEGIN without its END/);
  });
});

describe("mysql refusals hold on every resource", () => {
  test.each([
    "SELECT 1 /*!50000 , SLEEP(10) */",
    "SELECT 'a\\'; DROP TABLE users; -- '",
    "SET sql_mode = 'NO_BACKSLASH_ESCAPES'",
    "START TRANSACTION",
    "LOCK TABLES t WRITE",
    "SET GLOBAL read_only = 0",
    "UPDATE t SET a = 1 WHERE id = 1; ALTER TABLE t ADD b INT",
    "LOAD DATA LOCAL INFILE '/proc/self/environ' INTO TABLE t",
    "CREATE PROCEDURE p() DO IF(1,1,1); COMMIT; SET GLOBAL general_log = 1",
  ])("%s", (sql) => {
    const classification = classify(sql);
    expect(classification.ok).toBe(true);
    expect(isReadOnly(classification)).toBe(false);
    const verdict = evaluateGuardrails(classification, lenient, sql);
    expect(verdict.allowed).toBe(false);
    expect(verdict.denied.map((hit) => hit.rule)).toContain("refused");
  });

  test("a whole-command refusal names the line and column of what was found", () => {
    const [statement] = statements("SELECT 1;\nSELECT 2 # note");
    expect(statement?.refusal).toMatch(/^at line 2, column 10 the command contains a # comment/);
    expect(statement?.command).toBe("UNREADABLE COMMAND");
  });
});

describe("mysql reads", () => {
  test("an operator's read function keeps a statement read", () => {
    expect(isReadOnly(classify("SELECT reporting.total(1)"))).toBe(false);
    expect(isReadOnly(classify("SELECT reporting.total(1)", ["reporting.total"]))).toBe(true);
  });

  test("functions are listed for the reviewers", () => {
    const [statement] = statements("SELECT COUNT(*), hr.bonus(id) FROM staff");
    expect(statement?.functions).toEqual(["count", "hr.bonus"]);
    expect(statement?.reasons.write).toMatch(/calls hr\.bonus/);
  });

  test("a parse error reports where the parser stopped", () => {
    const result = classify("SELECT 1;\nSELECT * FROM t FOR SHARE");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.line).toBe(2);
    const verdict = evaluateGuardrails(result, policy, "x");
    expect(verdict.denied.map((hit) => hit.rule)).toEqual(["unparsed"]);
  });

  test("always-true WHERE clauses are read with MySQL's precedence", () => {
    const flags = (sql: string) => statements(sql).flatMap((statement) => statement.flags);
    expect(flags("DELETE FROM t WHERE 1 OR a = 1 AND b = 2")).toContain("delete_without_where");
    expect(flags("DELETE FROM t WHERE a = 1 OR b = 2 AND 0")).not.toContain("delete_without_where");
    expect(flags("DELETE FROM t WHERE a = 1 AND 1 OR 1")).toContain("delete_without_where");
    expect(flags("UPDATE t SET a = 1 WHERE a = 1 && 1")).not.toContain("update_without_where");
  });
});

describe("mysql corpus", () => {
  test("every case agrees with the classifier", () => {
    interface Entry {
      name: string;
      sql: string;
      expect: { ok: boolean; kinds?: string[]; flags?: string[]; denied_by_default: boolean };
    }
    const url = new URL("./corpus/mysql.json", `file://${process.cwd()}/test/guardrails/`);
    const entries = JSON.parse(readFileSync(url, "utf8")) as Entry[];
    const disagreements = entries.filter((entry) => {
      const result = classify(entry.sql);
      const verdict = evaluateGuardrails(result, policy, entry.sql);
      if (result.ok !== entry.expect.ok || verdict.allowed === entry.expect.denied_by_default) {
        return true;
      }
      if (!result.ok) return false;
      const kinds = result.statements.map((statement) => statement.kind);
      const flags = [...new Set(result.statements.flatMap((statement) => statement.flags))].sort();
      return (
        JSON.stringify(kinds) !== JSON.stringify(entry.expect.kinds) ||
        JSON.stringify(flags) !== JSON.stringify(entry.expect.flags)
      );
    });
    console.log(
      `mysql corpus: ${entries.length - disagreements.length} of ${entries.length} cases agree`,
    );
    expect(entries.length).toBeGreaterThanOrEqual(80);
    expect(disagreements.map((entry) => entry.name)).toEqual([]);
  });
});
