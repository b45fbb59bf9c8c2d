/**
 * Notifications as jobs of their own (`notify`, store/job-kinds.ts): the lifecycle only queues
 * one, in the transaction of its move where it has one, and never waits for the channel. The
 * job runner retries a failed post with its backoff and honours the server's `retry-after`.
 *
 * A notify job names no request in its row (the event carries the request): a notification
 * that gives up for good is an operator's problem (logged, counted, kept in the store), not
 * the request's, so it must not mark the request's pull request stuck (requests/job-gave-up.ts).
 */
import type { Knex } from "knex";
import { RetryLater } from "../github/rate-limits.js";
import type { RequestRecord } from "../lifecycle/records.js";
import type { JobPayload } from "../store/job-kinds.js";
import type { JobQueue } from "../store/jobs.js";
import { notificationMessage, type NotificationEvent } from "./message.js";
import { readNotifyUrl } from "./notify-url.js";
import { NotifyFailed, sendNotification } from "./send.js";

/** How long one post may take: a webhook answers in well under a second when it is well. */
export const NOTIFY_TIMEOUT_MS = 10_000;

export interface NotifyDeps {
  /** The server's environment, read when the job runs: the URL is never stored in a job. */
  env: NodeJS.ProcessEnv;
  log: { info(object: object, message: string): void };
  fetch?: typeof fetch;
  timeoutMs?: number;
}

type RequestFacts = Pick<
  RequestRecord,
  "id" | "resource" | "owner" | "repo" | "requester" | "prUrl"
>;

/**
 * The fields every event takes from its request: `{ kind: "opened", ...aboutRequest(request) }`.
 * A request without a pull request yet is announced without a link.
 */
export function aboutRequest(request: RequestFacts) {
  return {
    requestId: request.id,
    resource: request.resource,
    repo: `${request.owner}/${request.repo}`,
    requester: request.requester,
    prUrl: request.prUrl ?? "",
  };
}

/** One event's dedupe key: each kind is announced once per request. */
export function notificationKey(event: NotificationEvent): string {
  return `notify:${event.requestId}:${event.kind}`;
}

/** What queueing needs: the queue, and the environment that says whether a URL is set. */
export interface NotifyQueueDeps {
  jobs: JobQueue;
  env: NodeJS.ProcessEnv;
}

/**
 * Queues the announcement of `event` when its resource has a notify URL; false when it has
 * none (no job is made) or the same key was queued before. A URL that is set but invalid is
 * queued all the same: its job fails where the operator looks (the job log, the failed jobs).
 */
export async function queueNotification(
  deps: NotifyQueueDeps,
  installationId: number,
  event: NotificationEvent,
  dedupeKey: string = notificationKey(event),
  trx?: Knex,
): Promise<boolean> {
  if (readNotifyUrl(deps.env, event.resource).state === "unset") return false;
  return deps.jobs.enqueue(
    {
      kind: "notify",
      installationId,
      requestId: null,
      dedupeKey,
      payload: { resource: event.resource, event },
    },
    trx,
  );
}

/** The `notify` job: posts the event's message to the resource's webhook. */
export async function deliverNotification(
  deps: NotifyDeps,
  payload: JobPayload<"notify">,
): Promise<void> {
  const { event } = payload;
  const about = { requestId: event.requestId, resource: payload.resource, event: event.kind };
  const target = readNotifyUrl(deps.env, payload.resource);
  // The operator took the URL away since the job was queued: notifications are off.
  if (target.state === "unset") {
    deps.log.info(about, "notification dropped: the resource has no notify URL any more");
    return;
  }
  if (target.state === "invalid") throw new Error(target.problem);
  try {
    await sendNotification(target.url, notificationMessage(event), {
      fetch: deps.fetch,
      timeoutMs: deps.timeoutMs ?? NOTIFY_TIMEOUT_MS,
    });
  } catch (error) {
    // The runner's word for "not before": it waits at least that long, and a job that was
    // only asked to wait gets more attempts than one that failed.
    if (error instanceof NotifyFailed && error.retryAfterMs !== undefined) {
      throw new RetryLater(error.message, error.retryAfterMs, "secondary");
    }
    throw error;
  }
  deps.log.info(about, "notification sent");
}
