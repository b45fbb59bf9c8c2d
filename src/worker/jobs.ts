/** Which function runs each kind of job. */
import type { RequestStore } from "../store/requests.js";
import { openRequest } from "../requests/open-request.js";
import { noteSourceEdited, postReply } from "../requests/notices.js";
import type { JobHandler } from "./job-runner.js";

interface Logger {
  warn(object: object, message: string): void;
}

export function jobHandlers(store: RequestStore, log: Logger): Record<string, JobHandler> {
  return {
    open_request: (job, github) =>
      openRequest({ store, log }, github, job.requestId as number, String(job.payload.baseBranch)),
    reply: (job, github) =>
      postReply(
        github,
        job.payload as { owner: string; repo: string; number: number; body: string },
      ),
    source_edited: (job, github) =>
      noteSourceEdited(store, github, job.requestId as number, String(job.payload.editor)),
  };
}
