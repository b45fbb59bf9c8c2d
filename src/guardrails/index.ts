/**
 * Public API of the guardrails (DESIGN §1.4). Pure: no I/O, no network, no file system.
 *
 * Statement kinds (exactly one per statement):
 * - `read`: SELECT/VALUES/TABLE, SHOW, EXPLAIN without ANALYZE, cursors over reads, and in
 *   T-SQL also DECLARE / SET @variable / PRINT / RAISERROR / THROW / IF and WHILE
 *   conditions. Reporting procedures (sp_help, sp_who …) are `admin` with the `procedural`
 *   flag: a flag means not read. A read that nests a
 *   write (a DELETE in a CTE) takes the write's kind.
 * - `write`: INSERT, UPDATE, DELETE, MERGE, REFRESH MATERIALIZED VIEW, BULK INSERT, and
 *   `SELECT … FOR UPDATE/SHARE` (T-SQL: `WITH (UPDLOCK | XLOCK | TABLOCKX)`): row locks
 *   are not allowed in a read-only transaction, so they must never look read-only.
 * - `ddl`: CREATE/ALTER/DROP of objects, TRUNCATE, COMMENT, `SELECT … INTO` and CREATE
 *   TABLE AS (they create a table).
 * - `dcl`: GRANT, REVOKE, DENY, role/user/login management, ownership changes.
 * - `transaction`: BEGIN/COMMIT/ROLLBACK/SAVEPOINT (and T-SQL SET TRANSACTION).
 * - `admin`: everything procedural or administrative: DO, CALL, EXEC/EXECUTE, PREPAREd
 *   EXECUTE, COPY, VACUUM/ANALYZE/CLUSTER/REINDEX, SET/RESET, LOCK, LISTEN/NOTIFY, LOAD,
 *   ALTER SYSTEM, DBCC, KILL, BACKUP/RESTORE, USE, WAITFOR …
 *
 * "Read" is an allowlist: a statement is read only when every function it calls is known to
 * be free of side effects (PostgreSQL's own immutable/stable functions, a few harmless
 * volatile ones, and the resource's `read_functions`) and no flag or refusal is set; a read
 * that calls anything else is a `write`. A `refusal` (a pinned setting, transaction control,
 * characters two readers may see differently) denies the command on every resource.
 *
 * Flags are named after the rules they trigger (see verdict.ts and the README). `write` is
 * set on every statement that is not `read` or `transaction`, except admin statements that
 * only change the session (SET of an ordinary setting, DISCARD, LISTEN, USE …).
 * EXPLAIN ANALYZE and PREPARE are judged as the statement they run.
 */
export { classifyCommand, classifyCommandSync, loadGuardrails } from "./classify.js";
export { evaluateGuardrails, isReadOnly } from "./verdict.js";
export { stripComments } from "./strip-comments.js";
export { splitTsqlBatches, type TsqlBatch } from "./tsql-batches.js";
export { STATEMENT_FLAGS } from "./types.js";
export type {
  Classification,
  ClassificationError,
  Dialect,
  GuardrailHit,
  GuardrailVerdict,
  StatementFlag,
  StatementInfo,
} from "./types.js";
