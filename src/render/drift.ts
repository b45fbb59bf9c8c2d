/**
 * What the worker says when the plan drifted between approval and execution (issue 16): which
 * statements, the estimate the reviewers saw against the one now, and that the request is back
 * to pending. Two renderings of one text: Markdown for the comment (statements shown as code),
 * and plain text for the status notes and the check run, which their templates escape. Pure
 * and bounded; statements and the server's reasons are escaped.
 */
import { escapeInline, truncateText } from "./escape.js";
import { formatNumber } from "./helpers.js";
import { codeExcerpt, fitSections, formatRows, scrub } from "./plan.js";
import type { DriftFinding } from "../engines/plan-types.js";

/** A comment or a status note, not a page: a reviewer reads it at a glance. */
export const DRIFT_MESSAGE_MAX_LENGTH = 4_000;

export interface DriftMessageOptions {
  maxLength?: number;
  /** Removes credentials from raw text before it is cut or escaped (engines/redact.ts). */
  redact?: (text: string) => string;
}

interface DriftLimits {
  /** Findings named; the rest are counted. */
  named: number;
  excerpt: number;
  reason: number;
}

const DRIFT_STEPS: readonly DriftLimits[] = [
  { named: 10, excerpt: 60, reason: 200 },
  { named: 5, excerpt: 40, reason: 100 },
  { named: 2, excerpt: 0, reason: 60 },
  { named: 0, excerpt: 0, reason: 0 },
];

const SHOWN_AT_MOST = { excerpt: 60, reason: 200 };

const CLOSING = "The request is back to pending and approvals are requested again.";

/** How the two renderings differ: escaping, and whether statements are quoted. */
interface Flavour {
  text: (plain: string) => string;
  excerpt: (statement: string, max: number) => string;
}

const MARKDOWN: Flavour = {
  text: escapeInline,
  excerpt: (statement, max) => (max > 0 ? ` (${codeExcerpt(statement, max)})` : ""),
};

const PLAIN: Flavour = { text: (plain) => plain, excerpt: () => "" };

/** The factor findDrift applied: an invalid one is treated as 1×, as there. */
function growthFactor(maxGrowth: number): number {
  return Number.isFinite(maxGrowth) && maxGrowth >= 1 ? maxGrowth : 1;
}

function phrase(
  finding: DriftFinding,
  maxGrowth: number,
  limits: DriftLimits,
  flavour: Flavour,
  redact: DriftMessageOptions["redact"],
): string {
  const statement = `statement ${formatNumber(finding.number)}`;
  const quoted = flavour.excerpt(
    scrub(finding.text, SHOWN_AT_MOST.excerpt, redact),
    limits.excerpt,
  );
  if (finding.kind === "missing") {
    const raw = scrub(finding.reason ?? "", SHOWN_AT_MOST.reason, redact)
      .replace(/\s+/g, " ")
      .replace(/[\s.]+$/, "");
    const reason = limits.reason > 0 && raw !== "" ? ` (${truncateText(raw, limits.reason)})` : "";
    return `${statement}${quoted}: ${flavour.text(`a table it touches no longer exists${reason}`)}`;
  }
  const now = finding.after === null ? "no estimate" : formatRows(finding.after);
  const before =
    finding.before === null
      ? `had no plan at approval and is now estimated at ${now} rows`
      : `was estimated at ${formatRows(finding.before)} rows, now ${now} (over ${formatNumber(growthFactor(maxGrowth))}× growth)`;
  return `${statement}${quoted} ${flavour.text(before)}`;
}

function render(
  findings: DriftFinding[],
  maxGrowth: number,
  limits: DriftLimits,
  flavour: Flavour,
  redact: DriftMessageOptions["redact"],
): string {
  if (findings.length === 0) return flavour.text("The plan has not changed since approval.");
  const named = findings
    .slice(0, limits.named)
    .map((f) => phrase(f, maxGrowth, limits, flavour, redact));
  const rest = findings.length - named.length;
  if (rest > 0) {
    const more = `${formatNumber(rest)} ${named.length > 0 ? "more " : ""}${rest === 1 ? "statement" : "statements"} changed`;
    named.push(flavour.text(named.length > 0 ? `and ${more}` : more));
  }
  return `${flavour.text("The plan changed since approval: ")}${named.join("; ")}. ${flavour.text(CLOSING)}`;
}

function fit(
  findings: DriftFinding[],
  maxGrowth: number,
  options: DriftMessageOptions,
  flavour: Flavour,
): string {
  const maxLength = options.maxLength ?? DRIFT_MESSAGE_MAX_LENGTH;
  // The closing sentence is what a reader must not lose: the cut keeps it.
  return fitSections(
    DRIFT_STEPS,
    (limits) => render(findings, maxGrowth, limits, flavour, options.redact),
    maxLength,
    flavour.text(`The plan changed since approval. ${CLOSING}`),
  );
}

/**
 * The comment (Markdown) when the worker finds drift before execution, e.g. "The plan changed
 * since approval: statement 2 was estimated at 120 rows, now 48,000 (over 10× growth); …".
 */
export function renderDriftMessage(
  findings: DriftFinding[],
  maxGrowth: number,
  options: DriftMessageOptions = {},
): string {
  return fit(findings, maxGrowth, options, MARKDOWN);
}

/** The same message as plain text, for a status note or a check run that escapes it itself. */
export function describeDrift(
  findings: DriftFinding[],
  maxGrowth: number,
  options: DriftMessageOptions = {},
): string {
  return fit(findings, maxGrowth, options, PLAIN);
}
