/**
 * The SQL text of the undo backups (pg-undo.ts): identifiers quoted, every function and
 * operator schema-qualified so that a command that changed search_path or created its own
 * operators cannot shadow what the backup relies on. Pure.
 */

/** The schema every backup table lives in. */
export const UNDO_SCHEMA = "countersign_undo";

/** A PostgreSQL identifier, always quoted: exact for any name the parser handed over. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `countersign_undo.r42_1`: lower-case letters, digits and `_`, so it needs no quoting. */
export function backupTableName(requestId: number, statement: number): string {
  return `${UNDO_SCHEMA}.r${requestId}_${statement}`;
}

/** The target of one UPDATE/DELETE as its parse tree names it. */
export interface TargetRelation {
  /** Name parts as written, without quotes: [catalog?, schema?, table]. */
  names: string[];
  /** `ONLY`: the statement leaves inheritance children alone. */
  only: boolean;
  alias: string | null;
  /**
   * The WHERE condition exactly as the statement's text has it; null when there is none
   * (the statement changes every row).
   */
  condition: string | null;
}

/** `ONLY "s"."t" AS "x"`: the FROM item that reads the rows the statement changes. */
function fromItem(target: TargetRelation): string {
  const name = target.names.map(quoteIdent).join(".");
  const alias = target.alias === null ? "" : ` AS ${quoteIdent(target.alias)}`;
  return `${target.only ? "ONLY " : ""}${name}${alias}`;
}

/** How the condition refers to the table: its alias, else its own (last) name. */
function referenceName(target: TargetRelation): string {
  return quoteIdent(target.alias ?? target.names.at(-1) ?? "");
}

/**
 * The condition in parentheses, each on its own line: a trailing `--` comment inside it can
 * then never swallow the closing parenthesis. Its own parentheses are balanced (the parser
 * read it), so it cannot close ours.
 */
function whereClause(target: TargetRelation): string {
  return target.condition === null ? "" : ` WHERE (\n${target.condition}\n)`;
}

/**
 * Locks the rows the statement will change, so that no other session changes or deletes them
 * between the copy and the statement; the count comes back, not the rows.
 */
export function lockSql(target: TargetRelation): string {
  return (
    `SELECT pg_catalog.count(*) AS n FROM (SELECT 1 FROM ${fromItem(target)}${whereClause(target)}` +
    ` FOR UPDATE OF ${referenceName(target)}) AS locked`
  );
}

/** Copies those rows, every column of the table, into the backup table (which must not exist). */
export function copySql(target: TargetRelation, table: string): string {
  return (
    `CREATE TABLE ${table} AS SELECT ${referenceName(target)}.* FROM ${fromItem(target)}` +
    whereClause(target)
  );
}

/** Looked up first: CREATE SCHEMA IF NOT EXISTS on an existing schema notices the command's output. */
export const SCHEMA_EXISTS_SQL = `SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname OPERATOR(pg_catalog.=) '${UNDO_SCHEMA}'`;

export const CREATE_SCHEMA_SQL = `CREATE SCHEMA IF NOT EXISTS ${UNDO_SCHEMA}`;

/** The relation a name resolves to under the session's search_path, as the statement will. */
export const RELATION_SQL = `SELECT c.oid::pg_catalog.text AS oid, c.relkind::pg_catalog.text AS kind,
       n.nspname AS schema, c.relname AS name,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                WHERE i.inhparent OPERATOR(pg_catalog.=) c.oid) AS children
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1::pg_catalog.text)`;

/** The relation's live columns in table order; attgenerated is '' for an ordinary column. */
export const COLUMNS_SQL = `SELECT attnum::pg_catalog.int4 AS num, attname AS name,
       attgenerated::pg_catalog.text AS generated
  FROM pg_catalog.pg_attribute
 WHERE attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid
   AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped
 ORDER BY attnum`;

/** The primary key's column numbers in key order, e.g. "1 3"; no row without a key. */
export const PRIMARY_KEY_SQL = `SELECT indkey::pg_catalog.text AS key
  FROM pg_catalog.pg_index
 WHERE indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND indisprimary`;

/** A table's oid by name, null when there is none (is a backup of this name there already?). */
export const TABLE_OID_SQL = `SELECT pg_catalog.to_regclass($1::pg_catalog.text)::pg_catalog.oid::pg_catalog.text AS oid`;
