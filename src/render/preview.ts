/**
 * The "Dry run on the preview target" section of a request PR (issue 16): the command ran on
 * the operator's preview copy and was rolled back, and the reviewers see what it really did
 * there: the affected-row count of each statement and the first rows of any result or
 * RETURNING. Pure, bounded and escaped like a result comment, and it withholds what the
 * resource's `output` setting withholds from result comments (rows and error messages in
 * summary mode, everything but the outcome in none).
 *
 * result.ts keeps its table rendering private (it is one template over the whole comment), so
 * the bounded table is written here; see the report of issue 16 for the export that would let
 * both share it.
 */
import {
  codeFence,
  escapeInline,
  escapeTableCell,
  truncateMarkdown,
  truncateText,
} from "./escape.js";
import { formatCount, formatElapsed, formatNumber } from "./helpers.js";
import { codeExcerpt, fitSections, formatInstant, scrub } from "./plan.js";
import type { PreviewResult } from "../engines/plan-types.js";
import type { ExecutionOutcome, ResultSet } from "../engines/types.js";

/** The section's default budget: a share of the PR body, which GitHub caps at 65,536. */
export const PREVIEW_SECTION_MAX_LENGTH = 16_000;

export interface PreviewSectionOptions {
  /** The resource's `output` setting, as for the result comment. */
  output: "table" | "summary" | "none";
  maxLength?: number;
  /** Removes credentials from raw text before it is cut or escaped (engines/redact.ts). */
  redact?: (text: string) => string;
}

interface PreviewLimits {
  /** Result sets shown as tables; the rest get their counts only. */
  tables: number;
  /** Result sets listed at all; the rest are counted. */
  listed: number;
  rows: number;
  columns: number;
  cellLength: number;
  notices: number;
  noticeLength: number;
  errorLength: number;
}

// Each step roughly halves the one before; the PR body also holds the command and the plan.
const PREVIEW_STEPS: readonly PreviewLimits[] = [
  {
    tables: 5,
    listed: 50,
    rows: 10,
    columns: 20,
    cellLength: 100,
    notices: 10,
    noticeLength: 300,
    errorLength: 2000,
  },
  {
    tables: 3,
    listed: 30,
    rows: 10,
    columns: 15,
    cellLength: 50,
    notices: 5,
    noticeLength: 200,
    errorLength: 1000,
  },
  {
    tables: 2,
    listed: 10,
    rows: 5,
    columns: 10,
    cellLength: 30,
    notices: 2,
    noticeLength: 100,
    errorLength: 500,
  },
  {
    tables: 0,
    listed: 5,
    rows: 0,
    columns: 0,
    cellLength: 0,
    notices: 0,
    noticeLength: 0,
    errorLength: 200,
  },
];

/** The most any step shows, for scrubbing only what can be shown. */
const SHOWN_AT_MOST = PREVIEW_STEPS.reduce(
  (most, limits) => ({
    tables: Math.max(most.tables, limits.tables),
    rows: Math.max(most.rows, limits.rows),
    columns: Math.max(most.columns, limits.columns),
    cellLength: Math.max(most.cellLength, limits.cellLength),
    notices: Math.max(most.notices, limits.notices),
    text: Math.max(most.text, limits.errorLength, limits.noticeLength),
  }),
  { tables: 0, rows: 0, columns: 0, cellLength: 0, notices: 0, text: 0 },
);
const NAME_LENGTH = 60;

const HEADING = "### Dry run on the preview target";

type Redact = ((text: string) => string) | undefined;

/** Only what some step can show is scrubbed and kept: the rest is never displayed. */
function scrubOutcome(outcome: ExecutionOutcome, redact: Redact): ExecutionOutcome {
  if (redact === undefined) return outcome;
  const error = outcome.error;
  return {
    ...outcome,
    resultSets: outcome.resultSets.map((set, index) => ({
      ...set,
      command: scrub(set.command, NAME_LENGTH, redact),
      columns: set.columns
        .slice(0, SHOWN_AT_MOST.columns)
        .map((c) => scrub(c, NAME_LENGTH, redact)),
      rows:
        index < SHOWN_AT_MOST.tables
          ? set.rows
              .slice(0, SHOWN_AT_MOST.rows)
              .map((row) =>
                row
                  .slice(0, SHOWN_AT_MOST.columns)
                  .map((cell) =>
                    cell === null ? null : scrub(cell, SHOWN_AT_MOST.cellLength, redact),
                  ),
              )
          : [],
      // Rows dropped above are still counted.
      totalRows: Math.max(set.totalRows, set.rows.length),
    })),
    notices: outcome.notices.map((notice, index) =>
      index < SHOWN_AT_MOST.notices ? scrub(notice, SHOWN_AT_MOST.text, redact) : "",
    ),
    ...(error === undefined
      ? {}
      : {
          error: {
            ...error,
            message: scrub(error.message, SHOWN_AT_MOST.text, redact),
            ...(error.code === undefined ? {} : { code: redact(error.code) }),
          },
        }),
  };
}

function cell(value: string | null | undefined, length: number): string {
  if (value === null) return "*NULL*";
  // A ragged row would break the table: a missing cell shows as empty.
  return escapeTableCell(truncateText(value ?? "", length));
}

function table(set: ResultSet, limits: PreviewLimits): string {
  const columns = set.columns.slice(0, limits.columns);
  const lines = [
    `|${columns.map((name) => ` ${cell(name, Math.max(limits.cellLength, 20))} |`).join("")}`,
    `|${columns.map(() => " --- |").join("")}`,
    ...set.rows
      .slice(0, limits.rows)
      .map((row) => `|${columns.map((_, i) => ` ${cell(row[i], limits.cellLength)} |`).join("")}`),
  ];
  const totalRows = Math.max(set.totalRows, set.rows.length);
  const shown = Math.min(set.rows.length, limits.rows);
  const notes: string[] = [];
  if (shown < totalRows)
    notes.push(`Showing ${formatNumber(shown)} of ${formatCount(totalRows, "row")}.`);
  const hiddenColumns = set.columns.length - columns.length;
  if (hiddenColumns > 0) notes.push(`${formatCount(hiddenColumns, "more column")} not shown.`);
  return [...(notes.length > 0 ? [notes.join(" ")] : []), lines.join("\n")].join("\n\n");
}

function resultSetBlock(set: ResultSet, index: number, limits: PreviewLimits, withData: boolean) {
  const parts = [
    `**Result ${formatNumber(index + 1)} · ${escapeInline(truncateText(set.command, NAME_LENGTH))}**`,
  ];
  if (set.affectedRows !== null) parts.push(`${formatCount(set.affectedRows, "row")} affected`);
  const isQuery = set.columns.length > 0;
  if (isQuery)
    parts.push(`${formatCount(Math.max(set.totalRows, set.rows.length), "row")} returned`);
  const line = parts.join(" · ");
  const showTable = withData && isQuery && index < limits.tables && limits.rows > 0;
  return showTable ? `${line}\n\n${table(set, limits)}` : line;
}

function errorBlock(outcome: ExecutionOutcome, limits: PreviewLimits, withData: boolean): string[] {
  const error = outcome.error;
  if (error === undefined) return [];
  // Not a backtick code span: a code holding `<details>` would leave it raw in the Markdown.
  const code = error.code === undefined ? "" : ` ${codeExcerpt(error.code, NAME_LENGTH)}`;
  const position =
    error.position === undefined ? "" : ` at position ${formatNumber(error.position)}`;
  const head = `**Error${code}${position}** on the preview target`;
  // Database errors quote values (duplicate keys, failing rows): summary mode withholds them.
  if (!withData) return [`${head} (message withheld: this resource posts summaries only).`];
  return [`${head}:`, codeFence(truncateText(error.message, limits.errorLength), "text")];
}

function noticesBlock(notices: string[], limits: PreviewLimits, withData: boolean): string[] {
  if (notices.length === 0) return [];
  const count = formatCount(notices.length, "notice");
  if (!withData) return [`${count} (not shown: this resource posts summaries only).`];
  const shown = notices.slice(0, limits.notices);
  if (shown.length === 0) return [`${count} (not shown: too long for the pull request).`];
  const items = shown.map(
    (notice) => `- ${escapeInline(truncateText(notice, limits.noticeLength))}`,
  );
  if (notices.length > shown.length)
    items.push(`- …and ${formatNumber(notices.length - shown.length)} more`);
  return [`<details>\n<summary>${count}</summary>\n\n${items.join("\n")}\n\n</details>`];
}

/** What was kept: claimed only when the engine says it rolled back. */
function ranLine(ranAt: string, outcome: ExecutionOutcome): string {
  const at = `Dry run on the preview target at ${formatInstant(ranAt)}`;
  if (outcome.rolledBack) return `${at}, rolled back: nothing was kept.`;
  return `${at}. ⚠️ Countersign could not confirm that it was rolled back: if any statement ran, the preview target may have kept its changes.`;
}

function outcomeLine(outcome: ExecutionOutcome): string {
  const rows = `${formatCount(outcome.affectedRows, "row")} affected`;
  const time = formatElapsed(outcome.durationMs);
  return outcome.status === "succeeded"
    ? `✅ It succeeded there in ${time}: ${rows}.`
    : `❌ It failed there after ${time}.`;
}

function renderRan(
  ranAt: string,
  outcome: ExecutionOutcome,
  output: PreviewSectionOptions["output"],
  limits: PreviewLimits,
  shortened: boolean,
): string {
  const blocks = [HEADING, ranLine(ranAt, outcome), outcomeLine(outcome)];
  if (output !== "none") {
    const withData = output === "table";
    blocks.push(...errorBlock(outcome, limits, withData));
    const listed = outcome.resultSets.slice(0, limits.listed);
    blocks.push(...listed.map((set, index) => resultSetBlock(set, index, limits, withData)));
    const hidden = outcome.resultSets.length - listed.length;
    if (hidden > 0) blocks.push(`…and ${formatCount(hidden, "more result set")} not listed.`);
    blocks.push(...noticesBlock(outcome.notices, limits, withData));
  }
  if (shortened) blocks.push("<sub>Shortened to fit the pull request.</sub>");
  return `${blocks.join("\n\n")}\n`;
}

/**
 * The dry run's section of the request PR body, at most `maxLength` (default 16,000)
 * characters.
 */
export function renderPreviewSection(
  preview: PreviewResult,
  options: PreviewSectionOptions,
): string {
  const maxLength = options.maxLength ?? PREVIEW_SECTION_MAX_LENGTH;
  const note = "*The dry run's output was shortened to fit the pull request.*";
  if (!preview.ok) {
    const reason = truncateText(scrub(preview.reason, 500, options.redact), 500);
    const text = `${HEADING}\n\nNo dry run: ${escapeInline(reason.replace(/[\s.]+$/, ""))}.\n`;
    return truncateMarkdown(text, maxLength, note);
  }
  const outcome = scrubOutcome(preview.outcome, options.redact);
  return fitSections(
    PREVIEW_STEPS,
    (limits, shortened) => renderRan(preview.ranAt, outcome, options.output, limits, shortened),
    maxLength,
    note,
  );
}
