/**
 * Names and texts of a request's pull request (pure): branch, file path, file content, title,
 * body. Rendered from templates so the wording lives in `templates/`.
 */
import { ruleView } from "../policy/rule-text.js";
import type { ResourcePolicy } from "../policy/config.js";
import { formatDurationSetting } from "../policy/duration.js";
import { renderTemplate } from "./templates.js";
import type { RequestRecord } from "../lifecycle/records.js";
import type { CommandCheck } from "../lifecycle/records.js";
import type { StatusView } from "./status-view.js";
import { renderPlanOffSection, renderPlanSection } from "./plan.js";
import { renderPreviewSection } from "./preview.js";
import { judgeEstimate } from "../engines/plan-types.js";

export function requestBranch(requestId: number): string {
  return `countersign/${requestId}`;
}

/**
 * `requests/<resource>/<yyyy>/<mm>/<id>.sql` for a command, `grants/<resource>/…/<id>.yml`
 * for a grant, dated by when the request was made (UTC).
 */
export function requestFilePath(
  request: Pick<RequestRecord, "id" | "kind" | "resource" | "createdAt">,
): string {
  const year = request.createdAt.getUTCFullYear();
  const month = String(request.createdAt.getUTCMonth() + 1).padStart(2, "0");
  return request.kind === "grant"
    ? `grants/${request.resource}/${year}/${month}/${request.id}.yml`
    : `requests/${request.resource}/${year}/${month}/${request.id}.sql`;
}

/** A grant's window as people read it: `30m`. */
function grantDuration(request: RequestRecord): string {
  return formatDurationSetting(request.grantDurationMs ?? 0);
}

/** SQL comments cannot hold a newline: keep each reason line behind its own `--`. */
function reasonLines(reason: string | null): string[] {
  return reason === null
    ? []
    : reason
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
}

export function requestFileContent(request: RequestRecord): string {
  if (request.kind === "grant") {
    return renderTemplate("grant-file", {
      id: request.id,
      resource: request.resource,
      requester: request.requester,
      windowText: grantDuration(request),
      // JSON strings are valid YAML scalars: quotes and newlines in a reason stay inert.
      reason: JSON.stringify(request.reason ?? ""),
      sourceUrl: request.sourceUrl,
    });
  }
  return renderTemplate("request-file", {
    id: request.id,
    resource: request.resource,
    requester: request.requester,
    sourceUrl: request.sourceUrl,
    reasonLines: reasonLines(request.reason),
    command: request.command,
  });
}

export function requestTitle(request: RequestRecord): string {
  return renderTemplate(request.kind === "grant" ? "grant-title" : "request-title", {
    ...request,
    windowText: grantDuration(request),
  }).trim();
}

export function requestBody(
  request: RequestRecord,
  policy: ResourcePolicy,
  check: CommandCheck | null,
  status: StatusView,
): string {
  if (request.kind === "grant" || check === null) {
    return renderTemplate("grant-body", {
      id: request.id,
      resource: request.resource,
      requester: request.requester,
      sourceUrl: request.sourceUrl,
      reason: request.reason,
      windowText: grantDuration(request),
      rule: ruleView(policy.jit?.approvals ?? policy.approvals),
      timeout: formatDurationSetting(policy.timeoutMs),
      status,
    });
  }
  return renderTemplate("request-body", {
    id: request.id,
    resource: request.resource,
    requester: request.requester,
    sourceUrl: request.sourceUrl,
    reason: request.reason,
    command: request.command,
    classification: check,
    warnings: check.warnings,
    // Rendered, bounded and escaped whole (render/plan.ts, render/preview.ts), in what room
    // the command leaves of GitHub's 65,536 characters.
    planSection: planSectionOf(policy, check, sectionRoom(request.command)),
    previewSection:
      check.preview === undefined
        ? null
        : renderPreviewSection(check.preview, {
            output: policy.output,
            maxLength: sectionRoom(request.command),
          }),
    rule: ruleView(policy.approvals),
    origin: policy.origin ?? null,
    timeout: formatDurationSetting(policy.timeoutMs),
    status,
  });
}

/**
 * The plan before approval as reviewers see it: the table, the `max_estimated_rows` verdict
 * (deny wins over warn), or why there is none; null where no plan is made (not PostgreSQL,
 * no connection configured).
 */
function planSectionOf(
  policy: ResourcePolicy,
  check: CommandCheck,
  maxLength: number,
): string | null {
  if (policy.plan === false) return renderPlanOffSection();
  if (check.plan === undefined) return null;
  const limits = policy.guardrails.maxEstimatedRows;
  const limit = limits?.deny ?? limits?.warn;
  if (limit === undefined) return renderPlanSection(check.plan, undefined, { maxLength });
  const mode = limits?.deny !== undefined ? "deny" : "warn";
  return renderPlanSection(check.plan, judgeEstimate(check.plan, limit), { mode, maxLength });
}

/** The rest of the body (rule, status, table of statements) stays well under this. */
const BODY_BUDGET = 56_000;

/** Each of the plan and preview sections: up to 12,000 characters, less beside a long command. */
function sectionRoom(command: string): number {
  return Math.max(1_500, Math.min(12_000, Math.floor((BODY_BUDGET - command.length) / 2)));
}

/** The check run's summary: the same status as the PR body, plus the statements. */
export function checkSummary(check: CommandCheck | null, status: StatusView): string {
  return renderTemplate("check-summary", { check, status });
}

/**
 * The command inside a request file: the file minus the header Countersign wrote (SQL
 * comment lines up to the first blank line). A file whose header was edited away is taken
 * whole; comments are harmless to run and the guardrails read it all anyway.
 */
export function commandFromFile(content: string): string {
  const lines = content.replace(/\r\n?/g, "\n").split("\n");
  if (!(lines[0] ?? "").startsWith("-- Countersign request #")) return content.trim();
  const blank = lines.findIndex((line) => line.trim() === "");
  if (blank === -1 || !lines.slice(0, blank).every((line) => line.startsWith("--"))) {
    return content.trim();
  }
  return lines
    .slice(blank + 1)
    .join("\n")
    .trim();
}
