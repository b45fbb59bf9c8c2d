/**
 * The audit commit of a grant (DESIGN §2): the grant PR is squash-merged with trailers, so
 * `git log --grep 'Granted-to: alice'` lists someone's time-boxed access. Pure.
 */
import { approverLabels } from "./commit-message.js";
import { renderTemplate } from "./templates.js";

export interface GrantCommitInput {
  grantId: number;
  resource: string;
  grantee: string;
  approvers: readonly { login: string; group: string }[];
  startsAt: Date;
  endsAt: Date;
  /** How it ended: `window ended` or `revoked by bob`. */
  ended: string;
  commands: number;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

export function grantTrailers(input: GrantCommitInput): [string, string][] {
  const approvedBy = approverLabels(input.approvers);
  return [
    ["Grant", String(input.grantId)],
    ["Resource", input.resource],
    ["Granted-to", input.grantee],
    ["Approved-by", approvedBy.length > 0 ? approvedBy.join(", ") : "none (no approval required)"],
    ["Window", `${iso(input.startsAt)}/${iso(input.endsAt)}; ${input.ended}`],
    ["Commands", String(input.commands)],
  ];
}

export function grantCommit(input: GrantCommitInput): { title: string; message: string } {
  const trailers = grantTrailers(input).map(([key, value]) => ({
    key,
    value: value.replace(/[\r\n]+/g, " "),
  }));
  const rendered = renderTemplate("grant-commit-message", { ...input, trailers });
  const newline = rendered.indexOf("\n");
  return { title: rendered.slice(0, newline).trim(), message: rendered.slice(newline + 1).trim() };
}
