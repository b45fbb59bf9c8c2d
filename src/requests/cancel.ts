/**
 * `/cancel` (DESIGN §1): the requester withdraws a request, on its PR or on the thread that
 * asked for it; closing the PR happens in a job. A command already running is stopped on
 * the server and rolled back: the requester or one of its approvers may ask, and the worker
 * running it sees the request within a second or so. Anyone else gets a polite refusal.
 * Runs in the webhook handler: reads and records only.
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

/** The open or running requests a `/cancel` in this thread refers to. */
async function requestsInThread(deps: CancelDeps, source: RequestSource): Promise<RequestRecord[]> {
  const asRequestPr = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  if (asRequestPr !== null) {
    return isOpen(asRequestPr.status) || asRequestPr.status === "running" ? [asRequestPr] : [];
  }
  return deps.store.findCancellableBySourceThread(source.owner, source.repo, source.number);
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The requester always; for a running command also whoever approved it. */
function mayCancel(request: RequestRecord, login: string): boolean {
  if (same(request.requester, login)) return true;
  if (request.status !== "running") return false;
  // `approvedBy` holds "bob (dba)": the login is the first word.
  const approvers = request.result?.approvedBy.map((entry) => entry.split(" ")[0] ?? "") ?? [];
  return approvers.some((approver) => same(approver, login));
}

export async function cancelFromComment(deps: CancelDeps, source: RequestSource): Promise<void> {
  const found = await requestsInThread(deps, source);
  if (found.length === 0) return;
  const allowed = found.filter((request) => mayCancel(request, source.author));
  if (allowed.length === 0) {
    await deps.jobs.enqueue(
      replyJob(
        source,
        `reply:cancel:${source.commentId ?? source.number}`,
        renderTemplate("cancel-refused", {
          author: source.author,
          requests: found.map((request) => ({ id: request.id, requester: request.requester })),
          running: found.some((request) => request.status === "running"),
        }),
      ),
    );
    return;
  }
  for (const request of allowed) {
    if (request.status === "running") await stopRunning(deps, source, request);
    else await queueCancel(deps, source, request);
  }
}

async function queueCancel(deps: CancelDeps, source: RequestSource, request: RequestRecord) {
  await deps.jobs.enqueue({
    kind: "cancel",
    installationId: request.installationId,
    deliveryId: source.deliveryId,
    requestId: request.id,
    dedupeKey: `cancel:${request.id}`,
    payload: { actor: source.author },
  });
}

/** Recorded for the worker, which stops the command; the thread is told it is on its way. */
async function stopRunning(deps: CancelDeps, source: RequestSource, request: RequestRecord) {
  if (!(await deps.store.requestCancel(request.id, source.author))) return;
  await deps.jobs.enqueue(
    replyJob(
      source,
      `reply:cancel-running:${request.id}`,
      renderTemplate("cancel-running", {
        id: request.id,
        resource: request.resource,
        author: source.author,
      }),
    ),
  );
}
