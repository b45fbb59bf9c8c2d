/** Entry points: classify a command in a resource's dialect. */
import { classifyPostgresSync, loadPostgresParser, postgresParserLoaded } from "./postgres.js";
import { classifyTsql } from "./tsql.js";
import type { Classification, Dialect } from "./types.js";

/** Loads the PostgreSQL parser (WASM). Idempotent; needed once before `classifyCommandSync`. */
export async function loadGuardrails(): Promise<void> {
  if (!postgresParserLoaded()) await loadPostgresParser();
}

/** Synchronous classification; for PostgreSQL, `loadGuardrails()` must have resolved first. */
export function classifyCommandSync(sql: string, dialect: Dialect): Classification {
  return dialect === "postgres" ? classifyPostgresSync(sql) : classifyTsql(sql);
}

export async function classifyCommand(sql: string, dialect: Dialect): Promise<Classification> {
  if (dialect === "postgres") await loadGuardrails();
  return classifyCommandSync(sql, dialect);
}
