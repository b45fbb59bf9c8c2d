/**
 * A job that gave up for good (its retries spent, or a failure no retry can mend) leaves
 * its request where a person can see it: a line in the request's events, and the label
 * `countersign:stuck` on its pull request when it has one. The job runner reports it
 * (`onGaveUp`); the metric `countersign_jobs_gave_up_total` counts it.
 */
import type { GitHub } from "../github/client.js";
import { addLabels } from "../github/status.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import type { RequestStore } from "../store/requests.js";

export const STUCK_LABEL = "countersign:stuck";

export interface GaveUpJob {
  kind: string;
  installationId: number;
  requestId: number | null;
  attempts: number;
}

export interface JobGaveUpDeps {
  store: RequestStore;
  githubFor(installationId: number): Promise<GitHub>;
  log: { warn(object: object, message: string): void };
}

export async function jobGaveUp(
  deps: JobGaveUpDeps,
  job: GaveUpJob,
  reason: string,
): Promise<void> {
  if (job.requestId === null) return;
  const request = await deps.store.get(job.requestId);
  if (request === null) return;
  const tries = job.attempts === 1 ? "1 attempt" : `${job.attempts} attempts`;
  await deps.store.note(
    request.id,
    APP_ACTOR,
    `the ${job.kind} job gave up after ${tries}: ${reason.slice(0, 500)}`,
  );
  if (request.prNumber === null) return;
  try {
    // Likely to fail while GitHub is what failed: the event above is the record that stays.
    const github = await deps.githubFor(job.installationId);
    await addLabels(github, { owner: request.owner, repo: request.repo }, request.prNumber, [
      STUCK_LABEL,
    ]);
  } catch (error) {
    deps.log.warn(
      { requestId: request.id, err: error instanceof Error ? error.message : String(error) },
      `could not label the request ${STUCK_LABEL}`,
    );
  }
}
