/**
 * How a command that waits for its execution window or a `/schedule` (issue 17) shows on its
 * PR (pure). Derived from the request itself (its `not_before`, who scheduled it, its frozen
 * windows), so every publication of an approved request says when it runs, whoever makes it.
 */
import type { RequestRecord } from "../lifecycle/records.js";
import { describeInstant, describeWindow, isWithinWindow } from "../policy/window.js";
import type { StatusView } from "./status-view.js";

export type WaitFacts = Pick<
  RequestRecord,
  "status" | "kind" | "notBefore" | "scheduledBy" | "policy" | "expiresAt"
>;

/** The windows the request is held to as frozen: none for a break-glass command. */
function frozenWindows(request: Pick<RequestRecord, "policy">) {
  return request.policy.breakGlass !== undefined ? [] : (request.policy.window ?? []);
}

/** The headline of an approved command that waits; null when it does not. */
export function waitHeadline(request: WaitFacts): string | null {
  const notBefore = request.notBefore;
  if (request.kind !== "command" || request.status !== "approved" || notBefore === null) {
    return null;
  }
  const windows = frozenWindows(request);
  const when = describeInstant(notBefore, windows[0]?.timeZone ?? "UTC");
  const window = describeWindow(windows);
  if (windows.length > 0 && !isWithinWindow(windows, notBefore)) {
    return `Approved — waits for the execution window (${window}); no common opening found yet, looks again at ${when}`;
  }
  if (request.scheduledBy !== null) {
    const inside = windows.length > 0 ? ` (execution window ${window})` : "";
    return `Approved — scheduled by ${request.scheduledBy}; runs at ${when}${inside}`;
  }
  if (windows.length > 0) {
    return `Approved — waits for the execution window (${window}); runs at ${when}`;
  }
  return `Approved — runs at ${when} at the earliest`;
}

/** A sentence for a request that waits: scheduled while pending, or expiring before it runs. */
function waitReason(request: WaitFacts): string | null {
  const notBefore = request.notBefore;
  const open = request.status === "pending" || request.status === "approved";
  if (request.kind !== "command" || notBefore === null || !open) return null;
  const zone = frozenWindows(request)[0]?.timeZone ?? "UTC";
  if (request.expiresAt !== null && request.expiresAt <= notBefore) {
    return `Its approval expires ${describeInstant(request.expiresAt, zone)}, before it may run: it will expire unless asked for again with a new \`/run\`.`;
  }
  if (request.status === "pending" && request.scheduledBy !== null) {
    return `Scheduled by ${request.scheduledBy}: once approved, it runs at ${describeInstant(notBefore, zone)} at the earliest.`;
  }
  return null;
}

/** The view as published: with the wait in its headline and reasons when there is one. */
export function withExecutionWait(view: StatusView, request: WaitFacts): StatusView {
  const headline = waitHeadline(request);
  const reason = waitReason(request);
  if (headline === null && reason === null) return view;
  return {
    headline: headline ?? view.headline,
    progress: view.progress,
    reasons: reason === null ? view.reasons : [reason, ...view.reasons],
  };
}
