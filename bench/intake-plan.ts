/**
 * Bench: what the plan before approval adds to an intake (issue 16), on the local PostgreSQL.
 *
 * The intake's command check is run as intake runs it (createCommandChecker, guardrails and
 * then the plan), with and without a connection configured, over a 2-statement command on a
 * 200,000-row table in a scratch schema; and once more with a preview target (the dry run).
 * It prints the median and p95 of each and the difference: the plan adds no GitHub call, only
 * this time in the intake job.
 *
 * Run: [BENCH_RUNS=40] BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 * npm run bench -- intake-plan (without a database URL it exits 2: skipped).
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import pg from "pg";
import { createCommandChecker } from "../src/requests/command-check.js";
import { previewUrlVariable } from "../src/requests/command-assessment.js";
import { parseConfig, type ResourcePolicy } from "../src/policy/config.js";

const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) {
  console.error("Set BENCH_DATABASE_URL (or TEST_DATABASE_URL)");
  process.exit(2);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 40);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(run: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  await run(); // warm-up: the WASM parser, pg, the connection path
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p95: percentile(times, 95) };
}

const parsed = parseConfig({ resources: { "prod-db": { approvals: "none" } } });
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const policy = parsed.config.resources["prod-db"] as ResourcePolicy;

const schema = `cs_bench_${randomBytes(5).toString("hex")}`;
const previewDb = `cs_bench_preview_${randomBytes(5).toString("hex")}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const previewUrl = Object.assign(new URL(url), { pathname: `/${previewDb}` }).toString();
const setup = (name: string) => `CREATE SCHEMA ${name};
  CREATE TABLE ${name}.orders (id int PRIMARY KEY, customer int NOT NULL, note text);
  INSERT INTO ${name}.orders SELECT g, g % 1000, NULL FROM generate_series(1, 200000) g;
  ANALYZE ${name}.orders`;
try {
  await admin.query(setup(schema));
  await admin.query(`CREATE DATABASE ${previewDb}`);
  const preview = new pg.Client({ connectionString: previewUrl });
  await preview.connect();
  await preview.query(setup(schema));
  await preview.end();

  const command = `UPDATE ${schema}.orders SET note = 'x' WHERE id = 42; DELETE FROM ${schema}.orders WHERE customer = 7`;
  const guardrailsOnly = createCommandChecker({});
  const withPlan = createCommandChecker({ COUNTERSIGN_RESOURCE_PROD_DB_URL: url });
  const withPreview = createCommandChecker({
    COUNTERSIGN_RESOURCE_PROD_DB_URL: url,
    [previewUrlVariable("prod-db")]: previewUrl,
  });
  const base = await measure(() => guardrailsOnly(command, policy, { preview: true }));
  const planned = await measure(() => withPlan(command, policy, { preview: true }));
  const previewed = await measure(() => withPreview(command, policy, { preview: true }));
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const [one, five] = loadavg();
  console.log(
    `machine: load ${one?.toFixed(2)} ${five?.toFixed(2)}; ${RUNS} runs each; 2 statements on a 200,000-row table`,
  );
  console.log(`guardrails only        : median ${ms(base.median)}, p95 ${ms(base.p95)}`);
  console.log(
    `+ plan (EXPLAIN)       : median ${ms(planned.median)}, p95 ${ms(planned.p95)} ` +
      `(adds ${ms(planned.median - base.median)} at the median)`,
  );
  console.log(
    `+ plan + dry run       : median ${ms(previewed.median)}, p95 ${ms(previewed.p95)} ` +
      `(adds ${ms(previewed.median - base.median)} at the median)`,
  );
  console.log(
    "GitHub calls added per intake: 0 (the sections are part of the PR body written anyway)",
  );
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP DATABASE IF EXISTS ${previewDb}`);
  await admin.end();
}
