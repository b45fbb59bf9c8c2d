/**
 * Splits a PostgreSQL command into its statements with PostgreSQL's own parser (libpg-query,
 * WASM). The extended protocol, which row streaming through a cursor needs, takes one statement
 * per Parse message, so the split must be exact: a regex cannot know about dollar quoting,
 * nested comments or E'' strings. The parser also lets the engine refuse the few statements
 * that would break the transaction it wraps the command in.
 */
import { parse } from "libpg-query";
import type { RawStmt } from "libpg-query";

export interface PgStatement {
  /** Exactly the statement's source text (without the separating semicolon). */
  text: string;
  /** 0-based offset of `text` in the whole command, in characters (code points), like PG's. */
  charOffset: number;
  /** Parse-node kind, e.g. "SelectStmt", "UpdateStmt"; "unparsed" for the fallback. */
  kind: string;
}

export type SplitResult =
  | { ok: true; statements: PgStatement[]; parsed: boolean }
  | { ok: false; message: string; code: string };

/** Settings the engine itself sets for the transaction; the command may not undo them. */
const PROTECTED_SETTINGS = new Set([
  "statement_timeout",
  "lock_timeout",
  "transaction_read_only",
  "default_transaction_read_only",
]);

function codePoints(text: string): number {
  // Spreading a string walks code points, so a surrogate pair counts once, as PG counts it.
  return [...text].length;
}

function refusal(node: Record<string, unknown>, kind: string, readOnly: boolean): string | null {
  if (kind === "TransactionStmt") {
    return (
      "Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, PREPARE TRANSACTION …) is not " +
      "allowed in a command: Countersign runs the whole command in one transaction so that it " +
      "can check it and roll it back."
    );
  }
  if (kind === "VariableSetStmt") {
    const set = node[kind] as { kind?: string; name?: string };
    if (set.kind === "VAR_RESET_ALL")
      return "RESET ALL is not allowed: it would reset the statement and lock timeouts Countersign sets.";
    const name = (set.name ?? "").toLowerCase();
    if (PROTECTED_SETTINGS.has(name))
      return `Setting ${name} is not allowed: Countersign sets it for the execution.`;
    if (readOnly && (name === "transaction" || name === "session characteristics"))
      return "SET TRANSACTION / SET SESSION CHARACTERISTICS is not allowed in a read-only command.";
  }
  return null;
}

/**
 * Splits `sql` into statements. When libpg-query cannot parse the command (syntax newer or
 * older than its grammar, or an error) the whole command is returned as ONE statement: the
 * server then either runs it (it really was one statement) or refuses it ("cannot insert
 * multiple commands into a prepared statement"), so nothing runs half-split. Guardrails decide
 * earlier whether an unparsed command may run at all.
 */
export async function splitPgStatements(sql: string, readOnly: boolean): Promise<SplitResult> {
  let stmts: RawStmt[];
  try {
    stmts = (await parse(sql)).stmts ?? [];
  } catch {
    return {
      ok: true,
      parsed: false,
      statements: [{ text: sql, charOffset: 0, kind: "unparsed" }],
    };
  }
  if (stmts.length === 0) {
    return {
      ok: false,
      code: "COUNTERSIGN_EMPTY",
      message: "The command contains no SQL statement.",
    };
  }
  // stmt_location / stmt_len are BYTE offsets into the UTF-8 text.
  const bytes = Buffer.from(sql, "utf8");
  const statements: PgStatement[] = [];
  for (const raw of stmts) {
    const start = raw.stmt_location ?? 0;
    // A missing (zero) length means "up to the end of the string".
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const node = (raw.stmt ?? {}) as Record<string, unknown>;
    const kind = Object.keys(node)[0] ?? "unknown";
    const refused = refusal(node, kind, readOnly);
    if (refused !== null)
      return { ok: false, code: "COUNTERSIGN_REFUSED_STATEMENT", message: refused };
    statements.push({
      text: bytes.subarray(start, end).toString("utf8"),
      charOffset: codePoints(bytes.subarray(0, start).toString("utf8")),
      kind,
    });
  }
  return { ok: true, parsed: true, statements };
}
