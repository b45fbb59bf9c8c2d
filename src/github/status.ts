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
