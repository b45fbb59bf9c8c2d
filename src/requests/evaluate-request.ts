/**
 * Gathers what the evaluator needs for one request and evaluates it. Two modes:
 * - warm (webhooks): reviews and pushers from the request's own cache, memberships from
 *   the shared team cache; a re-evaluation after a review then reads nothing from GitHub;
 * - fresh (the worker, just before executing): everything read from GitHub again, no
 *   cache, because a missed webhook must never let a command run (DESIGN §1.3).
 */
import type { ResourcePolicy } from "../policy/config.js";
import { evaluateApprovals, teamKey, type Evaluation } from "../policy/evaluate.js";
import type { GitHub } from "../github/client.js";
import { pullRequestState } from "../github/execution.js";
import { listRequestPushers, listReviews, listTeamMembers } from "../github/reviews.js";
import type { RequestRecord, RequestStore, StoredReview } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";

export interface ApprovalSources {
  github: GitHub;
  store: RequestStore;
  teams: TeamCache;
}

export interface RequestEvaluation {
  evaluation: Evaluation;
  headSha: string;
  reviews: StoredReview[];
  pushers: string[];
}

/** Members of each team a rule names, keyed by `teamKey` (from the cache unless `fresh`). */
export async function teamMembers(
  sources: Pick<ApprovalSources, "github" | "teams">,
  rule: ResourcePolicy["approvals"],
  defaultOrg: string,
  fresh: boolean,
): Promise<Map<string, ReadonlySet<string>>> {
  const members = new Map<string, ReadonlySet<string>>();
  if (rule.mode === "none") return members;
  const teams = new Map<string, { org: string; slug: string }>();
  for (const group of rule.groups) {
    const key = teamKey(group, defaultOrg);
    if (key === null || teams.has(key) || group.team === undefined) continue;
    teams.set(key, { org: group.team.org ?? defaultOrg, slug: group.team.slug });
  }
  // One read per team, all at once: the worker's fresh re-check waits for the slowest only.
  await Promise.all(
    [...teams].map(async ([key, team]) => {
      let logins = fresh ? null : await sources.teams.get(key);
      if (logins === null) {
        logins = await listTeamMembers(sources.github, team.org, team.slug);
        await sources.teams.put(key, logins);
      }
      members.set(key, new Set(logins));
    }),
  );
  return members;
}

/** A person's pull request taken in as its own request PR (GitOps intake). */
export const isAdopted = (request: RequestRecord): boolean =>
  request.sourceType === "pull_request" && request.sourceNumber === request.prNumber;

/** The rule that governs a request: its resource's (or, for grants, the JIT rule). */
export function ruleOf(request: RequestRecord): ResourcePolicy["approvals"] {
  const policy = request.policy;
  if (request.kind === "grant" && policy.jit !== null) return policy.jit.approvals;
  return policy.approvals;
}

/**
 * From when a taken-in pull request's approvals count: the second the request was recorded.
 * GitHub's review times have whole seconds, so an approval in that same second still counts.
 */
function approvalsFromOf(createdAt: Date): string {
  return new Date(Math.floor(createdAt.getTime() / 1000) * 1000).toISOString();
}

export async function evaluateRequest(
  sources: ApprovalSources,
  request: RequestRecord,
  options: { fresh: boolean; review?: StoredReview },
): Promise<RequestEvaluation> {
  if (request.prNumber === null) throw new Error(`request ${request.id} has no pull request yet`);
  const repo = { owner: request.owner, repo: request.repo };
  const rule = ruleOf(request);

  // Fresh mode reads everything; the reads are independent, so they go out together.
  const [head, listedReviews, listedPushers, members] = await Promise.all([
    options.fresh ? pullRequestState(sources.github, repo, request.prNumber) : null,
    options.fresh || request.reviews === null
      ? listReviews(sources.github, repo, request.prNumber)
      : request.reviews,
    options.fresh || request.pushers === null
      ? listRequestPushers(sources.github, repo, request.prNumber, request.branch)
      : null,
    teamMembers(sources, rule, request.owner, options.fresh),
  ]);
  const headSha = head?.headSha ?? request.headSha ?? "";
  let reviews = listedReviews;
  // Commit authors can be forged and a force-push drops commits: GitHub's record of the
  // branch's pushes is read with them, and the pushers webhooks reported stay ineligible
  // even when the branch no longer shows their commits.
  const pushers =
    listedPushers === null
      ? (request.pushers as string[])
      : [...new Set([...listedPushers, ...(request.pushers ?? [])])];
  if (!options.fresh && (request.reviews === null || request.pushers === null)) {
    await sources.store.patch(request.id, { reviews, pushers });
  }
  // The review that triggered this evaluation is counted even if the list read before it
  // existed (GitHub's list and its webhook are not ordered); it is kept for next time.
  const { review } = options;
  if (review !== undefined && !reviews.some((known) => known.id === review.id)) {
    reviews = [...reviews, review];
    if (!options.fresh) await sources.store.upsertReview(request.id, review);
  }

  const evaluation = evaluateApprovals({
    rule,
    reviews,
    headSha,
    requester: request.requester,
    pushers,
    defaultOrg: request.owner,
    teamMembers: members,
    ...(isAdopted(request) ? { approvalsFrom: approvalsFromOf(request.createdAt) } : {}),
  });
  return { evaluation, headSha, reviews, pushers };
}
