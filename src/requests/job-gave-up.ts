/**
 * A job that gave up for good (its retries spent, or a failure no retry can mend) leaves
 * its request where a person can see it: a line in the request's events; on its pull request,
 * the label `countersign:stuck` and a notice in the PR body; and where there is no pull request
 * yet (an intake, or an open_request that never made one), a comment on the thread the command
 * came from, so the requester is not left waiting for an answer that will not come. The job
 * runner reports it (`onGaveUp`); the metric `countersign_jobs_gave_up_total` counts it.
 *
 * Every GitHub write here is likely to fail while GitHub is what failed: each is tried once,
 * and the event in the store is the record that stays.
 */
import type { GitHub, RepoRef } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { addLabels, updatePullRequest } from "../github/status.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import { codeSpan, truncateText } from "../render/escape.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";

export const STUCK_LABEL = "countersign:stuck";

/** Brackets the notice in the PR body, so a second give-up replaces it instead of adding one. */
const STUCK_START = "<!-- countersign:stuck -->";
const STUCK_END = "<!-- /countersign:stuck -->";

export interface GaveUpJob {
  kind: string;
  installationId: number;
  requestId: number | null;
  attempts: number;
  payload: unknown;
}

export interface JobGaveUpDeps {
  store: RequestStore;
  githubFor(installationId: number): Promise<GitHub>;
  log: { warn(object: object, message: string): void };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function jobGaveUp(
  deps: JobGaveUpDeps,
  job: GaveUpJob,
  reason: string,
): Promise<void> {
  const tries = job.attempts === 1 ? "1 attempt" : `${job.attempts} attempts`;
  if (job.requestId === null) {
    const thread = intakeThread(job);
    if (thread !== null) await tell(deps, job, intakeNotice(job.kind, tries, reason), thread);
    return;
  }
  const request = await deps.store.get(job.requestId);
  if (request === null) return;
  await deps.store.note(
    request.id,
    APP_ACTOR,
    `the ${job.kind} job gave up after ${tries}: ${reason.slice(0, 500)}`,
  );
  const repo = { owner: request.owner, repo: request.repo };
  const notice = requestNotice(job.kind, tries, reason);
  if (request.prNumber === null) {
    await tell(deps, job, notice, { repo, number: request.sourceNumber });
    return;
  }
  await markPullRequest(deps, job, request, request.prNumber, notice);
}

/** The thread an intake job answers: its payload's source, when the payload has one. */
function intakeThread(job: GaveUpJob): { repo: RepoRef; number: number } | null {
  if (job.kind !== "intake" || typeof job.payload !== "object" || job.payload === null) return null;
  const source = (job.payload as { source?: unknown }).source;
  if (typeof source !== "object" || source === null) return null;
  const { owner, repo, number } = source as Record<string, unknown>;
  if (typeof owner !== "string" || typeof repo !== "string" || typeof number !== "number")
    return null;
  return { repo: { owner, repo }, number };
}

/** GitHub's or the store's answer, cut short and inert (no mention, no markup). */
function reasonText(reason: string): string {
  return codeSpan(truncateText(reason.split("\n")[0] ?? "", 200));
}

function intakeNotice(kind: string, tries: string, reason: string): string {
  return (
    `⚠️ Countersign could not take this command: its ${kind} job gave up after ${tries} ` +
    `(last error: ${reasonText(reason)}). No request was made and nothing ran. ` +
    "Post the command again in a new comment to retry."
  );
}

function requestNotice(kind: string, tries: string, reason: string): string {
  return (
    `⚠️ **Stuck:** Countersign's ${kind} job for this request gave up after ${tries} ` +
    `(last error: ${reasonText(reason)}). Nothing ran because of it. ` +
    "The request stays as it is until its next event; `/cancel` it and ask again if it " +
    "does not move, and tell the Countersign operator (the failed job is kept in the store)."
  );
}

async function tell(
  deps: JobGaveUpDeps,
  job: GaveUpJob,
  body: string,
  thread: { repo: RepoRef; number: number },
): Promise<void> {
  try {
    const github = await deps.githubFor(job.installationId);
    await postComment(github, thread.repo, thread.number, body);
  } catch (error) {
    deps.log.warn(
      { requestId: job.requestId, kind: job.kind, err: errorText(error) },
      "could not tell the thread that a job gave up",
    );
  }
}

/** The label, and the notice at the top of the PR body (replacing an earlier one). */
async function markPullRequest(
  deps: JobGaveUpDeps,
  job: GaveUpJob,
  request: RequestRecord,
  prNumber: number,
  notice: string,
): Promise<void> {
  const repo = { owner: request.owner, repo: request.repo };
  try {
    const github = await deps.githubFor(job.installationId);
    await addLabels(github, repo, prNumber, [STUCK_LABEL]);
    const { data } = await github.rest.pulls.get({ ...repo, pull_number: prNumber });
    await updatePullRequest(github, repo, prNumber, {
      body: withStuckNotice(data.body ?? "", notice),
    });
    // The next status publish rewrites the body whole (the notice goes once things move).
    await deps.store.patch(request.id, { statusDigest: null });
  } catch (error) {
    deps.log.warn(
      { requestId: request.id, err: errorText(error) },
      `could not mark the request ${STUCK_LABEL}`,
    );
  }
}

/** `body` with `notice` in the stuck block at its top; an earlier block is replaced. */
export function withStuckNotice(body: string, notice: string): string {
  const start = body.indexOf(STUCK_START);
  const end = body.indexOf(STUCK_END);
  const rest =
    start === 0 && end > start ? body.slice(end + STUCK_END.length).replace(/^\n+/, "") : body;
  return `${STUCK_START}\n${notice}\n${STUCK_END}\n\n${rest}`;
}
