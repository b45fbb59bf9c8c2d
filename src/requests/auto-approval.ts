/**
 * Whether a command needs no reviews (pure): the resource says `approvals: none`, it
 * auto-approves reads and every statement only reads, or the requester holds an active
 * time-boxed grant on the resource (DESIGN §2). Grants themselves are always evaluated.
 */
import type { ResourcePolicy } from "../policy/config.js";
import type { CommandCheck } from "./command-check.js";

export interface ActiveGrant {
  id: number;
  endsAt: Date;
}

export function autoApprovalReason(
  kind: "command" | "grant",
  policy: ResourcePolicy,
  check: CommandCheck | null,
  grant: ActiveGrant | null,
): string | null {
  if (kind === "grant" || check === null) return null;
  if (policy.approvals.mode === "none") return `no approval is required for ${policy.name}`;
  if (policy.autoApprove.includes("read") && check.ok && check.readOnly) {
    return `read-only command on ${policy.name} (auto_approve: [read]); it runs in a read-only transaction`;
  }
  if (grant !== null) {
    return `runs under grant ${grant.id}, active until ${grant.endsAt.toISOString().replace(/\.\d+Z$/, "Z")}`;
  }
  return null;
}
