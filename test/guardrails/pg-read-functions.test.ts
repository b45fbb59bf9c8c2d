/**
 * "Read" is an allowlist (issue 12, class 2): the generated list of built-ins, the
 * operator's `read_functions`, and what happens to a read that calls anything else.
 */
import {
  classifyCommand,
  evaluateGuardrails,
  isReadOnly,
  loadGuardrails,
  type Classification,
  type StatementInfo,
} from "../../src/guardrails/index.js";
import {
  functionVerdict,
  plannerSafe,
  readFunctionSet,
} from "../../src/guardrails/pg-functions.js";
import { PG_OTHER_BUILTINS, PG_READ_FUNCTIONS } from "../../src/guardrails/pg-read-functions.js";
import { DEFAULT_DENY } from "../../src/policy/config.js";

beforeAll(async () => {
  await loadGuardrails();
});

function only(classification: Classification): StatementInfo {
  if (!classification.ok) throw new Error(classification.error.message);
  const [statement] = classification.statements;
  if (statement === undefined) throw new Error("no statement");
  return statement;
}

const none = readFunctionSet([]);

describe("the generated list", () => {
  test("holds the everyday built-ins, aggregates and window functions", () => {
    for (const name of ["lower", "now", "count", "sum", "row_number", "jsonb_build_object"]) {
      expect(PG_READ_FUNCTIONS.has(name)).toBe(true);
    }
  });

  test("holds what SQL-standard syntax turns into", () => {
    for (const name of ["extract", "substring", "position", "btrim", "overlay", "timezone"]) {
      expect(PG_READ_FUNCTIONS.has(name)).toBe(true);
    }
  });

  test("leaves out functions that run hidden query text or change something", () => {
    for (const name of [
      "query_to_xml",
      "cursor_to_xml",
      "ts_stat",
      "ts_rewrite",
      "database_to_xml",
      "txid_current",
      "set_config",
      "nextval",
      "setval",
      "pg_advisory_lock",
      "lo_unlink",
      "pg_terminate_backend",
      "pg_sleep",
    ]) {
      expect(PG_READ_FUNCTIONS.has(name)).toBe(false);
    }
  });

  test("keeps a few volatile functions that change nothing", () => {
    for (const name of ["random", "clock_timestamp", "gen_random_uuid", "pg_relation_size"]) {
      expect(PG_READ_FUNCTIONS.has(name)).toBe(true);
    }
  });

  test("every other built-in is known, so EXPLAIN can tell it from a user function", () => {
    expect(PG_OTHER_BUILTINS.has("pg_terminate_backend")).toBe(true);
    expect(PG_OTHER_BUILTINS.has("lower")).toBe(false);
  });
});

describe("functionVerdict", () => {
  test.each<[string[], string]>([
    [["lower"], "read"],
    [["pg_catalog", "lower"], "read"],
    [["public", "lower"], "unknown"],
    [["pg_terminate_backend"], "admin"],
    [["pg_catalog", "pg_terminate_backend"], "admin"],
    [["ext", "dblink_exec"], "admin"],
    [["aws_s3", "query_export_to_s3"], "admin"],
    [["pg_background_launch"], "admin"],
    [["http_post"], "unknown"],
    [["setval"], "unknown"],
    [["my_report"], "unknown"],
    [["LOWER"], "unknown"],
  ])("%j is %s", (parts, verdict) => {
    expect(functionVerdict(parts, none)).toBe(verdict);
  });

  test("the operator's list extends it, schema by schema", () => {
    const extra = readFunctionSet(["my_report", "Reporting.Totals"]);
    expect(functionVerdict(["my_report"], extra)).toBe("read");
    expect(functionVerdict(["reporting", "totals"], extra)).toBe("read");
    expect(functionVerdict(["totals"], extra)).toBe("unknown");
    expect(functionVerdict(["other", "my_report"], extra)).toBe("unknown");
  });

  test("only built-ins and listed functions are safe to plan", () => {
    expect(plannerSafe(["pg_terminate_backend"], none)).toBe(true);
    expect(plannerSafe(["app", "score"], none)).toBe(false);
    expect(plannerSafe(["app", "score"], readFunctionSet(["app.score"]))).toBe(true);
  });
});

describe("classification with read_functions", () => {
  test("an unknown function makes a read a write that names it", async () => {
    const statement = only(await classifyCommand("SELECT reporting.totals(2024)", "postgres"));
    expect(statement.kind).toBe("write");
    expect(statement.flags).toEqual(["write"]);
    expect(statement.reasons.write).toBe(
      "calls reporting.totals, which is not known to be free of side effects",
    );
  });

  test("a listed function keeps it a read", async () => {
    const options = { readFunctions: ["reporting.totals"] };
    const classification = await classifyCommand(
      "SELECT reporting.totals(2024)",
      "postgres",
      options,
    );
    expect(only(classification).kind).toBe("read");
    expect(isReadOnly(classification)).toBe(true);
  });

  test("an admin function is kind admin and denied by default", async () => {
    const sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity";
    const classification = await classifyCommand(sql, "postgres");
    expect(only(classification).kind).toBe("admin");
    expect(isReadOnly(classification)).toBe(false);
    const verdict = evaluateGuardrails(
      classification,
      { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false },
      sql,
    );
    expect(verdict.denied.map((hit) => hit.rule)).toEqual(["admin_functions"]);
  });

  test("a read-only resource refuses an unknown function even with admin_functions allowed", async () => {
    const sql = "SELECT http_post('https://example.com', 'x', 'text/plain')";
    const verdict = evaluateGuardrails(
      await classifyCommand(sql, "postgres"),
      { deny: ["write"], warn: [], allowUnparsed: false },
      sql,
    );
    expect(verdict.allowed).toBe(false);
    expect(verdict.treatAsWrite).toBe(true);
  });

  test("the desync attack is refused whatever the deny list", async () => {
    const sql =
      "SELECT set_config('standard_conforming_strings', 'off', false); " +
      "SELECT 'x\\' , $$' , pg_terminate_backend(pid) FROM pg_stat_activity --$$";
    const verdict = evaluateGuardrails(
      await classifyCommand(sql, "postgres"),
      { deny: [], warn: [], allowUnparsed: false },
      sql,
    );
    expect(verdict.allowed).toBe(false);
    expect(verdict.denied.map((hit) => hit.rule)).toEqual(["refused"]);
    expect(verdict.treatAsWrite).toBe(true);
  });

  test("EXPLAIN without ANALYZE of an admin call is a read with no flags", async () => {
    const statement = only(
      await classifyCommand("EXPLAIN SELECT pg_terminate_backend(1)", "postgres"),
    );
    expect([statement.kind, statement.flags]).toEqual(["read", []]);
    expect(statement.functions).toEqual(["pg_terminate_backend"]);
  });
});
