/**
 * The contract between the executing engines and their consumers (worker, renderer).
 * Shapes are fixed: the renderer is written against them.
 */

export interface ResultSet {
  /** Column names, credentials redacted. */
  columns: string[];
  /**
   * Only the first `keepRows` rows, cells stringified: dates ISO 8601, bytea/binary as
   * `\x`-hex, json as JSON text, numbers as their exact text. NULL stays null. Credentials are
   * redacted from each cell before it is cut to MAX_CELL_CHARS.
   */
  rows: (string | null)[][];
  /** Every row the statement returned, counted while streaming. */
  totalRows: number;
  /** SELECT, UPDATE … (PostgreSQL command tag); "RESULT SET" / "ROWS AFFECTED" on SQL Server. */
  command: string;
  /** Rows the statement reports as affected; null when it reports none (e.g. a SELECT). */
  affectedRows: number | null;
}

export interface ExecutionOutcome {
  status: "succeeded" | "failed";
  resultSets: ResultSet[];
  /** Sum of the rows affected by writing statements (INSERT/UPDATE/DELETE/MERGE). */
  affectedRows: number;
  durationMs: number;
  /** Server notices / PRINT messages, credentials redacted. */
  notices: string[];
  error?: { message: string; code?: string; position?: number };
  /**
   * True when the engine ended the transaction with ROLLBACK (or the server aborted it): always
   * the case for a failure after the transaction began, and on SQL Server also for a successful
   * read-only command, which is always rolled back because SQL Server has no read-only
   * transaction.
   */
  rolledBack: boolean;
  /**
   * The before-images kept for undo (ExecuteOptions.undo), one per UPDATE/DELETE statement,
   * in statement order. Present only when the command was committed: a rolled-back command
   * rolled its backups back with it.
   */
  undo?: UndoBackup[];
}

/** Where the rows one UPDATE or DELETE changed were copied before it ran (PostgreSQL). */
export interface UndoBackup {
  /** The backup table, schema-qualified: `countersign_undo.r42_1` (no quoting needed). */
  table: string;
  /** Rows copied, equal to the rows the statement reported as affected. */
  rows: number;
  /** 1-based number of the statement in the command. */
  statement: number;
  /** The table the rows came from, schema-qualified and quoted for SQL: `"public"."users"`. */
  source: string;
  /** The source's primary key columns (unquoted names); empty for a DELETE on a table without one. */
  key: string[];
  /** The columns a restore writes back (unquoted names, table order; generated columns left out). */
  columns: string[];
}

/**
 * The server session a command runs in, so that a worker that dies can have it stopped
 * (PostgreSQL: the backend's pid and start time, which together never name another session).
 */
export interface SessionIdentity {
  backendPid: number;
  /** Microseconds since the epoch, as text: exact, whatever the session's time zone. */
  backendStart: string;
}

export interface ExecuteOptions {
  sql: string;
  readOnly: boolean;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxAffectedRows?: number;
  /** How many rows of each result set to keep (e.g. 50); all rows are still counted. */
  keepRows: number;
  signal?: AbortSignal;
  /** Told the session's identity once connected; a throw stops the command (fail closed). */
  onSession?: (identity: SessionIdentity) => Promise<void>;
  /**
   * Asked immediately before COMMIT (the worker renews its lease): false, or a throw, rolls
   * the command back, so a worker that lost its request never commits it.
   */
  beforeCommit?: () => Promise<boolean>;
  /**
   * A dry run (issue 16, the preview target): the command runs to the end and is then rolled
   * back even when it succeeded, so the outcome reports what it did (counts, first rows) and
   * nothing is kept. The limits still apply; beforeCommit is never called. Effects outside the
   * transaction (sequences, dblink, files) are not undone, as with any rollback.
   */
  alwaysRollBack?: boolean;
  /**
   * Keep a before-image of every UPDATE/DELETE (issue 16, undo; PostgreSQL only): the rows each
   * one is about to change are copied, in the same transaction, into
   * `countersign_undo.r<requestId>_<n>`, and the outcome lists them (ExecutionOutcome.undo).
   * A command whose changes cannot be copied exactly is refused. Absent: no extra query at all.
   */
  undo?: { requestId: number };
}

export interface Engine {
  readonly kind: "postgres" | "mssql" | "mysql";
  execute(options: ExecuteOptions): Promise<ExecutionOutcome>;
  close(): Promise<void>;
}
