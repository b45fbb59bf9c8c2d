/** Updating what a request shows on GitHub: its check run, its PR, its labels. */
import type { GitHub, RepoRef } from "./client.js";
import { APPROVAL_CHECK_NAME } from "./request-pr.js";

export async function updateApprovalCheck(
  github: GitHub,
  repo: RepoRef,
  checkRunId: number,
  output: { title: string; summary: string },
  conclusion?: "success" | "failure" | "cancelled" | "timed_out" | "neutral",
): Promise<void> {
  await github.rest.checks.update({
    ...repo,
    check_run_id: checkRunId,
    name: APPROVAL_CHECK_NAME,
    output,
    ...(conclusion
      ? { status: "completed" as const, conclusion, completed_at: new Date().toISOString() }
      : {}),
  });
}

export async function updatePullRequest(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
  update: { body: string; close?: boolean },
): Promise<void> {
  await github.rest.pulls.update({
    ...repo,
    pull_number: pullNumber,
    body: update.body,
    ...(update.close ? { state: "closed" as const } : {}),
  });
}

export async function addLabels(
  github: GitHub,
  repo: RepoRef,
  issueNumber: number,
  labels: string[],
): Promise<void> {
  await github.rest.issues.addLabels({ ...repo, issue_number: issueNumber, labels });
}

/** The raw text of a file at a commit (the request file at the PR's head). */
export async function fileAtCommit(
  github: GitHub,
  repo: RepoRef,
  path: string,
  ref: string,
): Promise<string> {
  const { data } = await github.rest.repos.getContent({ ...repo, path, ref });
  if (Array.isArray(data) || data.type !== "file" || !("content" in data)) {
    throw new Error(`${path} is not a file at ${ref}`);
  }
  return Buffer.from(data.content, "base64").toString("utf8");
}

/** Paths the pull request changes. */
export async function changedFiles(
  github: GitHub,
  repo: RepoRef,
  pullNumber: number,
): Promise<string[]> {
  const files = await github.paginate(github.rest.pulls.listFiles, {
    ...repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  return files.map((file) => file.filename);
}
