/** Intake's reads from GitHub, bound to one webhook delivery's context. */
import type { Context } from "probot";
import { CONFIG_FILE_NAME } from "../policy/config.js";
import { httpStatus } from "../github/client.js";
import { getRepositoryPermission } from "../github/permissions.js";
import { ConfigReadError, type IntakeReads } from "../requests/intake.js";

export function intakeReads(context: Context, repo: { owner: string; repo: string }): IntakeReads {
  return {
    async loadConfig() {
      try {
        // Default branch only; an organisation's `.github` repository may hold defaults.
        return await context.config(CONFIG_FILE_NAME);
      } catch (error) {
        // Network and server failures are retried by GitHub's redelivery, not reported.
        if (httpStatus(error) !== undefined) throw error;
        const message = error instanceof Error ? error.message : String(error);
        // Drop the plugin's "[@probot/octokit-plugin-config]" prefix and the request URL.
        const reason = (message.split("\n")[0] ?? "").replace(/^\[[^\]]*\]\s*/, "");
        throw new ConfigReadError(`the file is not valid YAML (${reason})`);
      }
    },
    permission: (login) => getRepositoryPermission(context.octokit, repo, login),
  };
}
