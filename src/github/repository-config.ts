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
  // The same read as intake's (readRepositoryConfig below), layers merged the same way.
  const read = await readRepositoryConfig(github, repo);
  if (!read.ok) {
    return {
      ok: false,
      problems: [{ path: "(file)", message: `not valid YAML (${read.reason})` }],
    };
  }
  return parseRepositoryRules(read.raw);
}

const mergeable = (value: unknown): value is object => typeof value === "object" && value !== null;
const copy = (value: unknown): unknown =>
  mergeable(value) ? mergeLayer(Array.isArray(value) ? [] : {}, value) : value;

/**
 * How `context.config` merges `_extends` layers (deepmerge's defaults): arrays concatenate,
 * objects merge key by key, and a key the target object only inherits (`__proto__`,
 * `constructor`) is dropped.
 */
function mergeLayer(target: unknown, source: unknown): unknown {
  if (Array.isArray(target) !== Array.isArray(source)) return copy(source);
  if (Array.isArray(target)) return [...target, ...(source as unknown[])].map(copy);
  const into = (mergeable(target) ? target : {}) as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(into)) merged[key] = copy(value);
  for (const [key, value] of Object.entries(source as object)) {
    const inherited = mergeable(target) && key in into && !Object.hasOwn(into, key);
    if (inherited || key === "__proto__") continue;
    merged[key] =
      Object.hasOwn(into, key) && mergeable(value) ? mergeLayer(into[key], value) : copy(value);
  }
  return merged;
}

/**
 * The raw file exactly as Probot's `context.config` gives it to a webhook handler (layers
 * deep-merged; null when there is no file), for intake, which reads it in a job. A file that
 * does not parse is `ok: false` with the plugin's reason; GitHub failing throws (the job
 * retries).
 */
export async function readRepositoryConfig(
  github: GitHub,
  repo: RepoRef,
): Promise<{ ok: true; raw: unknown } | { ok: false; reason: string }> {
  try {
    const { config, files } = await github.config.get({
      ...repo,
      path: CONFIG_PATH,
      defaults: (layers) => layers.reduce<unknown>(mergeLayer, {}) as Record<string, unknown>,
    });
    return { ok: true, raw: files.some((file) => file.config !== null) ? config : null };
  } catch (error) {
    if (httpStatus(error) !== undefined) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // Drop the plugin's "[@probot/octokit-plugin-config]" prefix.
    return { ok: false, reason: (message.split("\n")[0] ?? "").replace(/^\[[^\]]*\]\s*/, "") };
  }
}
