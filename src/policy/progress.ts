/**
 * Human wording of an Evaluation: the one-line summary shown by the check run
 * `countersign/approval` and the status comment (DESIGN §1.2: `dba 1/1 ✓ · security 0/1`),
 * and the reasons behind it. Pure, plain text: the render layer escapes.
 */
import type { Evaluation, GroupProgress, Rejection } from "./evaluate.js";

/** Review bodies can be long; the explanation only needs the gist. */
const BODY_LIMIT = 200;

function groupSummary(group: GroupProgress): string {
  const check = group.satisfied ? " ✓" : "";
  const who = group.approvers.length > 0 ? ` (${group.approvers.join(", ")})` : "";
  return `${group.key} ${group.approvers.length}/${group.min}${check}${who}`;
}

/**
 * One line: `dba 1/1 ✓ (bob) · security 0/1` for all_of, ` or ` between groups for any_of,
 * `no approval required` for none, prefixed by who requested changes when rejected.
 */
export function formatProgress(evaluation: Evaluation): string {
  if (evaluation.mode === "none") return "no approval required";
  const separator = evaluation.mode === "any_of" ? " or " : " · ";
  const line = evaluation.groups.map(groupSummary).join(separator);
  if (evaluation.rejections.length === 0) return line;
  const who = evaluation.rejections.map((rejection) => rejection.login).join(", ");
  return `changes requested by ${who} — ${line}`;
}

function quoteBody(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat === "") return "";
  const short = flat.length > BODY_LIMIT ? `${flat.slice(0, BODY_LIMIT - 1)}…` : flat;
  return `: "${short}"`;
}

function groupReason(group: GroupProgress, mode: Evaluation["mode"]): string {
  const count = `${group.approvers.length}/${group.min}`;
  if (group.satisfied) return `${group.key}: approved by ${group.approvers.join(", ")} (${count}).`;
  const done = group.approvers.length > 0 ? `approved by ${group.approvers.join(", ")}, ` : "";
  const more = group.missing === 1 ? "1 more approval" : `${group.missing} more approvals`;
  let text = `${group.key}: ${done}${count}, ${more} needed`;
  if (group.eligible !== null && group.eligible < group.min) {
    // Without this, a rule that cannot be met looks like one that is merely slow.
    const noun = group.key.startsWith("users:") ? "group" : "team";
    text += ` (needs ${group.min}, ${noun} has ${group.eligible} eligible`;
    text += mode === "all_of" ? ")" : "; another group can still approve)";
  }
  return `${text}.`;
}

function rejectionReason(rejection: Rejection): string {
  const where = rejection.groups.join(", ");
  if (rejection.onCurrentHead) {
    return `${rejection.login} requested changes (${where})${quoteBody(rejection.body)}`;
  }
  return (
    `${rejection.login} requested changes on an earlier commit (${where})` +
    `${quoteBody(rejection.body)}; a push does not withdraw it: it blocks until ` +
    `${rejection.login} approves or the review is dismissed`
  );
}

/** The reasons behind the status, one sentence each, most important first. */
export function explainEvaluation(evaluation: Evaluation): string[] {
  if (evaluation.mode === "none") return ["No approval is required for this resource."];
  const lines: string[] = [];
  for (const rejection of evaluation.rejections) lines.push(`${rejectionReason(rejection)}.`);
  lines.push(
    evaluation.mode === "all_of"
      ? "Every group must approve; one person counts for one group only."
      : "Approval by any one group is enough.",
  );
  for (const group of evaluation.groups) lines.push(groupReason(group, evaluation.mode));
  for (const extra of evaluation.surplus) {
    const fourEyes =
      evaluation.mode === "all_of" ? " and one person counts for one group only" : "";
    lines.push(
      `${extra.login} also approved, but ${extra.groups.join(", ")} already had enough ` +
        `approvals${fourEyes}.`,
    );
  }
  if (evaluation.stale.length > 0) {
    lines.push(
      `Approvals before the last push are stale: ${evaluation.stale.join(", ")} ` +
        `must approve the current commit again.`,
    );
  }
  for (const entry of evaluation.ignored) lines.push(`${entry.login} ${entry.reason}.`);
  return lines;
}
