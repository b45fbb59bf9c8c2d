/**
 * Which use case runs each kind of job, with the payload typed by its kind
 * (`store/job-kinds.ts`). A kind without a handler here does not compile.
 */
import type { GitHub } from "../github/client.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import { checkConfigChange } from "../requests/config-check.js";
import { endOpenRequest } from "../requests/end-request.js";
import { endGrant, revokeGrant, tickGrant } from "../requests/grant-lifecycle.js";
import { onHeadMoved } from "../requests/head-moved.js";
import { takeIn } from "../requests/intake-job.js";
import { takeInPullRequest } from "../requests/gitops-intake.js";
import { noteSourceEdited, postReply } from "../requests/notices.js";
import { deliverNotification } from "../notify/notify-job.js";
import { openRequest } from "../requests/open-request.js";
import { reevaluate } from "../requests/reevaluate.js";
import { publishRecordedOutcome } from "../requests/publish-outcome.js";
import { refreshRequest } from "../requests/refresh.js";
import { scheduleRequest } from "../requests/schedule.js";
import type { Services } from "../requests/services.js";
import type { JobKind, JobPayload } from "../store/job-kinds.js";
import { jobLogger, type Logger } from "./job-log.js";

/** What a handler gets: the typed payload, the request (for kinds about one), the attempt. */
export interface TypedJob<K extends JobKind> {
  kind: K;
  payload: JobPayload<K>;
  requestId: number;
  attempts: number;
}

export type JobHandlers = { [K in JobKind]: (job: TypedJob<K>, github: GitHub) => Promise<void> };

export function jobHandlers(services: Services, baseLog: Logger): JobHandlers {
  const { store } = services;
  // Each line a use case logs names the job, its request and its delivery.
  const log = jobLogger(baseLog);
  return {
    intake: async (job, github) => {
      await takeIn({ ...services, log }, github, job.payload);
    },
    gitops_intake: async (job, github) => {
      await takeInPullRequest({ ...services, log }, github, job.payload);
    },
    refresh: (job, github) => refreshRequest(services, github, job.requestId),
    check_config: async ({ payload }, github) => {
      await checkConfigChange(services, github, {
        repo: { owner: payload.owner, repo: payload.repo },
        pullNumber: payload.number,
        headSha: payload.headSha,
        baseRef: payload.baseRef,
      });
    },
    open_request: (job, github) =>
      openRequest({ ...services, log }, github, job.requestId, job.payload.baseBranch),
    reply: (job, github) => postReply(github, job.payload),
    source_edited: (job, github) =>
      noteSourceEdited(store, github, job.requestId, job.payload.editor),
    evaluate: ({ requestId, payload }, github) =>
      reevaluate(
        services,
        github,
        requestId,
        payload.note === undefined ? [] : [payload.note],
        payload.review,
      ),
    head_moved: ({ requestId, payload }, github) =>
      onHeadMoved(
        services,
        github,
        requestId,
        payload.headSha,
        payload.pusher,
        payload.pusherIsBot === true,
      ),
    cancel: async ({ requestId, payload, attempts }, github) => {
      await endOpenRequest(services, github, requestId, "cancelled", {
        actor: payload.actor,
        detail: `cancelled by ${payload.actor}`,
        prClosed: payload.prClosed === true,
        retrying: attempts > 1,
      });
    },
    revoke: ({ requestId, payload }, github) =>
      revokeGrant(services, github, requestId, payload.actor, payload.replyTo),
    end_grant: (job, github) =>
      endGrant(services, github, job.requestId, {
        to: "expired",
        actor: APP_ACTOR,
        ended: "the window closed",
      }),
    publish_outcome: ({ requestId, payload }, github) =>
      publishRecordedOutcome({ store, log }, github, requestId, payload),
    grant_tick: (job, github) => tickGrant(services, github, job.requestId),
    notify: (job) => deliverNotification({ env: services.env, log }, job.payload),
    expire: async (job, github) => {
      await endOpenRequest(services, github, job.requestId, "expired", {
        actor: APP_ACTOR,
        detail: "not approved within the resource's timeout",
        retrying: job.attempts > 1,
      });
    },
    schedule: (job, github) => scheduleRequest(services, github, job.requestId, job.payload),
  };
}
