/**
 * What a request's status looks like to people (pure): the headline, the one-line
 * progress (`dba 1/1 ✓ (bob) · security 0/1`) and the reasons, for the check run and the
 * PR body alike, so both always say the same thing (the policy-bot habit: every decision
 * explains itself).
 */
import type { Evaluation } from "../policy/evaluate.js";
import { explainEvaluation, formatProgress } from "../policy/progress.js";
import type { RequestStatus } from "../lifecycle/states.js";

export interface StatusView {
  headline: string;
  progress: string;
  reasons: string[];
}

export interface StatusInput {
  status: RequestStatus;
  evaluation: Evaluation | null;
  autoApproval: string | null;
  /** Who moved the request last, for cancelled. */
  actor?: string;
  /** Extra sentences, e.g. "The head moved: approvals before it are stale." */
  notes?: string[];
  timeout?: string;
  /** For a grant: `25m left, until …` while active. */
  grantWindow?: string;
  /** Replaces the headline (a grant's end). */
  headline?: string;
}

export function statusView(input: StatusInput): StatusView {
  const view = baseView(input);
  return input.headline ? { ...view, headline: input.headline } : view;
}

function baseView(input: StatusInput): StatusView {
  const { evaluation } = input;
  const progress = input.autoApproval ?? (evaluation ? formatProgress(evaluation) : "");
  const reasons = [...(input.notes ?? []), ...(evaluation ? explainEvaluation(evaluation) : [])];
  switch (input.status) {
    case "pending":
      return { headline: "Waiting for approval", progress, reasons };
    case "approved":
      if (input.grantWindow) return { headline: `Active: ${input.grantWindow}`, progress, reasons };
      return {
        headline: "Approved: queued for execution",
        progress,
        reasons: input.autoApproval ? [input.autoApproval, ...reasons] : reasons,
      };
    case "rejected": {
      const by = evaluation?.rejections.map((rejection) => rejection.login) ?? [];
      return {
        headline: by.length > 0 ? `Rejected: changes requested by ${by.join(", ")}` : "Rejected",
        progress,
        reasons,
      };
    }
    case "cancelled":
      return { headline: `Cancelled${input.actor ? ` by ${input.actor}` : ""}`, progress, reasons };
    case "expired":
      return {
        headline: `Expired: not approved within ${input.timeout ?? "its timeout"}`,
        progress,
        reasons,
      };
    default:
      return { headline: input.status, progress, reasons };
  }
}

/** Check-run conclusion for a request that will not run. */
export function closedConclusion(status: RequestStatus): "failure" | "cancelled" | "timed_out" {
  if (status === "cancelled") return "cancelled";
  if (status === "expired") return "timed_out";
  return "failure";
}
