/**
 * Bounded result collection, shared by both engines: only the first `keepRows` rows of a result
 * set are held, every row is counted, and each kept cell is scrubbed of credentials and cut to a
 * bounded length. Pure, so the rules are tested without a server.
 */
import type { ResultSet } from "./types.js";

/**
 * A single cell is cut here. The result comment cannot exceed 65,536 characters anyway, and
 * keeping 50 rows of multi-megabyte cells would defeat streaming.
 */
export const MAX_CELL_CHARS = 10_000;
export const TRUNCATED_MARK = "…[truncated]";

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
