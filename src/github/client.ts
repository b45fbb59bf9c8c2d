/** The Octokit type every GitHub call here goes through (Probot's, with retry and paginate). */
import type { ProbotOctokit } from "probot";

export type GitHub = ProbotOctokit;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** HTTP status of an Octokit error, or undefined for anything else. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}
