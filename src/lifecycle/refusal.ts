/**
 * The re-check just before execution refused a claimed request: back to waiting for
 * approval, or rejected or expired for good. Nothing ran; the PR says why.
 */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { statusView } from "../render/status-view.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import { APP_ACTOR, refuseAtRecheck } from "./moves.js";
import { publishStatus } from "./publish-status.js";
import type { CommandCheck, RequestRecord } from "./records.js";
import { requestReviewsAgain, reviewersOf } from "../github/reviews.js";

export interface RecheckRefusal {
  to: "pending" | "rejected" | "expired";
  /** Completes "The check just before execution found that …". */
  reason: string;
  /** The command's check as it stands now, kept with the request (a new plan after drift). */
  check?: CommandCheck;
  /** The approvals were dismissed (drift): the rule's reviewers are asked again. */
  askAgain?: boolean;
}

interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** False when the worker no longer held the request (someone else moved it). */
export async function refuseClaimed(
  deps: { store: RequestStore; log: Logger },
  github: GitHub,
  request: RequestRecord,
  refusal: RecheckRefusal,
  workerId: string,
): Promise<boolean> {
  const moved = await refuseAtRecheck(
    deps.store,
    request.id,
    refusal.to,
    refusal.reason,
    workerId,
    refusal.check === undefined ? {} : { classification: refusal.check },
  );
  if (!moved.ok) return false;
  deps.log.info({ requestId: request.id, to: refusal.to }, "re-check refused the request");
  try {
    await publishStatus(
      deps.store,
      github,
      moved.request,
      statusView({
        status: refusal.to,
        evaluation: null,
        autoApproval: null,
        notes: [`The check just before execution found that ${refusal.reason}`],
      }),
      refusal.to === "pending" ? {} : { conclusion: "failure", close: true },
    );
    await postComment(
      github,
      { owner: request.owner, repo: request.repo },
      request.prNumber as number,
      renderTemplate(refusal.to === "pending" ? "execution-deferred" : "execution-refused", {
        id: request.id,
        reason: refusal.reason,
        expired: refusal.to === "expired",
      }),
    );
    if (refusal.askAgain === true) {
      await requestReviewsAgain(
        github,
        { owner: request.owner, repo: request.repo },
        request.prNumber as number,
        reviewersOf(moved.request.policy.approvals, request.owner),
      );
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn({ requestId: request.id, err: message }, "could not explain refusal");
    await deps.store.note(request.id, APP_ACTOR, `explaining the refusal failed: ${message}`);
  }
  return true;
}
