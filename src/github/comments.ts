import type { GitHub, RepoRef } from "./client.js";

/** A comment on an issue or pull request thread. */
export async function postComment(
  github: GitHub,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<{ id: number; url: string }> {
  const { data } = await github.rest.issues.createComment({
    ...repo,
    issue_number: issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url };
}
