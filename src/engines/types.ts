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
}

export interface Engine {
  readonly kind: "postgres" | "mssql";
  execute(options: ExecuteOptions): Promise<ExecutionOutcome>;
  close(): Promise<void>;
}
