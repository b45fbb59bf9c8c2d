/** Entry points: classify a command in a resource's dialect. */
import { classifyPostgresSync, loadPostgresParser, postgresParserLoaded } from "./postgres.js";
import { classifyTsql } from "./tsql.js";
import { classifyMysql } from "./mysql.js";
import { LineCounter } from "./line-counter.js";
import { findForbiddenCharacter } from "./forbidden-characters.js";
import type { Classification, ClassifyOptions, Dialect } from "./types.js";

/** Loads the PostgreSQL parser (WASM). Idempotent; needed once before `classifyCommandSync`. */
export async function loadGuardrails(): Promise<void> {
  if (!postgresParserLoaded()) await loadPostgresParser();
}

/**
 * Refuses text the parser and the server (or the reviewer's screen) might read differently:
 * checked before either dialect's classifier sees it.
 */
function characterError(sql: string, dialect: Dialect): Classification | undefined {
  const found = findForbiddenCharacter(sql);
  if (found === undefined) return undefined;
  const { line, column } = new LineCounter(sql).at(found.position);
  const message =
    `the command contains ${found.code} (${found.name}) at line ${line}, column ${column}, ` +
    "which the database and the reviewers might not read the same way; remove it";
  return { ok: false, dialect, error: { message, position: found.position, line, column } };
}

/**
 * Synchronous classification; for PostgreSQL, `loadGuardrails()` must have resolved first.
 * Never throws: whatever the classifier cannot finish (a stack overflow on deeply nested
 * input, a parser crash) becomes an unparsed verdict, which the guardrails deny unless the
 * resource allows unparsed commands. Fail closed, never silent.
 */
export function classifyCommandSync(
  sql: string,
  dialect: Dialect,
  options: ClassifyOptions = {},
): Classification {
  try {
    const refused = characterError(sql, dialect);
    if (refused !== undefined) return refused;
    switch (dialect) {
      case "postgres":
        return classifyPostgresSync(sql, options);
      case "mssql":
        return classifyTsql(sql, options);
      case "mysql":
        return classifyMysql(sql, options);
    }
  } catch (error) {
    const reason = error instanceof RangeError ? "the command is nested too deeply" : String(error);
    return {
      ok: false,
      dialect,
      error: { message: `the guardrails could not finish reading the command (${reason})` },
    };
  }
}

export async function classifyCommand(
  sql: string,
  dialect: Dialect,
  options: ClassifyOptions = {},
): Promise<Classification> {
  if (dialect === "postgres") await loadGuardrails();
  return classifyCommandSync(sql, dialect, options);
}
