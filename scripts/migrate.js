#!/usr/bin/env node
/**
 * `npm run migrate`: brings the app's own store to the newest schema and says what it did.
 *
 * The same store and the same migrations as `npm start`, which also migrates at start:
 * DATABASE_URL when set, otherwise the embedded store in COUNTERSIGN_DATA_DIR (default
 * `.countersign-data`). Like the app, it first reads `.env` in the working directory, whose
 * values win over the environment (Probot's rule), so it migrates the store the app uses.
 *
 * Runs the compiled code: `npm run migrate` builds dist/ first (premigrate), the container
 * image has dist/ already (`node scripts/migrate.js`). Exit 0 when the schema is current,
 * 1 on any error. The embedded store belongs to one process: stop the app before running
 * this against it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { URL } from "node:url";
import { parseEnv } from "node:util";

try {
  Object.assign(process.env, parseEnv(readFileSync(join(process.cwd(), ".env"), "utf8")));
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}

let modules;
try {
  modules = {
    database: await import("../dist/store/database.js"),
    migrations: await import("../dist/store/migrations.js"),
  };
} catch (error) {
  console.error(`countersign migrate: cannot load dist/ (run \`npm run build\` first): ${error}`);
  process.exit(1);
}
const { openDatabase, DEFAULT_EMBEDDED_PATH } = modules.database;
const { migrationSource } = modules.migrations;

const url = process.env.DATABASE_URL || undefined;
const embeddedPath = process.env.COUNTERSIGN_DATA_DIR || DEFAULT_EMBEDDED_PATH;
const target = url ? `PostgreSQL ${redact(url)}` : `embedded store in ${embeddedPath}`;

const started = new Date();
let database;
try {
  console.log(`countersign migrate: ${target}`);
  // openDatabase runs every pending migration, exactly as at the app's start.
  database = await openDatabase({ url, embeddedPath });
  const [completed, pending] = await database.knex.migrate.list({ migrationSource });
  const rows = await database.knex("knex_migrations").select("name", "batch", "migration_time");
  const byName = new Map(rows.map((row) => [row.name, row]));
  let appliedNow = 0;
  for (const { name } of completed) {
    const row = byName.get(name);
    const at = row ? new Date(row.migration_time) : undefined;
    // knex stamps migration_time with this process's clock, so the comparison is exact.
    const now = at !== undefined && at >= started;
    if (now) appliedNow += 1;
    const when = at ? at.toISOString() : "?";
    console.log(`  ${name.padEnd(36)} ${now ? "applied now" : "applied"} ${when}`);
  }
  for (const migration of pending) console.log(`  ${migration.name ?? migration} PENDING`);
  console.log(
    `${completed.length} migrations applied (${appliedNow} by this run), ${pending.length} pending`,
  );
  await database.close();
  process.exit(pending.length === 0 ? 0 : 1);
} catch (error) {
  console.error(`countersign migrate failed: ${error instanceof Error ? error.stack : error}`);
  await database?.close().catch(() => undefined);
  process.exit(1);
}

function redact(value) {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL is not a URL)";
  }
}
