/**
 * The GitHub side of executing a request (DESIGN §1.5, §1.6): the reads of the fail-closed
 * re-check (the request file at the approved commit, the PR's files) and the writes that
 * publish the outcome (the result and link comments, the audit merge). The check run and
 * the PR body go through github/status.ts like every other status change.
 */
import { graphqlFailures, httpStatus, type GitHub, type RepoRef } from "./client.js";
import type { PullFileChange } from "../commands/gitops-files.js";
import { findMarkedByNode } from "./comments.js";
import {
  commentMarker,
  currentWriteAttempt,
  isAmbiguous,
  withMarker,
  writeOnce,
} from "./idempotent.js";

/**
 * The text of `path` at commit `ref`, or null when it is not a readable file there (deleted,
 * a directory, a symlink, too large for the contents API): the caller then refuses to run.
 */
export async function fileAtRef(
  github: GitHub,
  repo: RepoRef,
  path: string,
  ref: string,
): Promise<string | null> {
  try {
    const { data } = await github.rest.repos.getContent({ ...repo, path, ref });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
    // GitHub follows a symlink to a file of the repository and answers with the target's path
    // and content: a link would run another file's SQL, and the diff would show only the link.
    if (data.path !== path) return null;
    // Files over 1 MB come back without content (encoding "none"); a command never is.
    if (data.encoding !== "base64") return null;
    return Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

export interface PullRequestState {
  headSha: string;
  baseRef: string;
  state: string;
  merged: boolean;
  url: string;
  /** ISO time of the PR's last change (a push moves it). */
  updatedAt: string;
}

/** The request PR as it is now (no cache): open?, head commit. */
export async function pullRequestState(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<PullRequestState> {
  const { data } = await github.rest.pulls.get({ ...repo, pull_number: pullNumber });
  return {
    headSha: data.head.sha,
    baseRef: data.base.ref,
    state: data.state,
    merged: data.merged,
    url: data.html_url,
    updatedAt: data.updated_at,
  };
}

/** Every file the pull request changes, with GitHub's status and a rename's old path. */
export async function listPullFileChanges(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<PullFileChange[]> {
  const files = await github.paginate(github.rest.pulls.listFiles, {
    ...repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  return files.map((file) => ({
    path: file.filename,
    status: file.status,
    ...(file.previous_filename ? { previousPath: file.previous_filename } : {}),
  }));
}

/** Every path the pull request changes, a rename's old path included. */
export async function listPullFiles(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<string[]> {
  const paths = new Set<string>();
  for (const file of await listPullFileChanges(github, repo, pullNumber)) {
    paths.add(file.path);
    if (file.previousPath !== undefined) paths.add(file.previousPath);
  }
  return [...paths];
}

export interface CommentPair {
  /** Node id of the request pull request: gets the result. */
  pullRequestId: string;
  body: string;
  /** Node id of the issue or PR that held the command: gets a link; null when it is the PR. */
  sourceThreadId: string | null;
  linkBody: string;
}

export interface PostedComments {
  /** URL of the result comment, null when GitHub refused it. */
  resultUrl: string | null;
  /** Per-mutation failures ("link: Issue is locked"); empty when both were posted. */
  failures: string[];
}

interface AddCommentReply {
  result?: { commentEdge: { node: { url: string } | null } | null } | null;
}

/** The result mutation for what is still to post: the result, the link, or both. */
function resultMutation(withResult: boolean, withLink: boolean): string {
  const parameters = [
    ...(withResult ? ["$pr: ID!", "$body: String!"] : []),
    ...(withLink ? ["$thread: ID!", "$link: String!"] : []),
  ];
  const result = withResult
    ? `
  result: addComment(input: { subjectId: $pr, body: $body }) {
    commentEdge { node { url } }
  }`
    : "";
  const link = withLink
    ? `
  link: addComment(input: { subjectId: $thread, body: $link }) {
    clientMutationId
  }`
    : "";
  return `mutation Result(${parameters.join(", ")}) {${result}${link}
}`;
}

/**
 * Posts the result on the request PR and the link on the source thread in ONE GraphQL
 * request (two independent mutations), as intake does with its announcement: one
 * content-creating request instead of two. A failure of either is reported, not thrown.
 * Each carries a marker: a retried job posts only what is missing, and after an answer that
 * leaves it unknown whether GitHub posted them, what GitHub shows is what was posted.
 */
export async function postResultComments(
  github: GitHub,
  comments: CommentPair,
): Promise<PostedComments> {
  const resultMarker = commentMarker(comments.pullRequestId, "result");
  const linkMarker = commentMarker(comments.pullRequestId, "result-link");
  const wanted = [
    { threadId: comments.pullRequestId, marker: resultMarker },
    ...(comments.sourceThreadId === null
      ? []
      : [{ threadId: comments.sourceThreadId, marker: linkMarker }]),
  ];
  const before =
    currentWriteAttempt()?.retry === true
      ? await findMarkedByNode(github, wanted)
      : wanted.map(() => null);
  const postResult = before[0] === null;
  const postLink = wanted.length > 1 && before[1] === null;
  if (!postResult && !postLink) return { resultUrl: before[0] ?? null, failures: [] };
  const variables = {
    ...(postResult
      ? { pr: comments.pullRequestId, body: withMarker(comments.body, resultMarker) }
      : {}),
    ...(postLink
      ? { thread: comments.sourceThreadId, link: withMarker(comments.linkBody, linkMarker) }
      : {}),
  };
  try {
    const reply = await github.graphql<AddCommentReply>(
      resultMutation(postResult, postLink),
      variables,
    );
    return { resultUrl: reply.result?.commentEdge?.node?.url ?? before[0] ?? null, failures: [] };
  } catch (error) {
    const failures = graphqlFailures(error);
    if (failures !== null) {
      const data = (error as { data?: AddCommentReply }).data;
      return { resultUrl: data?.result?.commentEdge?.node?.url ?? before[0] ?? null, failures };
    }
    if (!isAmbiguous(error)) throw error;
    return afterAmbiguousFailure(github, wanted, error);
  }
}

/**
 * GitHub may have posted the comments before its answer failed: what the threads show now
 * is what was posted. Nothing found: the failure stands (the job retries, looking first).
 */
async function afterAmbiguousFailure(
  github: GitHub,
  wanted: { threadId: string; marker: string }[],
  error: unknown,
): Promise<PostedComments> {
  const found = await findMarkedByNode(github, wanted).catch(() => null);
  if (found === null || found.every((url) => url === null)) throw error;
  const why = error instanceof Error ? error.message : String(error);
  return {
    resultUrl: found[0] ?? null,
    failures: [
      ...(found[0] === null ? [`result: not posted (${why})`] : []),
      ...(found.length > 1 && found[1] === null ? [`link: not posted (${why})`] : []),
    ],
  };
}

export type MergeResult =
  | { merged: true; sha: string }
  /**
   * Not merged. `status` is GitHub's refusal: 405 (not mergeable, branch protection), 409
   * (head moved), 422 …; null when Countersign did not ask (the base is no longer the audit
   * branch).
   */
  | { merged: false; status: number | null; message: string };

/**
 * Squash-merges the request PR into its base (the audit branch) with our commit message,
 * only if its head is still `sha`: the audit commit then holds exactly what was approved.
 * With `base`, only if the pull request still merges into it: anyone with write access can
 * edit the base while the command runs, and the audit commit would then land elsewhere.
 */
export async function mergeRequest(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
  commit: { sha: string; title: string; message: string; base: string | null },
): Promise<MergeResult> {
  if (commit.base !== null) {
    const { data } = await github.rest.pulls.get({ ...repo, pull_number: pullNumber });
    if (data.merged) {
      // Countersign's own merge, made by an earlier try whose answer was lost, is found on a
      // retry, into the audit branch. Any other merge is someone's by hand: no audit commit.
      const ours = currentWriteAttempt()?.retry === true && data.base.ref === commit.base;
      if (ours && data.merge_commit_sha !== null) {
        return { merged: true, sha: data.merge_commit_sha };
      }
      return {
        merged: false,
        status: null,
        message: `it was already merged${data.merged_by ? ` by ${data.merged_by.login}` : ""} into ${data.base.ref}, without the audit commit`,
      };
    }
    if (data.base.ref !== commit.base) {
      return {
        merged: false,
        status: null,
        message: `its base was changed to ${data.base.ref}, and the audit record belongs on ${commit.base}; change the base back before merging it`,
      };
    }
  }
  try {
    return await writeOnce<MergeResult>({
      // A merge GitHub made before its answer failed is not refused ("not mergeable") now.
      find: () => mergedAlready(github, repo, pullNumber),
      write: async () => {
        const { data } = await github.rest.pulls.merge({
          ...repo,
          pull_number: pullNumber,
          merge_method: "squash",
          sha: commit.sha,
          commit_title: commit.title,
          commit_message: commit.message,
        });
        if (!data.merged) return { merged: false, status: 200, message: data.message };
        return { merged: true, sha: data.sha };
      },
    });
  } catch (error) {
    const status = httpStatus(error);
    if (status === undefined || status < 400 || status >= 500 || status === 403 || status === 429) {
      throw error;
    }
    return { merged: false, status, message: githubMessage(error) };
  }
}

async function mergedAlready(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<MergeResult | null> {
  const { data } = await github.rest.pulls.get({ ...repo, pull_number: pullNumber });
  return data.merged && data.merge_commit_sha !== null
    ? { merged: true, sha: data.merge_commit_sha }
    : null;
}

/** GitHub's own explanation of a refusal ("Base branch was modified…"), bounded. */
function githubMessage(error: unknown): string {
  const response = (error as { response?: { data?: unknown } }).response;
  const data = response?.data;
  if (typeof data === "object" && data !== null && "message" in data) {
    const message = (data as { message: unknown }).message;
    if (typeof message === "string") return message.slice(0, 500);
  }
  return error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
}
