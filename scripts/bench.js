#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark under bench/ (or those named: `npm run bench --
 * guardrails`), each in its own Node process, without a hand-made compile step.
 *
 * There is no TypeScript loader in the project (no tsx or ts-node), so this compiles
 * bench/*.ts and what they import from src/ with the project's own tsc (`--noCheck`: only the
 * JavaScript is needed; `npm run typecheck` checks the types of bench/ too) into a temporary
 * directory laid out like the repository (out/bench, out/src, out/templates) beside a
 * package.json with "type": "module" and a link to node_modules, then runs each
 * out/bench/<name>.js with `node --expose-gc` (so a bench's `global.gc?.()` runs) and the
 * caller's environment. The temporary directory is removed afterwards (BENCH_KEEP=1 keeps it).
 *
 * A bench that exits 2 says it lacks its configuration (bench/engine-rows.ts without
 * BENCH_DATABASE_URL or TEST_DATABASE_URL): it is reported as skipped, not failed. Any other
 * non-zero exit fails the run (exit 1) after the remaining benches have run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BENCH_DIR = join(ROOT, "bench");

const all = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
  .map((file) => basename(file, ".ts"))
  .sort();
const wanted = process.argv.slice(2).map((name) => basename(name).replace(/\.[jt]s$/, ""));
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(", ")} (bench/ has: ${all.join(", ")})`);
  process.exit(2);
}
const selected = wanted.length > 0 ? wanted : all;

const dir = mkdtempSync(join(tmpdir(), "countersign-bench-"));
const out = join(dir, "out");
let failed = false;
try {
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        extends: join(ROOT, "tsconfig.json"),
        compilerOptions: {
          rootDir: ROOT,
          outDir: out,
          noEmit: false,
          sourceMap: false,
          types: ["node"],
        },
        files: selected.map((name) => join(BENCH_DIR, `${name}.ts`)),
      },
      null,
      2,
    ),
  );
  const compileStarted = performance.now();
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json"), "--noCheck"], {
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`tsc failed:\n${built.stdout}${built.stderr}`);
  // src/render/templates.ts finds templates/ two levels above itself, as from dist/.
  mkdirSync(out, { recursive: true });
  symlinkSync(join(ROOT, "templates"), join(out, "templates"));
  console.log(
    `compiled ${selected.length} bench(es) with tsc in ${((performance.now() - compileStarted) / 1000).toFixed(1)} s (node ${process.version})`,
  );

  for (const name of selected) {
    console.log(`\n== bench/${name}.ts`);
    const started = performance.now();
    const run = spawnSync(process.execPath, ["--expose-gc", join(out, "bench", `${name}.js`)], {
      cwd: ROOT,
      stdio: "inherit",
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (run.status === 0) {
      console.log(`== bench/${name}.ts done in ${seconds} s`);
    } else if (run.status === 2) {
      console.log(`== bench/${name}.ts SKIPPED: not configured (see its header)`);
    } else {
      failed = true;
      console.log(
        `== bench/${name}.ts FAILED: ${run.signal ? `signal ${run.signal}` : `exit ${run.status}`}`,
      );
    }
  }
} catch (error) {
  failed = true;
  console.error(String(error instanceof Error ? error.message : error));
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
