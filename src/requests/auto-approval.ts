/**
 * Whether a request needs no reviews at all (pure): the resource says `approvals: none`, or
 * it auto-approves reads and every statement of the command only reads.
 */
import type { ResourcePolicy } from "../policy/config.js";
import type { CommandCheck } from "./command-check.js";

export function autoApprovalReason(policy: ResourcePolicy, check: CommandCheck): string | null {
  if (policy.approvals.mode === "none") return `no approval is required for ${policy.name}`;
  if (policy.autoApprove.includes("read") && check.ok && check.readOnly) {
    return `read-only command on ${policy.name} (auto_approve: [read]); it runs in a read-only transaction`;
  }
  return null;
}
