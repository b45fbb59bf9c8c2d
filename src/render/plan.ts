/**
 * The "Plan" section of a request PR (issue 16): what the planner expects each statement to
 * touch, before anyone approves. Pure, and bounded like a result comment: rendered with
 * generous limits, then with tighter ones while it is longer than its budget, and only cut
 * (Markdown closed, a note saying so) if even the tightest render is too long. Everything that
 * came from the command or the server is escaped: statements, reasons and table names can hold
 * backticks, pipes, HTML and mentions.
 *
 * The wording is built here, not in templates/: the section is a budgeted loop over limits
 * (like result.ts), and the pieces it measures are small; the PR body's template takes the
 * finished section as one value.
 */
import {
  ELLIPSIS,
  escapeInline,
  escapeTableCell,
  safeCutIndex,
  truncateMarkdown,
  truncateText,
} from "./escape.js";
import { formatNumber } from "./helpers.js";
import { REDACT_MARGIN } from "./result.js";
import type {
  EstimateJudgement,
  PlanResult,
  SeqScan,
  StatementPlan,
} from "../engines/plan-types.js";

/** The section's default budget: a share of the PR body, which GitHub caps at 65,536. */
export const PLAN_SECTION_MAX_LENGTH = 12_000;

export interface PlanSectionOptions {
  /** What the resource's `max_estimated_rows` does when the estimate is over it. */
  mode?: "deny" | "warn";
  maxLength?: number;
  /** Removes credentials from raw text before it is cut or escaped (engines/redact.ts). */
  redact?: (text: string) => string;
}

// ---- Shared by the plan, preview and drift renderers ----------------------------------------

type Redact = ((text: string) => string) | undefined;

/**
 * `redact` applied to the start of `text` that any render can show (plus a margin, so a secret
 * straddling the cut is still seen whole); the rest is never displayed, and is dropped.
 */
export function scrub(text: string, shownAtMost: number, redact: Redact): string {
  if (redact === undefined) return text;
  const window = shownAtMost + REDACT_MARGIN;
  if (text.length <= window) return redact(text);
  return redact(text.slice(0, safeCutIndex(text, window))) + ELLIPSIS;
}

/** How much of a statement is looked at for its excerpt: whitespace runs shrink it anyway. */
const EXCERPT_WINDOW = 2_048;

/**
 * The first `max` characters of a statement (whitespace collapsed, so it stays on one line) as
 * inline code. An HTML `<code>` element around escaped text, not a backtick code span: a code
 * span shows `&lt;` literally, so raw `<details>` or `<script>` from the command would sit in
 * the Markdown unescaped, where truncateMarkdown counts it as open HTML; and inside a table a
 * backslash before a pipe would end the cell.
 */
export function codeExcerpt(text: string, max: number): string {
  const cut = text.length > EXCERPT_WINDOW;
  const window = cut ? text.slice(0, safeCutIndex(text, EXCERPT_WINDOW)) : text;
  const flat = window.replace(/\s+/g, " ").trim();
  return `<code>${escapeInline(truncateText(cut ? flat + ELLIPSIS : flat, max))}</code>`;
}

/** `2025-01-02 03:04:05 UTC` from ISO 8601; never throws. */
export function formatInstant(iso: string): string {
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) return "an unknown time";
  return new Date(time)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

/** A row count as people read it; a malformed one is never shown as a small number. */
export function formatRows(rows: number): string {
  return Number.isFinite(rows) && rows >= 0 ? formatNumber(Math.round(rows)) : "unknown";
}

/** `statement 3`, `statements 3, 5 and 8`, at most `max` numbers named. */
export function statementList(numbers: number[], max = 10): string {
  const named = numbers.slice(0, max).map((n) => formatNumber(n));
  const rest = numbers.length - named.length;
  if (rest > 0) named.push(`${formatNumber(rest)} more`);
  const last = named.pop() ?? "";
  const list = named.length === 0 ? last : `${named.join(", ")} and ${last}`;
  return `${numbers.length === 1 ? "statement" : "statements"} ${list}`;
}

/** A reason's own final full stop is dropped: the sentence it is put in adds one. */
function withoutFinalStop(text: string): string {
  return text.replace(/[\s.]+$/, "");
}

/**
 * Renders with each set of limits in turn until one fits `maxLength`; if none does, the last
 * is cut at a line boundary with its Markdown closed and `note` appended.
 */
export function fitSections<L>(
  steps: readonly L[],
  render: (limits: L, shortened: boolean) => string,
  maxLength: number,
  note: string,
): string {
  let rendered = "";
  for (const [index, limits] of steps.entries()) {
    rendered = render(limits, index > 0);
    if (rendered.length <= maxLength) return rendered;
  }
  return truncateMarkdown(rendered, maxLength, note);
}

// ---- The plan section ------------------------------------------------------------------------

interface PlanLimits {
  /** Statements given a row of the table; the rest are summed up in one line. */
  rows: number;
  excerpt: number;
  reason: number;
  /** Large sequential scans named per statement. */
  scans: number;
  name: number;
  /** Statements named as over the limit on their own. */
  overNamed: number;
}

const PLAN_STEPS: readonly PlanLimits[] = [
  { rows: 100, excerpt: 80, reason: 300, scans: 3, name: 63, overNamed: 10 },
  { rows: 50, excerpt: 60, reason: 150, scans: 2, name: 40, overNamed: 5 },
  { rows: 20, excerpt: 40, reason: 80, scans: 1, name: 30, overNamed: 3 },
  { rows: 5, excerpt: 30, reason: 40, scans: 1, name: 20, overNamed: 1 },
  { rows: 0, excerpt: 0, reason: 0, scans: 0, name: 0, overNamed: 0 },
];

const SHOWN_AT_MOST = { excerpt: 80, reason: 300, name: 63 };

const HEADING = "### Plan";
const HEADER =
  "| # | statement | estimated rows | plan | warnings |\n| --- | --- | --- | --- | --- |";

/** The section when the resource has `plan: false`. */
export function renderPlanOffSection(): string {
  return `${HEADING}\n\nPlans are switched off for this resource.\n`;
}

function relationName(scan: SeqScan): string {
  return scan.schema === "" || scan.schema === "public" ? scan.name : `${scan.schema}.${scan.name}`;
}

function isLargeScan(scan: SeqScan): boolean {
  return scan.large;
}

function warningsCell(scans: SeqScan[], limits: PlanLimits, redact: Redact): string {
  const large = scans.filter(isLargeScan);
  const named = large.slice(0, limits.scans).map((scan) => {
    const name = codeExcerpt(scrub(relationName(scan), SHOWN_AT_MOST.name, redact), limits.name);
    return `⚠️ sequential scan of ${name} (${formatRows(scan.tableRows)} rows)`;
  });
  const rest = large.length - named.length;
  if (rest > 0) named.push(`⚠️ ${formatNumber(rest)} more large sequential scans`);
  return named.join("<br>");
}

function statementRow(statement: StatementPlan, limits: PlanLimits, redact: Redact): string {
  const text = codeExcerpt(scrub(statement.text, SHOWN_AT_MOST.excerpt, redact), limits.excerpt);
  const cells = statement.planned
    ? [
        formatRows(statement.estimatedRows),
        escapeTableCell(
          truncateText(
            statement.inputNode === undefined
              ? statement.topNode
              : `${statement.topNode} ← ${statement.inputNode}`,
            limits.name * 2,
          ),
        ),
        warningsCell(statement.seqScans, limits, redact),
      ]
    : [
        "—",
        `no plan: ${escapeTableCell(truncateText(scrub(statement.reason, SHOWN_AT_MOST.reason, redact), limits.reason))}`,
        "",
      ];
  return `| ${formatNumber(statement.number)} | ${text} | ${cells.join(" | ")} |`;
}

/** One line for the statements past the table, naming what a reviewer must not miss in them. */
function hiddenLine(hidden: StatementPlan[]): string {
  const planned = hidden.filter((s) => s.planned);
  const rows = planned.reduce((sum, s) => sum + (s.planned ? s.estimatedRows : 0), 0);
  const parts = [`${formatRows(rows)} estimated rows`];
  const scanned = planned.filter((s) => s.planned && s.seqScans.some(isLargeScan));
  if (scanned.length > 0) {
    parts.push(
      `⚠️ sequential scans of large tables in ${statementList(scanned.map((s) => s.number))}`,
    );
  }
  const unplanned = hidden.filter((s) => !s.planned);
  if (unplanned.length > 0)
    parts.push(`no plan for ${statementList(unplanned.map((s) => s.number))}`);
  const count = formatNumber(hidden.length);
  return `…and ${count} more ${hidden.length === 1 ? "statement" : "statements"} not shown: ${parts.join("; ")}.`;
}

const LIMIT_NAME = "`max_estimated_rows`";

function totalText(total: number): string {
  return Number.isFinite(total) && total >= 0
    ? `${formatRows(total)} estimated rows in total`
    : "an estimate that could not be read";
}

/** The statements over the limit on their own, a bounded few by name. */
function overAlone(over: { number: number; estimatedRows: number }[], limits: PlanLimits): string {
  if (over.length === 0) return "";
  const named = over
    .slice(0, limits.overNamed)
    .map((s) => `statement ${formatNumber(s.number)} (${formatRows(s.estimatedRows)} rows)`);
  const rest = over.length - named.length;
  if (named.length === 0) {
    return ` ${formatNumber(rest)} ${rest === 1 ? "statement is" : "statements are"} over it on their own.`;
  }
  const more = rest > 0 ? ` and ${formatNumber(rest)} more` : "";
  return ` Over the limit on their own: ${named.join(", ")}${more}.`;
}

function judgementLine(
  plan: Extract<PlanResult, { ok: true }>,
  judgement: EstimateJudgement | undefined,
  options: PlanSectionOptions,
  limits: PlanLimits,
): string {
  if (judgement === undefined) {
    const unplanned = plan.statements.filter((s) => !s.planned).length;
    const note = unplanned > 0 ? ` (statements without a plan are not counted)` : "";
    return `**${totalText(plan.totalEstimatedRows)}**${note}.`;
  }
  const limit = `the limit of ${formatRows(judgement.limit)} (${LIMIT_NAME})`;
  const total = `**${totalText(judgement.total)}**`;
  switch (judgement.verdict) {
    case "within":
      return `${total}, within ${limit}.`;
    case "over": {
      const outcome =
        options.mode === "deny"
          ? ": ⛔ the request is denied."
          : options.mode === "warn"
            ? ": ⚠️ a warning; approve only if that many rows is intended."
            : ".";
      return `${total}, over ${limit}${outcome}${overAlone(judgement.statements, limits)}`;
    }
    case "unknown": {
      const raw = scrub(judgement.reason, SHOWN_AT_MOST.reason, options.redact);
      const reason = truncateText(withoutFinalStop(raw), Math.max(limits.reason, 80));
      return `${total}; the estimate could not be checked against ${limit}: ${escapeInline(reason)}.`;
    }
  }
}

function renderPlanned(
  plan: Extract<PlanResult, { ok: true }>,
  judgement: EstimateJudgement | undefined,
  options: PlanSectionOptions,
  limits: PlanLimits,
): string {
  const blocks = [
    HEADING,
    `Estimated by EXPLAIN without ANALYZE at ${formatInstant(plan.plannedAt)}: nothing was run.`,
  ];
  if (plan.statements.length === 0) {
    blocks.push("The command has no statement to plan.");
    return `${blocks.join("\n\n")}\n`;
  }
  blocks.push(judgementLine(plan, judgement, options, limits));
  const shown = plan.statements.slice(0, limits.rows);
  if (shown.length > 0) {
    blocks.push([HEADER, ...shown.map((s) => statementRow(s, limits, options.redact))].join("\n"));
  }
  const hidden = plan.statements.slice(shown.length);
  if (hidden.length > 0) blocks.push(hiddenLine(hidden));
  return `${blocks.join("\n\n")}\n`;
}

function renderUnavailable(
  reason: string,
  judgement: EstimateJudgement | undefined,
  redact: Redact,
): string {
  const raw = withoutFinalStop(scrub(reason, SHOWN_AT_MOST.reason, redact));
  const shown = truncateText(raw, SHOWN_AT_MOST.reason);
  const blocks = [HEADING, `No plan: ${escapeInline(shown)}. The request proceeds without one.`];
  if (judgement !== undefined) {
    blocks.push(
      `The estimate could not be checked against the limit of ${formatRows(judgement.limit)} (${LIMIT_NAME}).`,
    );
  }
  return `${blocks.join("\n\n")}\n`;
}

/**
 * The "Plan" section of the request PR body, at most `maxLength` (default 12,000) characters.
 * `judgement` is judgeEstimate's verdict when the resource sets `max_estimated_rows`.
 */
export function renderPlanSection(
  plan: PlanResult,
  judgement?: EstimateJudgement,
  options: PlanSectionOptions = {},
): string {
  const maxLength = options.maxLength ?? PLAN_SECTION_MAX_LENGTH;
  const note = "*The plan was shortened to fit the pull request.*";
  if (!plan.ok) {
    return truncateMarkdown(
      renderUnavailable(plan.reason, judgement, options.redact),
      maxLength,
      note,
    );
  }
  return fitSections(
    PLAN_STEPS,
    (limits) => renderPlanned(plan, judgement, options, limits),
    maxLength,
    note,
  );
}
