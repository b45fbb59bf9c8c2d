/**
 * Output masking (issue 17 item 3): what an execution returned, with the resource's masked
 * columns and value patterns replaced, before anything renders it (the result comment, the
 * preview). Pure, and the input is never changed: the caller still holds the unmasked outcome,
 * which is what the output digest in the audit trailer is taken over.
 *
 * - A cell of a column that a `columns` glob matches (mask-config.ts says how) is replaced
 *   whole by `[masked]`, whatever it holds, an empty string included.
 * - In every other cell, each notice, the error message and the column names, what a value
 *   pattern finds is replaced by `[masked:<pattern>]` and the rest is kept (mask-values.ts).
 * - With any column masked, a stored value the server quotes in an error or a notice
 *   (`Key (ssn)=(…) already exists`) is masked too: the message does not say whose it is.
 * - NULL stays NULL and is not counted.
 */
import type { ExecutionOutcome, ResultSet } from "../engines/types.js";
import { columnMatcher, type MaskConfig, type MaskPatternName } from "./mask-config.js";
import { maskEchoedValues } from "./mask-echo.js";
import { MASKED, maskText } from "./mask-values.js";

export {
  MASK_PATTERN_NAMES,
  NO_MASK,
  mergeMaskConfigs,
  validateMaskConfig,
  type MaskConfig,
  type MaskConfigResult,
  type MaskPatternName,
  type MaskProblem,
} from "./mask-config.js";
export { MASKED, maskedPattern } from "./mask-values.js";

/** Why a cell was masked: its column, or the pattern that found something in it. */
export type MaskReason = "column" | MaskPatternName;

export interface MaskReport {
  /** Result cells changed, each counted once: the "7 cells masked" of the comment. */
  cells: number;
  /** Cells per reason; a cell in which two patterns found something counts under both. */
  byReason: Record<MaskReason, number>;
  /** Notices in which a pattern replaced something. */
  notices: number;
  /** Whether a pattern replaced something in the error message. */
  error: boolean;
  /** Column names in which a pattern replaced something (a name can be built from data). */
  columnNames: number;
}

export interface MaskedOutcome {
  outcome: ExecutionOutcome;
  report: MaskReport;
}

/** Whether a config masks anything at all. */
export function masksAnything(config: MaskConfig): boolean {
  return config.columns.length > 0 || config.patterns.length > 0;
}

function emptyReport(): MaskReport {
  const byReason = { column: 0, email: 0, card: 0, iban: 0, phone: 0 };
  return { cells: 0, byReason, notices: 0, error: false, columnNames: 0 };
}

interface Masking {
  config: MaskConfig;
  isMaskedColumn: (column: string) => boolean;
  report: MaskReport;
}

function maskCell(cell: string | null, wholeCell: boolean, masking: Masking): string | null {
  if (cell === null) return null;
  const { report } = masking;
  if (wholeCell) {
    report.cells += 1;
    report.byReason.column += 1;
    return MASKED;
  }
  const masked = maskText(cell, masking.config.patterns);
  if (masked.patterns.length === 0) return cell;
  report.cells += 1;
  for (const pattern of masked.patterns) report.byReason[pattern] += 1;
  return masked.text;
}

function maskSet(set: ResultSet, masking: Masking): ResultSet {
  const whole = set.columns.map((column) => masking.isMaskedColumn(column));
  // A cell past the last column cannot be told apart from a masked one: with any column
  // masked, it is masked too (the engines never return such rows; this is the fail-closed
  // reading of a malformed one).
  const unnamed = masking.config.columns.length > 0;
  const columns = set.columns.map((column) => {
    const masked = maskText(column, masking.config.patterns);
    if (masked.patterns.length > 0) masking.report.columnNames += 1;
    return masked.text;
  });
  const rows = set.rows.map((row) =>
    row.map((cell, index) => maskCell(cell, whole[index] ?? unnamed, masking)),
  );
  return { ...set, columns, rows };
}

/**
 * The outcome with the config's masks applied, and what was masked. `config` is one that
 * validateMaskConfig accepted (the policy loader refuses any other). `command` is what ran:
 * with a column masked, a value an error or a notice quotes is kept only when the command
 * itself holds it (mask-echo.ts); without it, every such value is masked.
 */
export function maskOutcome(
  outcome: ExecutionOutcome,
  config: MaskConfig,
  command = "",
): MaskedOutcome {
  const masking: Masking = {
    config,
    isMaskedColumn: columnMatcher(config.columns),
    report: emptyReport(),
  };
  const { report } = masking;
  const resultSets = outcome.resultSets.map((set) => maskSet(set, masking));
  const masksColumns = config.columns.length > 0;
  const maskMessage = (text: string): { text: string; masked: boolean } => {
    const echo = masksColumns ? maskEchoedValues(text, command) : { text, masked: false };
    const found = maskText(echo.text, config.patterns);
    return { text: found.text, masked: echo.masked || found.patterns.length > 0 };
  };
  const notices = outcome.notices.map((notice) => {
    const masked = maskMessage(notice);
    if (masked.masked) report.notices += 1;
    return masked.text;
  });
  const masked: ExecutionOutcome = { ...outcome, resultSets, notices };
  if (outcome.error !== undefined) {
    const message = maskMessage(outcome.error.message);
    report.error = message.masked;
    masked.error = { ...outcome.error, message: message.text };
  }
  return { outcome: masked, report };
}
