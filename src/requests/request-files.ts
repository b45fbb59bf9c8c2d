/**
 * Names and texts of a request's pull request (pure): branch, file path, file content, title,
 * body. Rendered from templates so the wording lives in `templates/`.
 */
import type { ResourcePolicy } from "../policy/config.js";
import { formatDuration } from "../policy/duration.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestRecord } from "../store/requests.js";
import type { CommandCheck } from "./command-check.js";

export function requestBranch(requestId: number): string {
  return `countersign/${requestId}`;
}

/** `requests/<resource>/<yyyy>/<mm>/<id>.sql`, dated by when the request was made (UTC). */
export function requestFilePath(
  request: Pick<RequestRecord, "id" | "resource" | "createdAt">,
): string {
  const year = request.createdAt.getUTCFullYear();
  const month = String(request.createdAt.getUTCMonth() + 1).padStart(2, "0");
  return `requests/${request.resource}/${year}/${month}/${request.id}.sql`;
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
  return renderTemplate("request-title", request).trim();
}

export function requestBody(
  request: RequestRecord,
  policy: ResourcePolicy,
  check: CommandCheck,
  statusLine: string,
): string {
  return renderTemplate("request-body", {
    id: request.id,
    resource: request.resource,
    requester: request.requester,
    sourceUrl: request.sourceUrl,
    reason: request.reason,
    command: request.command,
    classification: check,
    warnings: check.warnings,
    rule: policy.approvals,
    timeout: formatDuration(policy.timeoutMs),
    statusLine,
  });
}
