/**
 * The GitHub side of opening a request pull request (DESIGN §1.2). Each step tolerates
 * having been done already, because a job that died half-way is retried from the top.
 */
import { graphqlFailures, httpStatus, type GitHub, type RepoRef } from "./client.js";
import { findMarkedByNode } from "./comments.js";
import { commentMarker, currentWriteAttempt, withMarker, writeOnce } from "./idempotent.js";

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

/**
 * Opens the request PR once. A PR that may already exist (an answer that leaves it unknown
 * whether GitHub opened it, a retried job, or GitHub's 422 for a branch that has one) is
 * looked for and adopted, if it is ours: see `findOurPullRequest`.
 */
export async function openPullRequest(
  github: GitHub,
  repo: RepoRef,
  pull: { head: string; base: string; title: string; body: string },
): Promise<PullRequestRef> {
  try {
    return await writeOnce({
      find: () => findOurPullRequest(github, repo, pull),
      write: async () => {
        const { data } = await github.rest.pulls.create({
          ...repo,
          ...pull,
          maintainer_can_modify: false,
        });
        return { number: data.number, nodeId: data.node_id, url: data.html_url };
      },
    });
  } catch (error) {
    if (httpStatus(error) !== 422) throw error;
    const existing = await findOurPullRequest(github, repo, pull);
    if (existing === null) throw error;
    return existing;
  }
}

/**
 * The open PR from our branch into the expected base that this app opened: a PR someone
 * opened from a branch named like ours is not a request, nor is another bot's. Who "this
 * app" is comes from GraphQL's `viewer` (an installation token's viewer is `<slug>[bot]`),
 * asked only when there is a candidate.
 */
export async function findOurPullRequest(
  github: GitHub,
  repo: RepoRef,
  pull: { head: string; base: string },
): Promise<PullRequestRef | null> {
  const { data } = await github.rest.pulls.list({
    ...repo,
    head: `${repo.owner}:${pull.head}`,
    state: "open",
  });
  const candidates = data.filter(
    (candidate) =>
      candidate.head.ref === pull.head &&
      candidate.base.ref === pull.base &&
      candidate.user?.type === "Bot",
  );
  if (candidates.length === 0) return null;
  const me = await viewerLogin(github);
  const ours = candidates.find((candidate) => candidate.user?.login === me);
  return ours === undefined
    ? null
    : { number: ours.number, nodeId: ours.node_id, url: ours.html_url };
}

/** The login the installation token acts as (`countersign[bot]`). */
async function viewerLogin(github: GitHub): Promise<string> {
  const reply = await github.graphql<{ viewer: { login: string } }>("query { viewer { login } }");
  return reply.viewer.login;
}

export const APPROVAL_CHECK_NAME = "countersign/approval";

/** The approval check run of `headSha`, created once (found by name on a retry). */
export async function createApprovalCheck(
  github: GitHub,
  repo: RepoRef,
  headSha: string,
  output: { title: string; summary: string; text?: string },
): Promise<number> {
  return writeOnce({
    find: () => findApprovalCheck(github, repo, headSha),
    write: async () => {
      const { data } = await github.rest.checks.create({
        ...repo,
        name: APPROVAL_CHECK_NAME,
        head_sha: headSha,
        status: "in_progress",
        output,
      });
      return data.id;
    },
  });
}

/**
 * The `countersign/approval` check run on `headSha` that is still open, or null. A
 * completed one (a head that came back after a push) belongs to an earlier request state.
 */
export async function findApprovalCheck(
  github: GitHub,
  repo: RepoRef,
  headSha: string,
): Promise<number | null> {
  const { data } = await github.rest.checks.listForRef({
    ...repo,
    ref: headSha,
    check_name: APPROVAL_CHECK_NAME,
  });
  const open = data.check_runs.find((run) => run.status !== "completed");
  return open?.id ?? null;
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

/**
 * The mutation document: the review request is left out when no reviewer is needed, the
 * link when an earlier attempt posted it.
 */
function announceMutation(withReviews: boolean, withLink: boolean): string {
  const reviews = withReviews
    ? `reviews: requestReviews(input: { pullRequestId: $pr, teamIds: $teams, userIds: $users, union: true }) {
    clientMutationId
  }`
    : "";
  const link = withLink
    ? `link: addComment(input: { subjectId: $thread, body: $body }) {
    commentEdge { node { databaseId url } }
  }`
    : "";
  return `mutation Announce(
  $pr: ID!, ${withReviews ? "$teams: [ID!]!, $users: [ID!]!, " : ""}$labels: [ID!]!,
  ${withLink ? "$thread: ID!, $body: String!, " : ""}$subject: ID!
) {
  ${reviews}
  labels: addLabelsToLabelable(input: { labelableId: $pr, labelIds: $labels }) {
    clientMutationId
  }
  ${link}
  eyes: addReaction(input: { subjectId: $subject, content: EYES }) {
    clientMutationId
  }
}`;
}

/**
 * Requests the reviews, labels the PR, links it from the source thread and reacts to the
 * source comment in ONE GraphQL request: the four mutations are independent of each other,
 * and GitHub runs them in order and reports each one's failure separately. This keeps an
 * intake at five content-creating calls instead of eight (see README "API budget").
 * Returns the failures per step ("reviews: team has no access") rather than throwing,
 * because a missing team permission must not undo a request that is otherwise open. A
 * transport failure (5xx, timeout, rate limit) throws: the job retries the announcement.
 * On a retry the link is looked for first; the other three are safe to repeat (GitHub keeps
 * one review request, label and reaction each).
 */
export async function announceRequest(
  github: GitHub,
  announcement: Announcement,
): Promise<string[]> {
  const marker = commentMarker(announcement.pullRequestId, "link");
  const linked =
    currentWriteAttempt()?.retry === true &&
    (await findMarkedByNode(github, [{ threadId: announcement.threadId, marker }]))[0] !== null;
  const withReviews = announcement.teamIds.length + announcement.userIds.length > 0;
  const variables = {
    pr: announcement.pullRequestId,
    ...(withReviews ? { teams: announcement.teamIds, users: announcement.userIds } : {}),
    labels: announcement.labelIds,
    ...(linked
      ? {}
      : { thread: announcement.threadId, body: withMarker(announcement.linkBody, marker) }),
    subject: announcement.reactionSubjectId,
  };
  try {
    await github.graphql(announceMutation(withReviews, !linked), variables);
    return [];
  } catch (error) {
    const failures = graphqlFailures(error);
    if (failures === null) throw error;
    return failures;
  }
}
