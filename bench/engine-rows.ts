/**
 * Bench: a 1,000,000-row result through the PostgreSQL engine vs psql.
 *
 * The engine runs in this process; RSS is sampled every 10 ms (the engine yields to the event
 * loop between 1000-row batches, so the sampler does run). psql runs as a child under
 * /usr/bin/time -v, once as is (psql holds the whole result before printing) and once with
 * FETCH_COUNT=1000 (psql's own cursor mode), output to /dev/null.
 *
 * Run: [BENCH_ROWS=1000000] BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 * npm run bench -- engine-rows (without a database URL it exits 2: skipped).
 */
import { spawnSync } from "node:child_process";
import { PostgresEngine } from "../src/engines/postgres.js";

const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) {
  console.error(
    "Set BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g. postgres://postgres@127.0.0.1:5432/test",
  );
  process.exit(2);
}
// BENCH_ROWS changes the row count, to show that the engine's peak memory does not grow with it.
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const QUERY = `SELECT g, md5(g::text) FROM generate_series(1,${ROWS}) g`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function benchEngine(): Promise<void> {
  const engine = new PostgresEngine(url as string);
  // Warm-up: loads the WASM parser and pg, so the measured run is the streaming itself.
  await engine.execute({
    sql: "SELECT 1",
    readOnly: true,
    statementTimeoutMs: 60_000,
    lockTimeoutMs: 1_000,
    keepRows: 50,
  });
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const outcome = await engine.execute({
    sql: QUERY,
    readOnly: true,
    statementTimeoutMs: 120_000,
    lockTimeoutMs: 1_000,
    keepRows: 50,
  });
  const wall = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await engine.close();
  const set = outcome.resultSets[0];
  console.log(
    `engine : ${outcome.status}, totalRows=${set?.totalRows}, kept=${set?.rows.length}, ` +
      `wall ${(wall / 1000).toFixed(2)} s, peak RSS ${mb(peak)} (baseline before the query ${mb(baseline)}, +${mb(peak - baseline)})`,
  );
}

function benchPsql(label: string, extraArgs: string[]): void {
  const started = performance.now();
  const r = spawnSync(
    "/usr/bin/time",
    ["-v", "psql", url as string, "-X", "-q", ...extraArgs, "-o", "/dev/null", "-c", QUERY],
    { encoding: "utf8" },
  );
  const wall = performance.now() - started;
  const maxRssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  console.log(
    `${label}: exit ${r.status}, wall ${(wall / 1000).toFixed(2)} s, peak RSS ${mb(maxRssKb * 1024)}`,
  );
}

console.log(`query  : ${QUERY}`);
await benchEngine();
benchPsql("psql (default, whole result in memory)", []);
benchPsql("psql (FETCH_COUNT=1000, cursor)       ", ["-v", "FETCH_COUNT=1000"]);
