/**
 * An Octokit plugin that reports every GitHub answer (method, route template, status and the
 * rate limit left) to an observer, for metrics. Route templates such as
 * `/repos/{owner}/{repo}/pulls` keep the label set small.
 */
import type { Octokit } from "@octokit/core";

export type GitHubAnswerObserver = (
  method: string,
  route: string,
  status: number,
  rateLimitRemaining?: string,
) => void;

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : 0;
}

function remainingOf(headers: unknown): string | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.["x-ratelimit-remaining"];
  return value === undefined ? undefined : String(value);
}

export function githubAnswerPlugin(observe: GitHubAnswerObserver) {
  return (octokit: Octokit): void => {
    octokit.hook.after("request", (response, options) => {
      observe(options.method, String(options.url), response.status, remainingOf(response.headers));
    });
    octokit.hook.error("request", (error, options) => {
      const headers = (error as { response?: { headers?: unknown } }).response?.headers;
      observe(options.method, String(options.url), statusOf(error), remainingOf(headers));
      throw error;
    });
  };
}
