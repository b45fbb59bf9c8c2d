/**
 * The command of the request `/undo` opens (issue 16): it puts back the rows a request's
 * UPDATE/DELETE statements changed, from the backups its outcome lists (ExecutionOutcome.undo).
 * Reviewed and approved like any other command; pure, so the text is known before anything runs.
 *
 * The statements are undone in reverse order, so that a table changed twice ends as it was
 * before the first change. A DELETE is undone by inserting the rows back; an UPDATE by setting
 * every other column back, row by row, matched on the primary key recorded at backup time (a
 * ctid is not stable). The UPDATE is written without FROM, so the restore is itself a
 * single-table UPDATE that a resource with undo backs up in turn.
 */
import { quoteIdent } from "./pg-undo-sql.js";
import type { UndoBackup } from "./types.js";

export type RestoreCommand = { ok: true; sql: string } | { ok: false; message: string };

/** `countersign_undo.r42_1`: the only backup names a restore reads from. */
const BACKUP_TABLE = /^countersign_undo\.r[0-9]+_[0-9]+$/;
/** `"schema"."table"` exactly as the engine records it: quoted parts, quotes doubled inside. */
const QUOTED_SOURCE = /^"(?:[^"]|"")+"\."(?:[^"]|"")+"$/;

function list(columns: string[], prefix: string): string {
  return columns.map((column) => `${prefix}${quoteIdent(column)}`).join(", ");
}

function restoreDelete(backup: UndoBackup): string {
  const columns = list(backup.columns, "");
  // An identity column GENERATED ALWAYS takes its old value back only with OVERRIDING.
  return (
    `INSERT INTO ${backup.source} (${columns}) OVERRIDING SYSTEM VALUE\n` +
    `SELECT ${list(backup.columns, "b.")} FROM ${backup.table} AS b;`
  );
}

function restoreUpdate(backup: UndoBackup, others: string[]): string {
  const matches = backup.key.map((k) => `b.${quoteIdent(k)} = t.${quoteIdent(k)}`).join(" AND ");
  return (
    `UPDATE ${backup.source} AS t\n` +
    `   SET (${list(others, "")}) = (SELECT ${list(others, "b.")} FROM ${backup.table} AS b WHERE ${matches})\n` +
    ` WHERE (${list(backup.key, "t.")}) IN (SELECT ${list(backup.key, "b.")} FROM ${backup.table} AS b);`
  );
}

/** One backup's restoring statement, or why it cannot have one. */
function restoreOne(backup: UndoBackup, kind: string | undefined): string | { problem: string } {
  const which = `statement ${backup.statement} (${backup.table})`;
  if (!BACKUP_TABLE.test(backup.table) || !QUOTED_SOURCE.test(backup.source))
    return {
      problem: `the backup of ${which} does not name its tables as Countersign records them`,
    };
  if (backup.columns.length === 0) return { problem: `the backup of ${which} lists no column` };
  if (kind === "DeleteStmt") return restoreDelete(backup);
  if (kind !== "UpdateStmt")
    return { problem: `${which} is not an UPDATE or DELETE (${kind ?? "no statement"})` };
  const others = backup.columns.filter((column) => !backup.key.includes(column));
  if (backup.key.length === 0 || others.length === 0)
    return {
      problem: `the backup of ${which} has no primary key, or nothing but its key, to restore by`,
    };
  return restoreUpdate(backup, others);
}

/**
 * The restore command for `backups`; `kinds[n - 1]` is the parse-node kind of statement n of
 * the original command (PgStatement.kind: "UpdateStmt", "DeleteStmt"). Backups of no row
 * need no statement; a command with nothing to restore, or a backup that does not fit its
 * statement, is refused rather than restored in part.
 */
export function restoreCommand(
  backups: readonly UndoBackup[],
  kinds: readonly string[],
): RestoreCommand {
  const statements: string[] = [];
  const newestFirst = [...backups].sort((a, b) => b.statement - a.statement);
  for (const backup of newestFirst) {
    if (backup.rows === 0) continue;
    const restored = restoreOne(backup, kinds[backup.statement - 1]);
    if (typeof restored !== "string")
      return { ok: false, message: `The rows cannot be restored: ${restored.problem}.` };
    statements.push(restored);
  }
  if (statements.length === 0)
    return { ok: false, message: "There is nothing to restore: the backups hold no row." };
  return { ok: true, sql: statements.join("\n") };
}
