/**
 * SQL Server results without a server: driver values → stringified cells, and the driver's
 * stream events of a batch (recordset, row, rowsaffected) → ResultSets and a count of writes.
 * Pure, so it is tested with simulated events (there is no SQL Server in CI).
 */
import { NO_REDACTION, ResultSetBuilder, truncateCell } from "./result-set-builder.js";
import type { ResultSet } from "./types.js";

/** The mssql column type's declaration ("datetime2", "varbinary" …), lower case. */
export type MssqlColumnKind = string;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * A driver value → the stringified cell. tedious reads date/time types without a time zone as
 * UTC (mssql's default useUTC), so their UTC fields ARE the stored wall-clock values; they are
 * printed without a zone. Precision below milliseconds (datetime2(7)) is lost by the driver.
 */
export function stringifyMssqlCell(kind: MssqlColumnKind, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "Invalid Date";
    const iso = value.toISOString();
    if (kind === "datetimeoffset") return iso;
    if (kind === "date") return iso.slice(0, 10);
    if (kind === "time")
      return `${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}.${pad(value.getUTCMilliseconds(), 3)}`;
    return iso.replace(/Z$/, "");
  }
  if (Buffer.isBuffer(value)) return truncateCell("\\x" + value.toString("hex"));
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The subset of an mssql column description the assembler needs. */
export interface MssqlColumn {
  name: string;
  kind: MssqlColumnKind;
}

/**
 * Turns the driver's stream events of a batch into ResultSets.
 *
 * Row counts arrive as DONE tokens ('rowsaffected'), and SQL Server sends one after a SELECT
 * too (the number of rows returned). A count that closes an open result set is therefore a
 * row count, not a write; a count without a result set is a write (INSERT/UPDATE/DELETE/MERGE,
 * SELECT INTO …). Known blind spots, documented in the engine: a DML with an OUTPUT clause
 * looks like a SELECT, and `SELECT @v = …` assignments look like writes (over-counting, the
 * safe side).
 */
export class MssqlResultAssembler {
  private readonly sets: ResultSet[] = [];
  private open: { builder: ResultSetBuilder; kinds: MssqlColumnKind[] } | undefined;
  private writes = 0;

  constructor(
    private readonly keepRows: number,
    /** Scrubs credentials from column names and cells (see ResultSetBuilder). */
    private readonly redact: (text: string) => string = NO_REDACTION,
  ) {}

  recordset(columns: MssqlColumn[]): void {
    this.closeOpen(null);
    this.open = {
      builder: new ResultSetBuilder(
        columns.map((c) => c.name),
        this.keepRows,
        this.redact,
      ),
      kinds: columns.map((c) => c.kind),
    };
  }

  row(values: unknown[]): void {
    const open = this.open;
    if (open === undefined) return;
    if (!open.builder.wantsRows) {
      open.builder.addUncounted(1);
      return;
    }
    open.builder.add(values.map((v, i) => stringifyMssqlCell(open.kinds[i] ?? "", v)));
  }

  rowsAffected(count: number): void {
    if (this.open !== undefined) {
      this.closeOpen(null);
      return;
    }
    this.writes += count;
    this.sets.push({
      columns: [],
      rows: [],
      totalRows: 0,
      command: "ROWS AFFECTED",
      affectedRows: count,
    });
  }

  /** Ends the batch: a result set without a closing count (NOCOUNT-like servers) is kept too. */
  finish(): void {
    this.closeOpen(null);
  }

  private closeOpen(affected: number | null): void {
    if (this.open === undefined) return;
    this.sets.push(this.open.builder.finish("RESULT SET", affected));
    this.open = undefined;
  }

  get resultSets(): ResultSet[] {
    return this.sets;
  }

  /** Rows written, as far as the DONE counts tell. */
  get affectedRows(): number {
    return this.writes;
  }
}
