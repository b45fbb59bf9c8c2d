#!/usr/bin/env node
/**
 * Regenerates src/guardrails/pg-read-functions.ts: the PostgreSQL built-in functions the
 * guardrails accept in a read (issue 12, class 2). Run against a stock server of the
 * version we target, with no extensions installed in pg_catalog:
 *
 *   node scripts/gen-pg-read-functions.mjs            # psql -h 127.0.0.1 -U postgres -d test
 *   PGHOST=… PGUSER=… PGDATABASE=… node scripts/gen-pg-read-functions.mjs
 *   npx prettier --write src/guardrails/pg-read-functions.ts
 *
 * The list is every pg_catalog function whose volatility is immutable or stable (plain
 * functions, aggregates and window functions alike), minus NOT_READ below, plus
 * VOLATILE_READS below. Everything else in pg_catalog is written to PG_OTHER_BUILTINS, so
 * EXPLAIN can tell a built-in (never run while planning) from a user function (which the
 * planner may run if it is declared immutable).
 */
import { execFileSync } from "node:child_process";
import console from "node:console";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { URL } from "node:url";

/**
 * Marked immutable/stable, but not a read the guardrails can vouch for: they run SQL text
 * (or a cursor, or whole tables/schemas) the parser never sees, assign a transaction id,
 * or validate function bodies.
 */
const NOT_READ = {
  ts_rewrite: "ts_rewrite(query, 'SELECT …') runs the query text",
  ts_stat: "runs the query text",
  query_to_xml: "runs the query text",
  query_to_xmlschema: "runs the query text",
  query_to_xml_and_xmlschema: "runs the query text",
  cursor_to_xml: "fetches from a cursor the guardrails never saw",
  cursor_to_xmlschema: "fetches from a cursor the guardrails never saw",
  table_to_xml: "reads a whole table by an OID-valued argument",
  table_to_xmlschema: "reads a table by an OID-valued argument",
  table_to_xml_and_xmlschema: "reads a whole table by an OID-valued argument",
  schema_to_xml: "reads every table of a schema",
  schema_to_xmlschema: "reads every table of a schema",
  schema_to_xml_and_xmlschema: "reads every table of a schema",
  database_to_xml: "reads every table of the database",
  database_to_xmlschema: "reads every table of the database",
  database_to_xml_and_xmlschema: "reads every table of the database",
  txid_current: "assigns a transaction id (a write to the XID space)",
  pg_current_xact_id: "assigns a transaction id (a write to the XID space)",
  fmgr_c_validator: "validates a function body, not a read",
  fmgr_internal_validator: "validates a function body, not a read",
  fmgr_sql_validator: "parses and plans a function body",
};

/** Volatile only because their answer changes between calls; they change nothing. */
const VOLATILE_READS = {
  random: "a random number",
  clock_timestamp: "the wall clock",
  timeofday: "the wall clock",
  gen_random_uuid: "a random UUID",
  pg_database_size: "a size on disk",
  pg_relation_size: "a size on disk",
  pg_table_size: "a size on disk",
  pg_indexes_size: "a size on disk",
  pg_total_relation_size: "a size on disk",
  pg_tablespace_size: "a size on disk",
  pg_is_in_recovery: "replication status",
  pg_last_wal_receive_lsn: "replication status",
  pg_last_wal_replay_lsn: "replication status",
  pg_last_xact_replay_timestamp: "replication status",
  pg_is_wal_replay_paused: "replication status",
  pg_get_wal_replay_pause_state: "replication status",
  pg_current_wal_lsn: "WAL position",
  pg_current_wal_insert_lsn: "WAL position",
  pg_current_wal_flush_lsn: "WAL position",
  pg_blocking_pids: "lock status (what pg_locks shows)",
  pg_safe_snapshot_blocking_pids: "lock status",
  pg_lock_status: "lock status (the pg_locks view)",
  pg_partition_tree: "catalog lookup",
  pg_partition_ancestors: "catalog lookup",
  pg_sequence_last_value: "sequence status (the pg_sequences view), no nextval",
  pg_xact_status: "transaction status",
  txid_status: "transaction status",
  pg_jit_available: "server capability",
  pg_notification_queue_usage: "queue status",
  pg_prepared_xact: "the pg_prepared_xacts view",
  current_query: "the text of the current query",
};

const args = ["-h", process.env.PGHOST ?? "127.0.0.1", "-U", process.env.PGUSER ?? "postgres"];
args.push("-d", process.env.PGDATABASE ?? "test", "-At", "-F", "\t", "-c");
const query = `
  SELECT DISTINCT proname, provolatile IN ('i', 's')
  FROM pg_proc
  WHERE pronamespace = 'pg_catalog'::regnamespace
  ORDER BY 1`;
const rows = execFileSync("psql", [...args, query], { encoding: "utf8" })
  .split("\n")
  .filter((line) => line !== "")
  .map((line) => line.split("\t"));
const version = execFileSync("psql", [...args, "SHOW server_version"], { encoding: "utf8" }).trim();

// A name is a read only if *every* overload is immutable/stable (ts_rewrite has both).
const volatile = new Set(rows.filter(([, read]) => read !== "t").map(([name]) => name));
const all = [...new Set(rows.map(([name]) => name))];
const read = all.filter(
  (name) => (!volatile.has(name) && !(name in NOT_READ)) || name in VOLATILE_READS,
);
const others = all.filter((name) => !read.includes(name));

/**
 * The names as one double-quoted literal, split when the module loads: Prettier never wraps
 * a string, so two thousand names stay on one line instead of filling hundreds.
 */
const literal = (names) => JSON.stringify(names.join(" "));

const reasons = (table) =>
  Object.entries(table)
    .map(([name, why]) => ` *   ${name}: ${why}`)
    .join("\n");

const out = `/**
 * GENERATED by scripts/gen-pg-read-functions.mjs from PostgreSQL ${version} (pg_catalog, no
 * extensions): do not edit by hand, change the script and run it again.
 *
 * PG_READ_FUNCTIONS: every pg_catalog function whose overloads are all immutable or stable
 * (aggregates and window functions included), minus those that are not reads:
${reasons(NOT_READ)}
 * plus volatile functions that change nothing:
${reasons(VOLATILE_READS)}
 *
 * PG_OTHER_BUILTINS: every other pg_catalog function (volatile or removed above).
 */

function names(list: string): ReadonlySet<string> {
  return new Set(list.split(" ").filter((name) => name !== ""));
}

export const PG_READ_FUNCTIONS = names(${literal(read)});

export const PG_OTHER_BUILTINS = names(${literal(others)});
`;
writeFileSync(new URL("../src/guardrails/pg-read-functions.ts", import.meta.url), out);
console.log(
  `${read.length} read functions, ${others.length} other built-ins (PostgreSQL ${version})`,
);
