/**
 * What a webhook about an existing request (or a team, or a config change) records: the
 * review cache, the team cache, and the job that does the slow part. Handlers parse the
 * payload and call these; they never reach the store themselves (DESIGN §3). Each job is
 * keyed so that a redelivered webhook queues nothing new.
 */
import { isOpen } from "../lifecycle/states.js";
import type { StoredReview } from "../lifecycle/records.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { sourceKey, type RequestSource } from "./source.js";

interface EventDeps {
  store: RequestStore;
  jobs: JobQueue;
}

export interface PullRequestRef {
  installationId: number;
  owner: string;
  repo: string;
  number: number;
}

/** A review on a request PR: kept, then the request is re-evaluated in a job. */
export async function reviewArrived(
  deps: EventDeps,
  deliveryId: string,
  pull: PullRequestRef,
  review: StoredReview,
): Promise<void> {
  const request = await deps.store.findByPullRequest(pull.owner, pull.repo, pull.number);
  if (request === null) return;
  await deps.store.upsertReview(request.id, review);
  await deps.jobs.enqueue({
    kind: "evaluate",
    installationId: pull.installationId,
    deliveryId,
    requestId: request.id,
    // Keyed by delivery: a redelivered review is evaluated once.
    dedupeKey: `evaluate:${deliveryId}`,
    // Carried along: if the review cache is filled from GitHub's list while this review is
    // on its way, the evaluation still sees it.
    payload: { review },
  });
}

/** A push to a request PR. */
export async function headMoved(
  deps: EventDeps,
  deliveryId: string,
  pull: PullRequestRef,
  push: { headSha: string; pusher: string; pusherIsBot: boolean },
): Promise<void> {
  const request = await deps.store.findByPullRequest(pull.owner, pull.repo, pull.number);
  if (request === null) return;
  await deps.jobs.enqueue({
    kind: "head_moved",
    installationId: pull.installationId,
    deliveryId,
    requestId: request.id,
    // Per delivery: pushes A→B→A→B are four head moves, not two.
    dedupeKey: `head:${request.id}:${deliveryId}`,
    payload: push,
  });
}

/** A request PR closed by a person (not merged by Countersign): the request is cancelled. */
export async function pullClosedByPerson(
  deps: EventDeps,
  deliveryId: string,
  pull: PullRequestRef,
  actor: string,
): Promise<void> {
  const request = await deps.store.findByPullRequest(pull.owner, pull.repo, pull.number);
  if (request === null || !isOpen(request.status)) return;
  await deps.jobs.enqueue({
    kind: "cancel",
    installationId: pull.installationId,
    deliveryId,
    requestId: request.id,
    dedupeKey: `cancel:${request.id}`,
    payload: { actor, prClosed: true },
  });
}

/**
 * A team changed: its cached members are dropped (for every replica: the cache lives in the
 * database) and the organisation's open requests are re-evaluated, because a departed
 * approver must stop counting now, not after the cache's lifetime.
 */
export async function teamChanged(
  deps: EventDeps & { teams: TeamCache },
  deliveryId: string,
  team: { org: string; slug: string; installationId: number | null },
): Promise<void> {
  await deps.teams.invalidate(`${team.org}/${team.slug}`);
  if (team.installationId === null) return;
  for (const request of await deps.store.findOpenByOwner(team.org)) {
    await deps.jobs.enqueue({
      kind: "evaluate",
      installationId: team.installationId,
      deliveryId,
      requestId: request.id,
      dedupeKey: `evaluate:${deliveryId}:${request.id}`,
      payload: { note: `The members of team ${team.slug} changed.` },
    });
  }
}

/**
 * The comment that held a `/run` was edited: the request PR's file is the command, so the
 * edit changes nothing, and the PR says so (in a job), so nobody believes the edited text
 * is what will run.
 */
export async function sourceEdited(
  deps: EventDeps,
  source: RequestSource,
  editor: string,
  editedAt: string,
): Promise<void> {
  const request = await deps.store.findBySource(sourceKey(source));
  if (request === null || request.status === "denied") return;
  await deps.jobs.enqueue({
    kind: "source_edited",
    installationId: source.installationId,
    deliveryId: source.deliveryId,
    requestId: request.id,
    dedupeKey: `edited:${sourceKey(source)}:${editedAt}`,
    payload: { editor },
  });
}

/** A pull request that may change `.github/countersign.yml`: one config check per commit. */
export async function configMayHaveChanged(
  deps: { jobs: JobQueue },
  deliveryId: string,
  pull: PullRequestRef & { repoId: number; headSha: string; baseRef: string },
): Promise<void> {
  await deps.jobs.enqueue({
    kind: "check_config",
    installationId: pull.installationId,
    deliveryId,
    // One check per commit, however often GitHub redelivers.
    dedupeKey: `config:${pull.repoId}:${pull.number}:${pull.headSha}`,
    payload: {
      owner: pull.owner,
      repo: pull.repo,
      number: pull.number,
      headSha: pull.headSha,
      baseRef: pull.baseRef,
    },
  });
}
