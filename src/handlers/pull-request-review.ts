/** `pull_request_review` on a request PR: keep the review, then re-evaluate in a job. */
import type { Context } from "probot";
import { toStoredReview } from "../github/reviews.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";

export interface ReviewHandlerDeps {
  store: RequestStore;
  jobs: JobQueue;
}

interface ReviewPayload {
  installation?: { id: number };
  repository: { name: string; owner: { login: string } };
  pull_request: { number: number };
  review: Parameters<typeof toStoredReview>[0];
}

export function onReview(deps: ReviewHandlerDeps) {
  return async (
    context: Context<
      | "pull_request_review.submitted"
      | "pull_request_review.edited"
      | "pull_request_review.dismissed"
    >,
  ): Promise<void> => {
    const payload = context.payload as unknown as ReviewPayload;
    const request = await deps.store.findByPullRequest(
      payload.repository.owner.login,
      payload.repository.name,
      payload.pull_request.number,
    );
    if (request === null || payload.installation === undefined) return;
    const review = toStoredReview(payload.review);
    await deps.store.upsertReview(request.id, review);
    // Keyed by delivery: a redelivered review is evaluated once.
    await deps.jobs.enqueue({
      kind: "evaluate",
      installationId: payload.installation.id,
      requestId: request.id,
      dedupeKey: `evaluate:${context.id}`,
      // Carried along: if the review cache is filled from GitHub's list while this review
      // is on its way, the evaluation still sees it.
      payload: { review },
    });
  };
}
