/**
 * The comment that reports an execution (DESIGN §1.6), and the digest of its output that goes
 * into the audit commit. Rendering is budget-driven: the comment is rendered with generous
 * limits, and while it exceeds GitHub's comment limit it is rendered again with tighter ones
 * (fewer rows, columns and notices, shorter cells); only if even the tightest render is too
 * long is it cut, with its Markdown closed and a note saying so.
 */
import { truncateMarkdown, truncateText } from "./escape.js";
import { renderTemplate } from "./templates.js";
import type { ExecutionOutcome, ResultSet } from "../engines/types.js";

/** GitHub rejects longer comment bodies (it counts characters; UTF-16 length is never less). */
export const MAX_COMMENT_LENGTH = 65_536;

// The engines' contract (src/engines/types.ts) is the one shape of an execution's output;
// re-exported so callers of the renderer need not know where it lives.
export type { ExecutionOutcome, ResultSet } from "../engines/types.js";

export interface ResultView {
  requestId: number;
  resource: string;
  requester: string;
  output: "table" | "summary" | "none";
  outcome: ExecutionOutcome;
  /** e.g. "bob (dba)". */
  approvedBy: string[];
  grant?: string;
  /** Cells the resource's mask replaced (issue 17), said in the comment. */
  maskedCells?: number;
}

export interface RenderResultOptions {
  /** Defaults to GitHub's limit; lower it to leave room around the comment. */
  maxLength?: number;
  /**
   * Removes credentials from raw text (engines/redact.ts credentialRedactor for the resource's
   * URL). Applied to every value BEFORE it is escaped, measured or cut, and once more to the
   * finished comment, which is cut again if that made it longer.
   */
  redact?: (text: string) => string;
}

interface Limits {
  /** Result sets rendered as tables; the rest get their counts only. */
  tables: number;
  /** Result sets listed at all; the rest are counted. */
  listedSets: number;
  rows: number;
  columns: number;
  cellLength: number;
  notices: number;
  noticeLength: number;
  errorLength: number;
}

// Each step roughly halves the worst case of the one before. Cell lengths are in raw
// characters; escaping can grow them (`&` → `&amp;`), which is what later steps absorb.
const LIMIT_STEPS: readonly Limits[] = [
  {
    tables: 10,
    listedSets: 100,
    rows: 50,
    columns: 30,
    cellLength: 200,
    notices: 50,
    noticeLength: 1000,
    errorLength: 8000,
  },
  {
    tables: 10,
    listedSets: 100,
    rows: 50,
    columns: 30,
    cellLength: 80,
    notices: 20,
    noticeLength: 500,
    errorLength: 4000,
  },
  {
    tables: 5,
    listedSets: 50,
    rows: 25,
    columns: 20,
    cellLength: 50,
    notices: 10,
    noticeLength: 300,
    errorLength: 2000,
  },
  {
    tables: 3,
    listedSets: 30,
    rows: 10,
    columns: 15,
    cellLength: 30,
    notices: 5,
    noticeLength: 200,
    errorLength: 1000,
  },
  {
    tables: 1,
    listedSets: 10,
    rows: 5,
    columns: 10,
    cellLength: 20,
    notices: 2,
    noticeLength: 100,
    errorLength: 500,
  },
  {
    tables: 0,
    listedSets: 5,
    rows: 0,
    columns: 0,
    cellLength: 0,
    notices: 0,
    noticeLength: 0,
    errorLength: 200,
  },
];

/** Names and labels come from config and GitHub, not users' data, but are still bounded. */
const NAME_LENGTH = 100;
const APPROVERS_LENGTH = 500;
const GRANT_LENGTH = 300;

interface TableModel {
  header: string[];
  rows: (string | null)[][];
}

interface ResultSetModel {
  index: number;
  command: string;
  totalRows: number;
  affectedRows: number | null;
  isQuery: boolean;
  columnCount: number;
  /** Summary mode has no table to show the columns, so it counts them. */
  showColumnCount: boolean;
  /** null when only counts are shown (summary mode, or over the table budget). */
  table: TableModel | null;
  shownRows: number;
  rowsHidden: boolean;
  hiddenColumns: number;
}

interface ResultModel {
  none: boolean;
  summary: boolean;
  succeeded: boolean;
  requestId: number;
  resource: string;
  requester: string;
  approvedBy: string;
  grant: string;
  durationMs: number;
  affectedRows: number;
  rolledBack: boolean;
  maskedCells: number;
  resultSets: ResultSetModel[];
  hiddenResultSets: number;
  noticeCount: number;
  notices: string[];
  hiddenNotices: number;
  error: {
    message: string;
    hasMessage: boolean;
    code: string;
    hasPosition: boolean;
    position: number;
  } | null;
  shortened: boolean;
  maxLength: number;
}

function cutCell(value: string | null | undefined, length: number): string | null {
  if (value === null) return null;
  // Ragged rows would break the table; a missing cell shows as empty.
  return truncateText(value ?? "", length);
}

function tableModel(set: ResultSet, limits: Limits): TableModel {
  const columns = set.columns.slice(0, limits.columns);
  return {
    header: columns.map((name) => truncateText(name, Math.max(limits.cellLength, 20))),
    rows: set.rows
      .slice(0, limits.rows)
      .map((row) => columns.map((_, column) => cutCell(row[column], limits.cellLength))),
  };
}

function resultSetModel(
  set: ResultSet,
  index: number,
  limits: Limits,
  withData: boolean,
): ResultSetModel {
  const totalRows = Math.max(set.totalRows, set.rows.length);
  const isQuery = set.columns.length > 0;
  const showTable = withData && isQuery && index < limits.tables && limits.rows > 0;
  const table = showTable ? tableModel(set, limits) : null;
  const shownRows = table?.rows.length ?? 0;
  return {
    index: index + 1,
    command: truncateText(set.command, NAME_LENGTH),
    totalRows,
    affectedRows: set.affectedRows,
    isQuery,
    columnCount: set.columns.length,
    showColumnCount: !withData,
    table,
    shownRows,
    rowsHidden: table !== null && shownRows < totalRows,
    hiddenColumns: table !== null ? set.columns.length - table.header.length : 0,
  };
}

function buildModel(view: ResultView, limits: Limits, step: number, maxLength: number) {
  const { outcome } = view;
  const withData = view.output === "table";
  const sets = outcome.resultSets.slice(0, limits.listedSets);
  const notices = withData ? outcome.notices.slice(0, limits.notices) : [];
  const error = outcome.error;
  const model: ResultModel = {
    none: view.output === "none",
    summary: view.output === "summary",
    succeeded: outcome.status === "succeeded",
    requestId: view.requestId,
    resource: truncateText(view.resource, NAME_LENGTH),
    requester: truncateText(view.requester, NAME_LENGTH),
    approvedBy: truncateText(view.approvedBy.join(", "), APPROVERS_LENGTH),
    grant: truncateText(view.grant ?? "", GRANT_LENGTH),
    durationMs: outcome.durationMs,
    affectedRows: outcome.affectedRows,
    rolledBack: outcome.rolledBack,
    maskedCells: view.maskedCells ?? 0,
    resultSets: sets.map((set, index) => resultSetModel(set, index, limits, withData)),
    hiddenResultSets: outcome.resultSets.length - sets.length,
    noticeCount: outcome.notices.length,
    notices: notices.map((notice) => truncateText(notice, limits.noticeLength)),
    hiddenNotices: outcome.notices.length - notices.length,
    // Summary mode withholds the message: database errors quote values (duplicate keys,
    // failing rows), which is exactly what summary mode keeps out of the comment.
    error:
      error === undefined
        ? null
        : {
            message: withData ? truncateText(error.message, limits.errorLength) : "",
            hasMessage: withData,
            code: truncateText(error.code ?? "", NAME_LENGTH),
            hasPosition: error.position !== undefined,
            position: error.position ?? 0,
          },
    shortened: step > 0,
    maxLength,
  };
  return model;
}

/** The most that any render can show (each field's maximum over LIMIT_STEPS). */
const SHOWN_AT_MOST = LIMIT_STEPS.reduce(
  (most, limits) => ({
    tables: Math.max(most.tables, limits.tables),
    rows: Math.max(most.rows, limits.rows),
    columns: Math.max(most.columns, limits.columns),
    cellLength: Math.max(most.cellLength, limits.cellLength),
    notices: Math.max(most.notices, limits.notices),
  }),
  { tables: 0, rows: 0, columns: 0, cellLength: 0, notices: 0 },
);

/**
 * How far past the longest shown cell a cell is scrubbed. A secret that starts before the cut
 * and is shorter than this is still seen whole. The engines scrub whole cells where they are
 * read (ResultSetBuilder); this bound keeps the renderer's second pass cheap on a command
 * that keeps thousands of 10,000-character cells.
 */
export const REDACT_MARGIN = 4_096;

function redactCell(cell: string, redact: (text: string) => string): string {
  const window = SHOWN_AT_MOST.cellLength + REDACT_MARGIN;
  if (cell.length <= window) return redact(cell);
  // Still longer than any shown cell after scrubbing, so it is cut and marked as before.
  return redact(cell.slice(0, window)) + "…";
}

function redactSet(set: ResultSet, index: number, redact: (text: string) => string): ResultSet {
  // Only cells that some render can show are scrubbed, and kept: the rest is never displayed.
  const rows =
    index < SHOWN_AT_MOST.tables
      ? set.rows
          .slice(0, SHOWN_AT_MOST.rows)
          .map((row) =>
            row
              .slice(0, SHOWN_AT_MOST.columns)
              .map((cell) => (cell === null ? null : redactCell(cell, redact))),
          )
      : [];
  return {
    ...set,
    columns: set.columns.map(redact),
    rows,
    // Rows dropped above are still counted.
    totalRows: Math.max(set.totalRows, set.rows.length),
    command: redact(set.command),
  };
}

/**
 * Every value of the view that reaches the comment, scrubbed while it is still raw text: once
 * escaped, a password with `_`, `$`, `|`, a backtick or `@` is spelled differently and would
 * survive; once cut, a password split by the cut would too.
 */
function redactView(view: ResultView, redact: (text: string) => string): ResultView {
  const { outcome } = view;
  const error = outcome.error;
  return {
    ...view,
    resource: redact(view.resource),
    requester: redact(view.requester),
    approvedBy: view.approvedBy.map(redact),
    ...(view.grant === undefined ? {} : { grant: redact(view.grant) }),
    outcome: {
      ...outcome,
      resultSets: outcome.resultSets.map((set, index) => redactSet(set, index, redact)),
      // Notices past those any render lists are only counted; their text is dropped.
      notices: outcome.notices.map((notice, index) =>
        index < SHOWN_AT_MOST.notices ? redact(notice) : "",
      ),
      ...(error === undefined
        ? {}
        : {
            error: {
              ...error,
              message: redact(error.message),
              ...(error.code === undefined ? {} : { code: redact(error.code) }),
            },
          }),
    },
  };
}

/**
 * The last word on what is posted: scrubbing the finished comment must find nothing more, and
 * if it does (a user name that only appears next to template text) the scrubbed comment is cut
 * again, so that scrubbing can never push a comment past the limit. A comment that will not
 * settle in a few passes is replaced by the truncation note, which holds no output.
 */
function settle(
  rendered: string,
  redact: (text: string) => string,
  maxLength: number,
  note: string,
): string {
  let body = rendered;
  for (let pass = 0; pass < 3; pass += 1) {
    const next = truncateMarkdown(redact(body), maxLength, note);
    if (next === body) return body;
    body = next;
  }
  return truncateText(note.trim(), maxLength);
}

/** The result comment for one execution, at most `maxLength` (default 65,536) characters. */
export function renderResultComment(view: ResultView, options: RenderResultOptions = {}): string {
  const maxLength = options.maxLength ?? MAX_COMMENT_LENGTH;
  const redact = options.redact;
  const shown = redact === undefined ? view : redactView(view, redact);
  const note = renderTemplate("result-truncated", { maxLength });
  let rendered = "";
  for (const [step, limits] of LIMIT_STEPS.entries()) {
    rendered = renderTemplate("result", buildModel(shown, limits, step, maxLength));
    if (rendered.length <= maxLength) break;
  }
  rendered = truncateMarkdown(rendered, maxLength, note);
  return redact === undefined ? rendered : settle(rendered, redact, maxLength, note);
}
