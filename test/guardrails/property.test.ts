/**
 * Property tests for the guardrails (issue 12, class 6 and "Tests that must exist"), for
 * both dialects:
 *
 * 1. a verdict always comes back: `classifyCommand` + `evaluateGuardrails` never throw and
 *    return a well-formed result, for deeply nested input and random token streams under
 *    64 KiB;
 * 2. within a time bound per KiB (generous: a bound, not a benchmark);
 * 3. never `allow` a command holding a denied statement spliced in at a statement boundary,
 *    including right after text that looks like a comment or an open quote but is not one
 *    for the server.
 *
 * Runs are seeded (PROPERTY_SEED overrides the seed, PROPERTY_RUNS_SCALE the number of
 * runs); fast-check prints the seed, the path and the shrunk counterexample of any failure.
 */
import fc from "fast-check";
import {
  DEFAULT_DENY,
  GUARDRAIL_RULES,
  STATEMENT_CLASSES,
  type GuardrailPolicy,
} from "../../src/policy/config.js";
import {
  STATEMENT_FLAGS,
  classifyCommand,
  evaluateGuardrails,
  loadGuardrails,
  type Classification,
  type Dialect,
  type GuardrailHit,
  type GuardrailVerdict,
} from "../../src/guardrails/index.js";
import {
  DENIED,
  MAX_BYTES,
  byteLength,
  harmlessCommand,
  largeCommand,
  nestedCommand,
  splicedCommand,
  tokenStream,
} from "./generators.js";

const SEED = Number(process.env.PROPERTY_SEED ?? 20261204);
/** PROPERTY_RUNS_SCALE=10 fuzzes ten times longer, by hand; the default keeps CI quick. */
const SCALE = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);

const RUNS = {
  nested: Math.ceil(30 * SCALE),
  stream: Math.ceil(400 * SCALE),
  large: Math.ceil(20 * SCALE),
  spliced: Math.ceil(1000 * SCALE),
  harmless: Math.ceil(200 * SCALE),
};

/**
 * Issue 12: "within a time bound per KiB". A bound, not a benchmark: it is there to catch a
 * classifier that goes quadratic or worse (seconds per KiB), and must never flake on a
 * loaded 2-core CI machine. The slowest linear input known (PostgreSQL's own parser on
 * 64 KiB of `+-+-…`, about 40 ms per KiB of CPU) stays at half of it.
 */
const MS_PER_KIB = 100;
const MS_BASE = 500;

function boundMs(sql: string): number {
  return (MS_PER_KIB * byteLength(sql)) / 1024 + MS_BASE;
}

const DEFAULT_POLICY: GuardrailPolicy = { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false };

/** Every built-in rule plus custom ones, so every branch of the verdict runs. */
const STRICT_POLICY: GuardrailPolicy = {
  deny: [...GUARDRAIL_RULES, { name: "no_drop_table", pattern: "drop\\s+table" }],
  warn: [{ name: "mentions_users", pattern: "\\busers\\b" }, "write"],
  allowUnparsed: false,
};

const LENIENT_POLICY: GuardrailPolicy = {
  deny: [],
  warn: [...GUARDRAIL_RULES],
  allowUnparsed: true,
};

interface Judgement {
  classification: Classification;
  verdict: GuardrailVerdict;
  /** CPU time (user + system) of the classification and the verdict. */
  ms: number;
  /** Wall-clock time, for the report only: other processes on the machine inflate it. */
  wallMs: number;
}

/**
 * Classifies and judges under the default policy, timing it. The bound is checked on CPU
 * time, which is what the classifier costs: wall-clock time on a shared, loaded machine
 * mostly measures the neighbours. Everything runs on this thread (the parser is WASM).
 */
async function judge(sql: string, dialect: Dialect): Promise<Judgement> {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const classification = await classifyCommand(sql, dialect);
  const verdict = evaluateGuardrails(classification, DEFAULT_POLICY, sql);
  const cpu = process.cpuUsage(cpuStart);
  return {
    classification,
    verdict,
    ms: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - wallStart,
  };
}

function summarise(classification: Classification): string {
  if (!classification.ok) return `unparsed: ${classification.error.message}`;
  return classification.statements
    .map((s) => `${s.command} [${s.kind}${s.flags.length > 0 ? `: ${s.flags.join(", ")}` : ""}]`)
    .join("; ");
}

function classificationProblems(sql: string, dialect: Dialect, c: Classification): string[] {
  const problems: string[] = [];
  if (typeof c !== "object" || c === null) return ["the classification is not an object"];
  if (c.dialect !== dialect) problems.push(`dialect ${String(c.dialect)} instead of ${dialect}`);
  if (!c.ok) {
    if (typeof c.error?.message !== "string" || c.error.message.trim() === "") {
      problems.push("an unparsed classification without a message");
    }
    const { position, line, column } = c.error ?? {};
    if (position !== undefined && !(position >= 0 && position <= sql.length)) {
      problems.push(`error position ${position} outside the command`);
    }
    if (line !== undefined && !(line >= 1)) problems.push(`error line ${line}`);
    if (column !== undefined && !(column >= 1)) problems.push(`error column ${column}`);
    return problems;
  }
  if (c.ok !== true) problems.push("ok is neither true nor false");
  if (!Array.isArray(c.statements)) return [...problems, "statements is not an array"];
  if (typeof c.multipleStatements !== "boolean") problems.push("multipleStatements not boolean");
  c.statements.forEach((s, i) => {
    const where = `statement ${i}`;
    if (s.index !== i) problems.push(`${where} has index ${s.index}`);
    if (!(STATEMENT_CLASSES as readonly string[]).includes(s.kind)) {
      problems.push(`${where} has kind ${String(s.kind)}`);
    }
    if (typeof s.command !== "string" || s.command === "") problems.push(`${where}: no command`);
    for (const flag of s.flags) {
      if (!STATEMENT_FLAGS.includes(flag)) problems.push(`${where}: unknown flag ${flag}`);
    }
    if (!Array.isArray(s.tables) || !Array.isArray(s.functions)) {
      problems.push(`${where}: tables or functions not arrays`);
    }
    if (typeof s.text !== "string" || s.text.length > 200) {
      problems.push(`${where}: excerpt missing or over 200 characters`);
    }
    if (!(0 <= s.start && s.start <= s.end && s.end <= sql.length)) {
      problems.push(`${where}: offsets ${s.start}..${s.end} outside 0..${sql.length}`);
    }
    if (!(s.line >= 1 && s.column >= 1)) problems.push(`${where}: line ${s.line}:${s.column}`);
    if (s.refusal !== undefined && (typeof s.refusal !== "string" || s.refusal === "")) {
      problems.push(`${where}: empty refusal`);
    }
  });
  return problems;
}

function verdictProblems(
  c: Classification,
  v: GuardrailVerdict,
  policy: GuardrailPolicy,
): string[] {
  const problems: string[] = [];
  if (typeof v !== "object" || v === null) return ["the verdict is not an object"];
  if (!Array.isArray(v.denied) || !Array.isArray(v.warnings)) {
    return ["denied or warnings is not an array"];
  }
  if (v.allowed !== (v.denied.length === 0)) problems.push("allowed disagrees with denied hits");
  if (typeof v.treatAsWrite !== "boolean") problems.push("treatAsWrite is not boolean");
  const hitOk = (hit: GuardrailHit): boolean =>
    typeof hit.rule === "string" &&
    hit.rule !== "" &&
    typeof hit.custom === "boolean" &&
    typeof hit.message === "string" &&
    hit.message !== "";
  if (![...v.denied, ...v.warnings].every(hitOk)) problems.push("a hit lacks rule or message");
  if (!c.ok) {
    if (!v.treatAsWrite) problems.push("an unparsed command is not treated as a write");
    if (!policy.allowUnparsed && v.allowed) problems.push("an unparsed command is allowed");
  }
  if (c.ok && c.statements.some((s) => s.refusal !== undefined) && v.allowed) {
    problems.push("a refused statement is allowed");
  }
  if (v.allowed && !v.treatAsWrite && !(c.ok && c.statements.every((s) => s.kind === "read"))) {
    problems.push("read-only verdict for a command that is not all reads");
  }
  return problems;
}

/**
 * Properties 1 and 2 for one input: no throw, a well-formed classification and verdict
 * (under the default, a strict and a lenient policy), within the time bound.
 */
async function checkVerdict(sql: string, dialect: Dialect): Promise<Judgement> {
  const judgement = await judge(sql, dialect);
  const { classification, verdict } = judgement;
  const problems = [
    ...classificationProblems(sql, dialect, classification),
    ...verdictProblems(classification, verdict, DEFAULT_POLICY),
  ];
  for (const policy of [STRICT_POLICY, LENIENT_POLICY]) {
    problems.push(
      ...verdictProblems(classification, evaluateGuardrails(classification, policy, sql), policy),
    );
  }
  if (problems.length > 0) {
    throw new Error(`malformed result (${summarise(classification)}): ${problems.join("; ")}`);
  }
  const bound = boundMs(sql);
  if (judgement.ms > bound) {
    // A GC pause is not a finding: measure once more and keep the better of the two.
    const again = await judge(sql, dialect);
    const best = again.ms < judgement.ms ? again : judgement;
    if (best.ms > bound) {
      throw new Error(
        `took ${best.ms.toFixed(0)} ms of CPU (${best.wallMs.toFixed(0)} ms wall, best of 2) for ${byteLength(sql)} bytes; bound ${bound.toFixed(0)} ms (${summarise(best.classification)})`,
      );
    }
  }
  return judgement;
}

function params<T>(runs: number, examples: T[] = []): fc.Parameters<[T]> {
  return {
    seed: SEED,
    numRuns: runs,
    examples: examples.map((example) => [example]),
  };
}

const LONG = 240_000;
/**
 * Shrinking a slow 64 KiB input costs seconds a step and only walks it down to the edge of
 * the bound: cap it for the large and nested inputs.
 */
const MAX_SHRINKS = 15;

beforeAll(async () => {
  await loadGuardrails();
  // Warm up both classifiers so the first timed run does not pay for compilation.
  for (const dialect of ["postgres", "mssql", "mysql"] as const) await judge("SELECT 1", dialect);
});

/** Nested inputs named in issue 12, class 6, run before the generated ones. */
const NESTED_EXAMPLES: Record<Dialect, string[]> = {
  postgres: [
    `SELECT ${"(".repeat(2500)}1${")".repeat(2500)}`,
    `SELECT ${"CASE WHEN true THEN ".repeat(2600)}1${" END".repeat(2600)}`,
    `SELECT ${"(SELECT ".repeat(3000)}1${")".repeat(3000)}`,
    `${"WITH c AS (".repeat(2000)}SELECT 1${") SELECT * FROM c".repeat(2000)}`,
    `${"/* ".repeat(10000)}${" */".repeat(10000)} SELECT 1`,
  ],
  mssql: [
    `SELECT ${"(".repeat(2500)}1${")".repeat(2500)}`,
    `${"IF 1 = 1 ".repeat(4000)}SELECT 1`,
    `${"BEGIN ".repeat(4100)}SELECT 1${" END".repeat(4100)}`,
    `${"/* ".repeat(10000)}${" */".repeat(10000)} SELECT 1`,
  ],
  mysql: [
    `SELECT ${"(".repeat(2500)}1${")".repeat(2500)}`,
    `${"/* ".repeat(10000)}${" */".repeat(10000)} SELECT 1`,
  ],
};

/**
 * Runs of one construct up to 64 KiB, where a scanner that backtracks turns quadratic
 * (PostgreSQL's lexer rescans a run of operator characters for each `/*` or trailing +/-).
 */
const LARGE_EXAMPLES: Record<Dialect, string[]> = {
  postgres: [
    "/*".repeat(32768),
    `${"/* ".repeat(21840)}*/ SELECT 1`,
    `SELECT ${"*/".repeat(32764)}`,
    `SELECT 1 ${"+-".repeat(32760)} 1`,
    `${"/*".repeat(16000)}${"*/".repeat(16000)} SELECT 1`,
  ],
  mssql: [
    `${"/* ".repeat(21840)}*/ SELECT 1`,
    "/*".repeat(32768),
    `${"/*".repeat(16000)}${"*/".repeat(16000)} SELECT 1`,
    `SELECT ${"(".repeat(65000)}`,
    "BEGIN ".repeat(10900),
  ],
  mysql: ["/*".repeat(32768), `${"/* ".repeat(21840)}*/ SELECT 1`, `SELECT ${"(".repeat(65000)}`],
};

/** Splices the issue names, or that need a precise shape (lone CR, backslash before a quote). */
const SPLICE_EXAMPLES: Record<Dialect, string[]> = {
  postgres: [
    "SELECT 1; -- x\rDROP TABLE users",
    "SELECT 'x\\'; DROP TABLE users; --'",
    "SELECT E'\\'--'; DROP TABLE users",
    "SELECT $$--$$; DELETE FROM users",
    "SELECT $a$ $$ /* $a$; TRUNCATE users; SELECT '*/'",
    'SELECT 1 AS "--"; UPDATE users SET a = 1',
  ],
  mssql: [
    "SELECT 1 -- x\rDROP TABLE users",
    "SELECT '--'\nDROP TABLE users",
    "SELECT 1 AS [--]; EXEC xp_cmdshell 'dir'",
    "SELECT N'/*' DELETE FROM users SELECT '*/'",
    "SELECT 'x\\'; TRUNCATE TABLE users; --'",
    "SELECT 1\nGO\nxp_cmdshell 'dir'",
  ],
  mysql: [
    "SELECT 'a\\'; DROP TABLE users; -- '",
    "SELECT 1 #\nDROP TABLE users",
    "SELECT 1 --x\nDROP TABLE users",
    "SELECT /*! 1; DROP TABLE users */",
  ],
};

describe.each<Dialect>(["postgres", "mssql"])("%s", (dialect) => {
  describe("a verdict always comes back, well formed and within the time bound", () => {
    test(
      `nested input (${RUNS.nested} runs, seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.limitShrink(nestedCommand(dialect), MAX_SHRINKS), async (sql) => {
            expect(byteLength(sql)).toBeLessThanOrEqual(MAX_BYTES);
            await checkVerdict(sql, dialect);
          }),
          params(RUNS.nested, NESTED_EXAMPLES[dialect]),
        );
      },
      LONG,
    );

    test(
      `random token streams (${RUNS.stream} runs, seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(tokenStream(dialect), async (sql) => {
            await checkVerdict(sql, dialect);
          }),
          params(RUNS.stream),
        );
      },
      LONG,
    );

    test(
      `large inputs up to 64 KiB (${RUNS.large} runs, seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.limitShrink(largeCommand(dialect), MAX_SHRINKS), async (sql) => {
            expect(byteLength(sql)).toBeLessThanOrEqual(MAX_BYTES);
            await checkVerdict(sql, dialect);
          }),
          params(RUNS.large, LARGE_EXAMPLES[dialect]),
        );
      },
      LONG,
    );
  });

  describe("never allow a denied statement spliced in", () => {
    test.each(DENIED[dialect].map((denied) => [denied.sql]))(
      "precondition: %s is denied on its own",
      async (sql) => {
        for (const text of [sql, `${sql};`, `\n${sql}\n`]) {
          const { verdict, classification } = await judge(text, dialect);
          expect({ text, allowed: verdict.allowed, why: summarise(classification) }).toEqual({
            text,
            allowed: false,
            why: expect.any(String),
          });
        }
      },
    );

    test(
      `generator sanity: harmless commands are allowed as reads (${RUNS.harmless} runs, seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(harmlessCommand(dialect), async (sql) => {
            const { classification, verdict } = await checkVerdict(sql, dialect);
            if (!verdict.allowed || verdict.treatAsWrite) {
              throw new Error(
                `harmless command not allowed as a read: ${summarise(classification)}; ${verdict.denied
                  .map((hit) => hit.rule)
                  .join(", ")}`,
              );
            }
          }),
          params(RUNS.harmless),
        );
      },
      LONG,
    );

    test(
      `harmless reads around one denied statement are never allowed (${RUNS.spliced} runs, seed ${SEED})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(splicedCommand(dialect), async ({ sql, denied }) => {
            const { classification, verdict } = await checkVerdict(sql, dialect);
            if (verdict.allowed) {
              throw new Error(
                `allowed${verdict.treatAsWrite ? "" : " as a read"} with "${denied}" spliced in: ${summarise(classification)}`,
              );
            }
          }),
          params(
            RUNS.spliced,
            SPLICE_EXAMPLES[dialect].map((sql) => ({ sql, denied: "(example)" })),
          ),
        );
      },
      LONG,
    );
  });
});
