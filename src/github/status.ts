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

export const CONFIG_CHECK_NAME = "countersign/config";

export interface CheckAnnotation {
  path: string;
  line: number;
  message: string;
}

/** A finished `countersign/config` check run on a commit, with its annotations (≤ 50). */
export async function publishConfigCheck(
  github: GitHub,
  repo: RepoRef,
  headSha: string,
  result: {
    conclusion: "success" | "failure" | "neutral";
    title: string;
    summary: string;
    annotations: CheckAnnotation[];
  },
): Promise<void> {
  await github.rest.checks.create({
    ...repo,
    name: CONFIG_CHECK_NAME,
    head_sha: headSha,
    status: "completed",
    conclusion: result.conclusion,
    completed_at: new Date().toISOString(),
    output: {
      title: result.title,
      summary: result.summary,
      // GitHub takes at most 50 annotations per request.
      annotations: result.annotations.slice(0, 50).map((annotation) => ({
        path: annotation.path,
        start_line: annotation.line,
        end_line: annotation.line,
        annotation_level: "failure" as const,
        message: annotation.message,
      })),
    },
  });
}
