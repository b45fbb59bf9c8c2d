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

export interface ExecuteOptions {
  sql: string;
  readOnly: boolean;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxAffectedRows?: number;
  /** How many rows of each result set to keep (e.g. 50); all rows are still counted. */
  keepRows: number;
  signal?: AbortSignal;
}

export interface Engine {
  readonly kind: "postgres" | "mssql";
  execute(options: ExecuteOptions): Promise<ExecutionOutcome>;
  close(): Promise<void>;
}
