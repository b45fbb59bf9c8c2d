/**
 * `/cancel` (DESIGN §1): the requester withdraws a request, on its PR or on the thread that
 * asked for it. Anyone else gets a polite refusal. Runs in the webhook handler (reads and
 * records only); closing the PR happens in a job.
 */
import { isOpen } from "../lifecycle/states.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import { replyJob, type RequestSource } from "./source.js";

export interface CancelDeps {
  store: RequestStore;
  jobs: JobQueue;
}

/** The open requests a `/cancel` in this thread refers to. */
async function requestsInThread(deps: CancelDeps, source: RequestSource): Promise<RequestRecord[]> {
  const asRequestPr = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  if (asRequestPr !== null) {
    return isOpen(asRequestPr.status) ? [asRequestPr] : [];
  }
  return deps.store.findOpenBySourceThread(source.owner, source.repo, source.number);
}

export async function cancelFromComment(deps: CancelDeps, source: RequestSource): Promise<void> {
  const open = await requestsInThread(deps, source);
  if (open.length === 0) return;
  const own = open.filter(
    (request) => request.requester.toLowerCase() === source.author.toLowerCase(),
  );
  if (own.length === 0) {
    await deps.jobs.enqueue(
      replyJob(
        source,
        `reply:cancel:${source.commentId ?? source.number}`,
        renderTemplate("cancel-refused", {
          author: source.author,
          requests: open.map((request) => ({ id: request.id, requester: request.requester })),
        }),
      ),
    );
    return;
  }
  for (const request of own) {
    await deps.jobs.enqueue({
      kind: "cancel",
      installationId: request.installationId,
      deliveryId: source.deliveryId,
      requestId: request.id,
      dedupeKey: `cancel:${request.id}`,
      payload: { actor: source.author },
    });
  }
}
