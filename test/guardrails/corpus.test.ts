/**
 * Runs every command of the guardrail corpus (test/guardrails/corpus/*.json) through the
 * classifier and the default policy. The corpus is data so that a reviewer can add a
 * case without touching code.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_DENY, type GuardrailPolicy } from "../../src/policy/config.js";
import {
  classifyCommand,
  evaluateGuardrails,
  isReadOnly,
  loadGuardrails,
  type Dialect,
} from "../../src/guardrails/index.js";

interface CorpusEntry {
  name: string;
  sql: string;
  note: string;
  expect: {
    ok: boolean;
    kinds?: string[];
    flags?: string[];
    tables?: string[];
    commands?: string[];
    multiple_statements?: boolean;
    error?: string;
    denied_by_default: boolean;
  };
}

function load(file: string): CorpusEntry[] {
  const url = new URL(`./corpus/${file}`, `file://${process.cwd()}/test/guardrails/`);
  return JSON.parse(readFileSync(url, "utf8")) as CorpusEntry[];
}

const defaultPolicy: GuardrailPolicy = { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false };

beforeAll(async () => {
  await loadGuardrails();
});

describe.each<[Dialect, string]>([
  ["postgres", "postgres.json"],
  ["mssql", "mssql.json"],
  ["mysql", "mysql.json"],
])("%s corpus", (dialect, file) => {
  const entries = load(file);

  test("has at least 100 commands", () => {
    expect(entries.length).toBeGreaterThanOrEqual(100);
  });

  test.each(entries.map((entry) => [entry.name, entry] as const))("%s", async (_name, entry) => {
    const classification = await classifyCommand(entry.sql, dialect);
    const { expect: want } = entry;
    expect(classification.ok).toBe(want.ok);
    if (classification.ok) {
      const { statements } = classification;
      expect(statements.map((s) => s.kind)).toEqual(want.kinds);
      const flags = [...new Set(statements.flatMap((s) => s.flags))].sort();
      expect(flags).toEqual(want.flags);
      if (want.tables !== undefined) {
        expect([...new Set(statements.flatMap((s) => s.tables))].sort()).toEqual(
          [...want.tables].sort(),
        );
      }
      if (want.commands !== undefined) {
        expect(statements.map((s) => s.command)).toEqual(want.commands);
      }
      if (want.multiple_statements !== undefined) {
        expect(classification.multipleStatements).toBe(want.multiple_statements);
      }
      expect(isReadOnly(classification)).toBe(statements.every((s) => s.kind === "read"));
      for (const statement of statements) {
        expect(statement.text.length).toBeLessThanOrEqual(200);
        expect(entry.sql.slice(statement.start, statement.end).length).toBeGreaterThan(0);
      }
    } else if (want.error !== undefined) {
      expect(classification.error.message.toLowerCase()).toContain(want.error.toLowerCase());
    }
    const verdict = evaluateGuardrails(classification, defaultPolicy, entry.sql);
    expect(verdict.allowed).toBe(!want.denied_by_default);
    if (!classification.ok) {
      expect(verdict.denied.map((hit) => hit.rule)).toContain("unparsed");
      expect(verdict.treatAsWrite).toBe(true);
    }
  });
});
