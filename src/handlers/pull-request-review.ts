/** `pull_request_review` on a request PR: keep the review, then re-evaluate in a job. */
import type { Context } from "probot";
import { toStoredReview } from "../github/reviews.js";
import type { Services } from "../requests/services.js";
import { reviewArrived } from "../requests/webhook-events.js";

interface ReviewPayload {
  installation?: { id: number };
  repository: { name: string; owner: { login: string } };
  pull_request: { number: number };
  review: Parameters<typeof toStoredReview>[0];
}

export function onReview(deps: Pick<Services, "store" | "jobs">) {
  return async (
    context: Context<
      | "pull_request_review.submitted"
      | "pull_request_review.edited"
      | "pull_request_review.dismissed"
    >,
  ): Promise<void> => {
    const payload = context.payload as unknown as ReviewPayload;
    if (payload.installation === undefined) return;
    const pull = {
      installationId: payload.installation.id,
      owner: payload.repository.owner.login,
      repo: payload.repository.name,
      number: payload.pull_request.number,
    };
    await reviewArrived(deps, context.id, pull, toStoredReview(payload.review));
  };
}
