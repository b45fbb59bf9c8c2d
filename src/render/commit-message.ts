/**
 * The audit commit (DESIGN §1.6): the squash commit that merges a request PR carries trailers,
 * so `git log --grep 'Resource: prod-db'` is an audit query. Pure.
 *
 * The message holds no free text from users (no reason, no command): those are in the commit's
 * diff already (the request file), and a reason reading "Resource: prod-db" would otherwise
 * forge a match for an audit query. Every value is forced onto one line.
 */
import { formatElapsed } from "./helpers.js";
import { renderTemplate } from "./templates.js";

export type AuditResult =
  | {
      status: "succeeded" | "failed";
      affectedRows: number;
      durationMs: number;
      rolledBack: boolean;
      /** SHA-256 of the output (render/output-digest.ts). */
      outputSha256: string;
      /** Where the rows each UPDATE/DELETE changed were copied (undo, issue 16). */
      undo?: { table: string; rows: number }[];
    }
  /** The worker stopped while the command ran: nobody knows whether it committed. */
  | { status: "unknown"; why: string };

export interface AuditCommitInput {
  requestId: number;
  resource: string;
  requester: string;
  /** `bob (dba)`; empty when no person approved (see `approvalNote`). */
  approvedBy: string[];
  /** Why nobody needed to approve: `no approval required`, `auto-approved: read-only`. */
  approvalNote: string | null;
  grantId: number | null;
  /** Run with `--break-glass` (one approval from the break-glass group; issue 17). */
  breakGlass?: boolean;
  filePath: string;
  sourceUrl: string;
  result: AuditResult;
}

export interface AuditCommit {
  title: string;
  message: string;
  trailers: [string, string][];
}

/** A trailer value: one line, no control characters, bounded. */
function oneLine(value: string, max = 500): string {
  // Control characters (newlines above all) become spaces: a value is one trailer line.
  const printable = [...value].map((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? " " : char;
  });
  const flat = printable.join("").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `succeeded; 1 row affected; 35 ms` — plain integers, so the value greps predictably. */
export function resultTrailer(result: AuditResult): string {
  if (result.status === "unknown") return `unknown; ${oneLine(result.why, 200)}`;
  const rows = `${result.affectedRows} ${result.affectedRows === 1 ? "row" : "rows"} affected`;
  const parts = [result.status, rows, formatElapsed(result.durationMs)];
  if (result.status === "failed" && result.rolledBack) parts.push("rolled back");
  return parts.join("; ");
}

export function approvedByTrailer(
  input: Pick<AuditCommitInput, "approvedBy" | "approvalNote">,
): string {
  if (input.approvedBy.length > 0) return oneLine(input.approvedBy.join(", "), 1000);
  return `none (${oneLine(input.approvalNote ?? "no approval recorded", 200)})`;
}

/** The trailers in DESIGN §1.6 order; `Grant` only for commands run under a JIT grant. */
export function auditTrailers(input: AuditCommitInput): [string, string][] {
  const trailers: [string, string][] = [
    ["Countersign-Request", String(input.requestId)],
    ["Resource", oneLine(input.resource)],
    ["Requested-by", oneLine(input.requester)],
    ["Approved-by", approvedByTrailer(input)],
  ];
  if (input.grantId !== null) trailers.push(["Grant", String(input.grantId)]);
  if (input.breakGlass === true) trailers.push(["Break-glass", "yes"]);
  trailers.push(["Result", resultTrailer(input.result)]);
  if (input.result.status !== "unknown") {
    trailers.push(["Output-SHA256", input.result.outputSha256]);
    for (const backup of input.result.undo ?? []) {
      const rows = `${backup.rows} ${backup.rows === 1 ? "row" : "rows"}`;
      trailers.push(["Undo", oneLine(`${backup.table}, ${rows}`)]);
    }
  }
  return trailers;
}

/** `approvers` of an evaluation → `bob (dba), carol (security)`; any_of may list a login twice. */
export function approverLabels(approvers: readonly { login: string; group: string }[]): string[] {
  const groups = new Map<string, string[]>();
  for (const { login, group } of approvers) {
    const list = groups.get(login) ?? [];
    if (!list.includes(group)) list.push(group);
    groups.set(login, list);
  }
  return [...groups].map(([login, list]) => `${login} (${list.join(", ")})`);
}

export function auditCommit(input: AuditCommitInput): AuditCommit {
  const trailers = auditTrailers(input);
  const rendered = renderTemplate("commit-message", {
    requestId: input.requestId,
    resource: oneLine(input.resource),
    requester: oneLine(input.requester),
    status: input.result.status,
    filePath: oneLine(input.filePath, 1000),
    sourceUrl: oneLine(input.sourceUrl, 1000),
    trailers: trailers.map(([key, value]) => ({ key, value })),
  });
  // The template's first line is the commit title; GitHub takes title and body apart.
  const newline = rendered.indexOf("\n");
  return {
    title: rendered.slice(0, newline).trim(),
    message: rendered.slice(newline + 1).trim() + "\n",
    trailers,
  };
}
