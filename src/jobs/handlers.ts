/** Which function runs each kind of job. */
import { OPEN_STATUSES } from "../lifecycle/states.js";
import { closeRequest } from "../requests/close-request.js";
import { checkConfigChange } from "../requests/config-check.js";
import { refreshRequest } from "../requests/refresh.js";
import { endGrant, revokeGrant, tickGrant } from "../requests/grant-lifecycle.js";
import { APP_ACTOR } from "../requests/intake.js";
import { onHeadMoved } from "../requests/head-moved.js";
import { noteSourceEdited, postReply } from "../requests/notices.js";
import { openRequest } from "../requests/open-request.js";
import { reevaluate } from "../requests/reevaluate.js";
import type { Services } from "../server/services.js";
import type { StoredReview } from "../store/requests.js";
import type { JobHandler } from "./job-runner.js";

interface Logger {
  warn(object: object, message: string): void;
}

export function jobHandlers(services: Services, log: Logger): Record<string, JobHandler> {
  const { store } = services;
  const requestId = (job: { requestId: number | null }) => job.requestId as number;
  return {
    refresh: (job, github) => refreshRequest(services, github, requestId(job)),
    check_config: async (job, github) => {
      await checkConfigChange(services, github, {
        repo: { owner: String(job.payload.owner), repo: String(job.payload.repo) },
        pullNumber: Number(job.payload.number),
        headSha: String(job.payload.headSha),
        baseRef: String(job.payload.baseRef),
      });
    },
    open_request: (job, github) =>
      openRequest({ store, log }, github, requestId(job), String(job.payload.baseBranch)),
    reply: (job, github) =>
      postReply(
        github,
        job.payload as { owner: string; repo: string; number: number; body: string },
      ),
    source_edited: (job, github) =>
      noteSourceEdited(store, github, requestId(job), String(job.payload.editor)),
    evaluate: (job, github) =>
      reevaluate(
        services,
        github,
        requestId(job),
        typeof job.payload.note === "string" ? [job.payload.note] : [],
        job.payload.review as StoredReview | undefined,
      ),
    head_moved: (job, github) =>
      onHeadMoved(
        services,
        github,
        requestId(job),
        String(job.payload.headSha),
        String(job.payload.pusher),
        job.payload.pusherIsBot === true,
      ),
    cancel: async (job, github) => {
      const request = await store.get(requestId(job));
      const actor = String(job.payload.actor);
      // An active grant ends as a grant: merged with its trailers, not just closed.
      if (request?.kind === "grant" && request.status === "approved") {
        await endGrant(services, github, request.id, {
          to: "cancelled",
          actor,
          ended: `cancelled by ${actor}`,
        });
        return;
      }
      await closeRequest(store, github, requestId(job), OPEN_STATUSES, "cancelled", {
        actor,
        prClosed: job.payload.prClosed === true,
        retrying: job.attempts > 1,
      });
    },
    revoke: (job, github) =>
      revokeGrant(
        services,
        github,
        requestId(job),
        String(job.payload.actor),
        job.payload.replyTo as { owner: string; repo: string; number: number },
      ),
    end_grant: (job, github) =>
      endGrant(services, github, requestId(job), {
        to: "expired",
        actor: APP_ACTOR,
        ended: "the window closed",
      }),
    grant_tick: (job, github) => tickGrant(services, github, requestId(job)),
    expire: async (job, github) => {
      await closeRequest(store, github, requestId(job), OPEN_STATUSES, "expired", {
        actor: APP_ACTOR,
        detail: "not approved within the resource's timeout",
        retrying: job.attempts > 1,
      });
    },
  };
}
