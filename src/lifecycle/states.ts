/**
 * The request state machine (DESIGN §1). Pure: which states exist and which moves are legal.
 * The store refuses any other move, so a bug elsewhere cannot, say, re-run a finished request.
 */
export const REQUEST_STATUSES = [
  "pending",
  "approved",
  "running",
  "succeeded",
  "failed",
  "unknown",
  "rejected",
  "cancelled",
  "expired",
  "denied",
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export type RequestKind = "command" | "grant";

const LEGAL_MOVES: Record<RequestStatus, readonly RequestStatus[]> = {
  pending: ["approved", "rejected", "cancelled", "expired"],
  // approved → pending/rejected: a later review or the re-check just before execution
  // found that the rule no longer holds.
  approved: ["running", "pending", "rejected", "cancelled", "expired"],
  // running → pending/rejected/expired: the worker's fresh re-check, made after claiming and
  // before anything is executed, found the rule no longer holds (or the PR no longer fits,
  // or the approval outlived the resource's timeout).
  // running → cancelled: a /cancel while the command ran stopped it, and it rolled back.
  running: ["succeeded", "failed", "unknown", "pending", "rejected", "expired", "cancelled"],
  succeeded: [],
  failed: [],
  unknown: [],
  rejected: [],
  cancelled: [],
  expired: [],
  denied: [],
};

/** States a request is created in: `pending` normally, `denied` when guardrails refuse it. */
export const INITIAL_STATUSES: readonly RequestStatus[] = ["pending", "denied"];

export function isLegalMove(from: RequestStatus, to: RequestStatus): boolean {
  return LEGAL_MOVES[from].includes(to);
}

export function isTerminal(status: RequestStatus): boolean {
  return LEGAL_MOVES[status].length === 0;
}

/** States in which a request still waits to run (or, for a grant, is active). */
export const OPEN_STATUSES: readonly RequestStatus[] = ["pending", "approved"];

export function isOpen(status: RequestStatus): boolean {
  return OPEN_STATUSES.includes(status);
}
