/** Reads a request PR's reviews, commits' authors and head, and a team's members. */
import type { GitHub, RepoRef } from "./client.js";
import { httpStatus } from "./client.js";
import type { ReviewInput as StoredReview } from "../policy/evaluate.js";
import type { ApprovalRule } from "../policy/config.js";

interface ReviewPayload {
  id: number;
  user: { login: string; type?: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
  body?: string | null;
}

/** A review from the REST API or a webhook, in the evaluator's shape. */
export function toStoredReview(review: ReviewPayload): StoredReview {
  return {
    id: review.id,
    login: review.user?.login ?? "ghost",
    isBot: review.user?.type === "Bot",
    state: review.state.toUpperCase() as StoredReview["state"],
    commitId: review.commit_id ?? "",
    submittedAt: review.submitted_at ?? new Date(0).toISOString(),
    body: review.body ?? "",
  };
}

export async function listReviews(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<StoredReview[]> {
  const reviews = await github.paginate(github.rest.pulls.listReviews, {
    ...repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  return reviews.map((review) => toStoredReview(review as ReviewPayload));
}

/** Everyone who authored or committed a commit on the request branch. */
export async function listPushers(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<string[]> {
  const commits = await github.paginate(github.rest.pulls.listCommits, {
    ...repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  const logins = new Set<string>();
  for (const commit of commits) {
    if (commit.author?.login) logins.add(commit.author.login);
    if (commit.committer?.login) logins.add(commit.committer.login);
  }
  return [...logins];
}

/**
 * Everyone who pushed to `branch` as the repository's activity records it: the account that
 * made each push, force-push or the branch's creation, which a commit's author (whatever the
 * committer set) does not tell. For a GitOps request PR, whose branch had a history before
 * Countersign saw it; pushes after that come by webhook.
 */
export async function listBranchPushers(
  github: GitHub,
  repo: RepoRef,
  branch: string,
): Promise<BranchPusher[]> {
  const activities = await github.paginate(github.rest.repos.listActivities, {
    ...repo,
    ref: `refs/heads/${branch}`,
    per_page: 100,
  });
  const pushers = new Map<string, BranchPusher>();
  for (const { actor } of activities) {
    // A deploy key's or a deleted account's push names nobody: kept as such, never dropped.
    const pusher = actor?.login
      ? { login: actor.login, isBot: actor.type === "Bot" }
      : { login: null, isBot: false };
    pushers.set(pusher.login ?? "", pusher);
  }
  return [...pushers.values()];
}

/**
 * Everyone who pushed to a request branch or wrote its commits: the commits' authors and
 * committers, and the accounts GitHub's activity names for the branch, so that a commit
 * whose author was set to someone else hides nobody, even when the push's webhook was lost.
 */
export async function listRequestPushers(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
  branch: string | null,
): Promise<string[]> {
  const [authors, activity] = await Promise.all([
    listPushers(github, repo, pullNumber),
    branch === null ? [] : listBranchPushers(github, repo, branch),
  ]);
  const named = activity.flatMap((pusher) => (pusher.login === null ? [] : [pusher.login]));
  return [...new Set([...authors, ...named])];
}

/** An account that pushed to a branch; `login` null when GitHub names none. */
export interface BranchPusher {
  login: string | null;
  isBot: boolean;
}

/** Active members of `org/slug`, child teams included (GitHub's own listing). */
export async function listTeamMembers(
  github: GitHub,
  org: string,
  slug: string,
): Promise<string[]> {
  try {
    const members = await github.paginate(github.rest.teams.listMembersInOrg, {
      org,
      team_slug: slug,
      per_page: 100,
    });
    return members.map((member) => member.login.toLowerCase());
  } catch (error) {
    // A team that does not exist (or the app cannot see) has no members: nobody counts.
    if (httpStatus(error) === 404) return [];
    throw error;
  }
}

/**
 * Dismisses a review (an approval given to something that changed): a PUT, so a retry is
 * harmless. A review GitHub will not dismiss because it is already dismissed (or was never
 * an approval or a change request) answers 422: either way it no longer counts.
 */
export async function dismissReview(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
  reviewId: number,
  message: string,
): Promise<void> {
  try {
    await github.rest.pulls.dismissReview({
      ...repo,
      pull_number: pullNumber,
      review_id: reviewId,
      message,
      event: "DISMISS",
    });
  } catch (error) {
    if (httpStatus(error) !== 422) throw error;
  }
}

/**
 * Asks a rule's teams and people for a review again (after their approvals were dismissed).
 * Teams of another organisation cannot be asked on this repository and are left out.
 */
export async function requestReviewsAgain(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
  reviewers: { teams: string[]; users: string[] },
): Promise<void> {
  if (reviewers.teams.length === 0 && reviewers.users.length === 0) return;
  await github.rest.pulls.requestReviewers({
    ...repo,
    pull_number: pullNumber,
    team_reviewers: reviewers.teams,
    reviewers: reviewers.users,
  });
}

/** The teams (of the repository's organisation) and people a rule names, to ask for reviews. */
export function reviewersOf(
  rule: ApprovalRule,
  owner: string,
): { teams: string[]; users: string[] } {
  if (rule.mode === "none") return { teams: [], users: [] };
  const teams = new Set<string>();
  const users = new Set<string>();
  for (const group of rule.groups) {
    const org = group.team?.org ?? owner;
    if (group.team !== undefined && org.toLowerCase() === owner.toLowerCase())
      teams.add(group.team.slug);
    for (const login of group.users ?? []) users.add(login);
  }
  return { teams: [...teams], users: [...users] };
}
