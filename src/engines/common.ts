/**
 * Engine-independent pieces: bounded result collection, bounded notices, the commit/rollback
 * decision and option validation. Pure, so both engines share exactly the same rules and the
 * rules are tested without a server.
 */
import type { ExecuteOptions, ExecutionOutcome, ResultSet } from "./types.js";

/**
 * A single cell is cut here. The result comment cannot exceed 65,536 characters anyway, and
 * keeping 50 rows of multi-megabyte cells would defeat streaming.
 */
export const MAX_CELL_CHARS = 10_000;
export const TRUNCATED_MARK = "…[truncated]";

/** At most this many notices are kept; a RAISE NOTICE in a loop must not fill the memory. */
export const MAX_NOTICES = 1_000;

export function truncateCell(value: string): string {
  return value.length > MAX_CELL_CHARS ? value.slice(0, MAX_CELL_CHARS) + TRUNCATED_MARK : value;
}

/** Leaves text as it is: for callers with no credentials to scrub (tests, tools). */
export const NO_REDACTION = (text: string): string => text;

/**
 * Keeps the first `keepRows` rows of one result set and counts all of them. Column names and
 * kept cells are scrubbed of credentials BEFORE a cell is cut: a password split by the cut
 * would otherwise leave a prefix no redaction recognises.
 */
export class ResultSetBuilder {
  private readonly kept: (string | null)[][] = [];
  private count = 0;
  readonly columns: string[];

  constructor(
    columns: string[],
    private readonly keepRows: number,
    private readonly redact: (text: string) => string = NO_REDACTION,
  ) {
    this.columns = columns.map((name) => redact(name));
  }

  /** Whether the next row would be kept: lets callers skip stringifying rows they drop. */
  get wantsRows(): boolean {
    return this.kept.length < this.keepRows;
  }

  add(row: (string | null)[]): void {
    this.count += 1;
    if (this.kept.length < this.keepRows)
      this.kept.push(row.map((c) => (c === null ? null : truncateCell(this.redact(c)))));
  }

  /** Counts rows that were not materialized (e.g. dropped without stringifying). */
  addUncounted(n: number): void {
    this.count += n;
  }

  get totalRows(): number {
    return this.count;
  }

  finish(command: string, affectedRows: number | null): ResultSet {
    return { columns: this.columns, rows: this.kept, totalRows: this.count, command, affectedRows };
  }
}

/** Bounded notice list; messages are passed through `redact` before they are kept. */
export class NoticeCollector {
  private readonly list: string[] = [];
  private dropped = 0;

  constructor(private readonly redact: (text: string) => string) {}

  add(message: string): void {
    if (this.list.length < MAX_NOTICES) this.list.push(this.redact(message));
    else this.dropped += 1;
  }

  get notices(): string[] {
    return this.dropped === 0
      ? [...this.list]
      : [...this.list, `… ${this.dropped} more notice(s) not kept (limit ${MAX_NOTICES})`];
  }
}

/** Problems with the options themselves; reported before any connection is made. */
export function validateOptions(options: ExecuteOptions): string | null {
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  if (typeof options.sql !== "string" || options.sql.trim() === "") return "The command is empty.";
  if (!positiveInt(options.statementTimeoutMs))
    return "statementTimeoutMs must be a positive integer (0 would mean no timeout).";
  if (!positiveInt(options.lockTimeoutMs))
    return "lockTimeoutMs must be a positive integer (0 would mean no timeout).";
  if (!Number.isInteger(options.keepRows) || options.keepRows < 0)
    return "keepRows must be a non-negative integer.";
  if (
    options.maxAffectedRows !== undefined &&
    (!Number.isInteger(options.maxAffectedRows) || options.maxAffectedRows < 0)
  )
    return "maxAffectedRows must be a non-negative integer.";
  return null;
}

export interface FinishInput {
  readOnly: boolean;
  /** What the engine counted for the limit (may be larger than the statement tags, see pg). */
  affectedRows: number;
  maxAffectedRows?: number;
  /**
   * Whether the engine can enforce read-only only by looking at affected rows (SQL Server).
   * PostgreSQL enforces it in the server, so this is false there.
   */
  readOnlyByRowCount: boolean;
  /** Open transactions at the end; anything but 1 means the command ended ours itself. */
  transactionDepth?: number;
}

export type FinishDecision =
  | { action: "commit" }
  | { action: "rollback"; succeeded: true }
  | { action: "rollback"; succeeded: false; message: string; code: string };

/**
 * What to do at the end of a command whose statements all ran without error. The affected-row
 * limit and the read-only check are made here, BEFORE COMMIT, so a violation is rolled back.
 */
export function decideFinish(input: FinishInput): FinishDecision {
  if (input.transactionDepth !== undefined && input.transactionDepth !== 1) {
    return {
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_TRANSACTION_ENDED",
      message:
        input.transactionDepth === 0
          ? "The command ended Countersign's transaction itself (COMMIT/ROLLBACK inside the command): " +
            "its effects may already be committed and could not be checked or rolled back."
          : `The command left ${input.transactionDepth - 1} nested transaction(s) open; everything was rolled back.`,
    };
  }
  if (input.readOnly && input.readOnlyByRowCount && input.affectedRows > 0) {
    return {
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_READ_ONLY",
      message: `The command was run as read-only but affected ${input.affectedRows} row(s); it was rolled back.`,
    };
  }
  if (input.maxAffectedRows !== undefined && input.affectedRows > input.maxAffectedRows) {
    return {
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_MAX_AFFECTED_ROWS",
      message:
        `The command would have affected ${input.affectedRows} row(s), over the limit of ` +
        `${input.maxAffectedRows} (max_affected_rows); it was rolled back and nothing was changed.`,
    };
  }
  // A read-only command on an engine without read-only transactions is never committed:
  // whatever it might have done that the row counts cannot see is undone.
  if (input.readOnly && input.readOnlyByRowCount) return { action: "rollback", succeeded: true };
  return { action: "commit" };
}

/** A failure that happened before any transaction existed. */
export function failedBeforeStart(
  message: string,
  startedAt: number,
  code?: string,
): ExecutionOutcome {
  return {
    status: "failed",
    resultSets: [],
    affectedRows: 0,
    durationMs: elapsedMs(startedAt),
    notices: [],
    error: code === undefined ? { message } : { message, code },
    rolledBack: false,
  };
}

export function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

/** Unknown thrown value → message; drivers throw Errors but a callback may hand anything. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return String(error);
}

/**
 * The refusals both engines make before touching a server: a closed engine, invalid
 * options, or a caller that gave up already. Null when execution may start.
 */
export function refuseBeforeStart(
  closed: boolean,
  options: ExecuteOptions,
  startedAt: number,
): ExecutionOutcome | null {
  if (closed) return failedBeforeStart("The engine is closed.", startedAt);
  const invalid = validateOptions(options);
  if (invalid !== null) return failedBeforeStart(invalid, startedAt, "COUNTERSIGN_INVALID_OPTIONS");
  if (options.signal?.aborted) {
    return failedBeforeStart(
      "Execution was aborted before it started.",
      startedAt,
      "COUNTERSIGN_ABORTED",
    );
  }
  return null;
}
