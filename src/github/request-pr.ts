/**
 * The GitHub side of opening a request pull request (DESIGN §1.2). Each step tolerates
 * having been done already, because a job that died half-way is retried from the top.
 */
import { httpStatus, type GitHub, type RepoRef } from "./client.js";

export async function branchHeadSha(
  github: GitHub,
  repo: RepoRef,
  branch: string,
): Promise<string> {
  const { data } = await github.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
  return data.object.sha;
}

/**
 * Creates `branch` at `sha`. Returns false when it exists already: a retried job, or a
 * branch someone made in advance, which the caller must verify before trusting it.
 */
export async function createBranch(
  github: GitHub,
  repo: RepoRef,
  branch: string,
  sha: string,
): Promise<boolean> {
  try {
    await github.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha });
    return true;
  } catch (error) {
    if (httpStatus(error) !== 422) throw error;
    return false;
  }
}

/** Adds the command file on the branch; returns the new head commit. */
export async function addFile(
  github: GitHub,
  repo: RepoRef,
  file: { branch: string; path: string; content: string; message: string },
): Promise<string> {
  try {
    const { data } = await github.rest.repos.createOrUpdateFileContents({
      ...repo,
      branch: file.branch,
      path: file.path,
      message: file.message,
      content: Buffer.from(file.content, "utf8").toString("base64"),
    });
    if (!data.commit.sha) throw new Error("GitHub returned no commit for the request file");
    return data.commit.sha;
  } catch (error) {
    // 422: the file is there already (a retried job); its branch head is our commit.
    if (httpStatus(error) !== 422) throw error;
    return branchHeadSha(github, repo, file.branch);
  }
}

export interface PullRequestRef {
  number: number;
  nodeId: string;
  url: string;
}

export async function openPullRequest(
  github: GitHub,
  repo: RepoRef,
  pull: { head: string; base: string; title: string; body: string },
): Promise<PullRequestRef> {
  try {
    const { data } = await github.rest.pulls.create({
      ...repo,
      ...pull,
      maintainer_can_modify: false,
    });
    return { number: data.number, nodeId: data.node_id, url: data.html_url };
  } catch (error) {
    if (httpStatus(error) !== 422) throw error;
    const { data } = await github.rest.pulls.list({
      ...repo,
      head: `${repo.owner}:${pull.head}`,
      state: "open",
    });
    // Adopt only Countersign's own PR into the expected base: a PR someone opened from a
    // branch named like ours is not a request.
    const existing = data.find(
      (candidate) => candidate.user?.type === "Bot" && candidate.base.ref === pull.base,
    );
    if (existing === undefined) throw error;
    return { number: existing.number, nodeId: existing.node_id, url: existing.html_url };
  }
}

export const APPROVAL_CHECK_NAME = "countersign/approval";

export async function createApprovalCheck(
  github: GitHub,
  repo: RepoRef,
  headSha: string,
  output: { title: string; summary: string; text?: string },
): Promise<number> {
  const { data } = await github.rest.checks.create({
    ...repo,
    name: APPROVAL_CHECK_NAME,
    head_sha: headSha,
    status: "in_progress",
    output,
  });
  return data.id;
}

export interface Announcement {
  pullRequestId: string;
  teamIds: string[];
  userIds: string[];
  labelIds: string[];
  /** Issue or pull request that held the command: gets the linking comment. */
  threadId: string;
  linkBody: string;
  /** The comment (or issue) that held the command: gets the 👀 reaction. */
  reactionSubjectId: string;
}

/** The mutation document: the review request is left out when no reviewer is needed. */
function announceMutation(withReviews: boolean): string {
  const reviews = withReviews
    ? `reviews: requestReviews(input: { pullRequestId: $pr, teamIds: $teams, userIds: $users, union: true }) {
    clientMutationId
  }`
    : "";
  return `mutation Announce(
  $pr: ID!, ${withReviews ? "$teams: [ID!]!, $users: [ID!]!, " : ""}$labels: [ID!]!,
  $thread: ID!, $body: String!, $subject: ID!
) {
  ${reviews}
  labels: addLabelsToLabelable(input: { labelableId: $pr, labelIds: $labels }) {
    clientMutationId
  }
  link: addComment(input: { subjectId: $thread, body: $body }) {
    commentEdge { node { databaseId url } }
  }
  eyes: addReaction(input: { subjectId: $subject, content: EYES }) {
    clientMutationId
  }
}`;
}

interface GraphqlFailure {
  errors?: { message: string; path?: (string | number)[] }[];
}

/**
 * Requests the reviews, labels the PR, links it from the source thread and reacts to the
 * source comment in ONE GraphQL request: the four mutations are independent of each other,
 * and GitHub runs them in order and reports each one's failure separately. This keeps an
 * intake at five content-creating calls instead of eight (see README "API budget").
 * Returns the failures per step ("reviews: team has no access") rather than throwing,
 * because a missing team permission must not undo a request that is otherwise open.
 */
export async function announceRequest(
  github: GitHub,
  announcement: Announcement,
): Promise<string[]> {
  const withReviews = announcement.teamIds.length + announcement.userIds.length > 0;
  const variables = {
    pr: announcement.pullRequestId,
    ...(withReviews ? { teams: announcement.teamIds, users: announcement.userIds } : {}),
    labels: announcement.labelIds,
    thread: announcement.threadId,
    body: announcement.linkBody,
    subject: announcement.reactionSubjectId,
  };
  try {
    await github.graphql(announceMutation(withReviews), variables);
    return [];
  } catch (error) {
    const failure = error as GraphqlFailure;
    if (!Array.isArray(failure.errors)) {
      // The request is open and recorded either way; a lost announcement must not strand it.
      return [`request: ${error instanceof Error ? error.message : String(error)}`];
    }
    return failure.errors.map(
      (entry) => `${String(entry.path?.[0] ?? "request")}: ${entry.message}`,
    );
  }
}
