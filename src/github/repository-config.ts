/**
 * The repository's `.github/countersign.yml` as it is on the default branch now, read the
 * way intake reads it (Probot's config plugin: the repository's file, else the
 * organisation's `.github` repository), so intake and the worker never disagree on where
 * the rules come from.
 */
import {
  CONFIG_PATH,
  parseRepositoryRules,
  type ConfigProblem,
  type ResourcePolicy,
} from "../policy/config.js";
import { httpStatus, type GitHub, type RepoRef } from "./client.js";

export async function readRepositoryRules(
  github: GitHub,
  repo: RepoRef,
): Promise<
  { ok: true; resources: Record<string, ResourcePolicy> } | { ok: false; problems: ConfigProblem[] }
> {
  let raw: unknown;
  try {
    const { config } = await github.config.get({ ...repo, path: CONFIG_PATH });
    raw = Object.keys(config).length === 0 ? null : config;
  } catch (error) {
    // GitHub failing is retried by the job; a file that does not parse is a problem to show.
    if (httpStatus(error) !== undefined) throw error;
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    return { ok: false, problems: [{ path: "(file)", message: `not valid YAML (${message})` }] };
  }
  return parseRepositoryRules(raw);
}
