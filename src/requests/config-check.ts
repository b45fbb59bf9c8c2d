/**
 * The `countersign/config` check run (issue: config checked before it bites): a pull request
 * that changes `.github/countersign.yml` learns before merging whether the file is valid —
 * problems annotated on their lines — and, when it is, what the change does to each
 * resource's effective rule under this server's floors.
 */
import { checkConfigText } from "../policy/config-check.js";
import { CONFIG_PATH, parseRepositoryRules, type ResourcePolicy } from "../policy/config.js";
import { configEffects } from "../policy/config-effects.js";
import type { ServerConfig } from "../policy/server-config.js";
import type { GitHub, RepoRef } from "../github/client.js";
import { fileAtRef, listPullFiles } from "../github/execution.js";
import { publishConfigCheck } from "../github/status.js";
import { renderTemplate } from "../render/templates.js";
import { parse } from "yaml";

export interface ConfigCheckTarget {
  repo: RepoRef;
  pullNumber: number;
  headSha: string;
  baseRef: string;
}

/** The base branch's rules; a missing or broken file there counts as none. */
function rulesOf(text: string | null): Record<string, ResourcePolicy> {
  if (text === null) return {};
  try {
    const parsed = parseRepositoryRules(parse(text) as unknown);
    return parsed.ok ? parsed.resources : {};
  } catch {
    return {};
  }
}

export async function checkConfigChange(
  deps: { serverConfig: ServerConfig },
  github: GitHub,
  target: ConfigCheckTarget,
): Promise<"not_changed" | "valid" | "invalid"> {
  const { repo } = target;
  const files = await listPullFiles(github, repo, target.pullNumber);
  if (!files.includes(CONFIG_PATH)) return "not_changed";
  const after = await fileAtRef(github, repo, CONFIG_PATH, target.headSha);
  const checked = after === null ? null : checkConfigText(after, "repository");
  if (checked !== null && !checked.ok) {
    await publishConfigCheck(github, repo, target.headSha, {
      conclusion: "failure",
      title: `${checked.problems.length} problem${checked.problems.length === 1 ? "" : "s"} in ${CONFIG_PATH}`,
      summary: renderTemplate("config-check", { path: CONFIG_PATH, problems: checked.problems }),
      annotations: checked.problems.map((problem) => ({
        path: CONFIG_PATH,
        line: problem.line,
        message: `${problem.path}: ${problem.message}`,
      })),
    });
    return "invalid";
  }
  const before = rulesOf(await fileAtRef(github, repo, CONFIG_PATH, target.baseRef));
  const now =
    checked !== null && checked.ok && checked.kind === "repository" ? checked.resources : {};
  const result = configEffects(deps.serverConfig, repo.owner, repo.repo, before, now);
  await publishConfigCheck(github, repo, target.headSha, {
    conclusion: "success",
    title: after === null ? `${CONFIG_PATH} removed` : `${CONFIG_PATH} is valid`,
    summary: renderTemplate("config-check", {
      path: CONFIG_PATH,
      removed: after === null,
      effects: result.effects,
      unavailable: result.unavailable,
    }),
    annotations: [],
  });
  return "valid";
}
