import type { GitHub, RepoRef } from "./client.js";
import { bodyMarker, withMarker, writeOnce } from "./idempotent.js";

export interface PostedComment {
  id: number;
  url: string;
}

/**
 * A comment on an issue or pull request thread, posted once: it carries a hidden marker, and
 * a retried job (or an answer that leaves it unknown whether GitHub took it) finds the
 * comment by its marker instead of posting it again.
 */
export async function postComment(
  github: GitHub,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<PostedComment> {
  const marker = bodyMarker(body);
  return writeOnce({
    find: () => findMarkedComment(github, repo, issueNumber, marker),
    write: async () => {
      const { data } = await github.rest.issues.createComment({
        ...repo,
        issue_number: issueNumber,
        body: withMarker(body, marker),
      });
      return { id: data.id, url: data.html_url };
    },
  });
}

/** The thread's comment that holds `marker`, or null. */
export async function findMarkedComment(
  github: GitHub,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
): Promise<PostedComment | null> {
  const comments = await github.paginate(github.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  // A bot's comment only: a person who pasted our marker does not stand in for our comment.
  const found = comments.find(
    (comment) => comment.user?.type === "Bot" && comment.body?.includes(marker) === true,
  );
  return found === undefined ? null : { id: found.id, url: found.html_url };
}

interface MarkedComment {
  body: string;
  url: string;
  author: { __typename: string } | null;
}

interface MarkedThreads {
  [alias: string]: { comments?: { nodes: (MarkedComment | null)[] } } | null;
}

const COMMENTS = "comments(last: 100) { nodes { body url author { __typename } } }";

/**
 * The URLs of the comments holding each marker, looked up by the node ids of their threads
 * (an issue or a pull request) in one GraphQL query; null where no bot's comment holds it.
 * The last 100 comments of a thread are searched: ours were posted moments ago.
 */
export async function findMarkedByNode(
  github: GitHub,
  wanted: { threadId: string; marker: string }[],
): Promise<(string | null)[]> {
  if (wanted.length === 0) return [];
  const threads = wanted
    .map(
      (_, index) =>
        `t${index}: node(id: $t${index}) { ...on Issue { ${COMMENTS} } ...on PullRequest { ${COMMENTS} } }`,
    )
    .join("\n  ");
  const query = `query Marked(${wanted.map((_, index) => `$t${index}: ID!`).join(", ")}) {\n  ${threads}\n}`;
  const variables = Object.fromEntries(wanted.map((entry, index) => [`t${index}`, entry.threadId]));
  const reply = await github.graphql<MarkedThreads>(query, variables);
  return wanted.map((entry, index) => {
    const nodes = reply[`t${index}`]?.comments?.nodes ?? [];
    const ours = nodes.find(
      (node) => node?.author?.__typename === "Bot" && node.body.includes(entry.marker),
    );
    return ours?.url ?? null;
  });
}
