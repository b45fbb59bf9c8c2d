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

/**
 * The per-mutation failures of a GraphQL answer ("reviews: team has no access"), or null
 * when the error is not one (a transport failure, a rate limit).
 */
export function graphqlFailures(error: unknown): string[] | null {
  if (typeof error !== "object" || error === null) return null;
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return null;
  return (errors as { message: string; path?: (string | number)[] }[]).map(
    (entry) => `${String(entry.path?.[0] ?? "request")}: ${entry.message}`,
  );
}
