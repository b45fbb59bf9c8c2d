/**
 * Puts a request into the state intake and its open_request job leave it in (PR 42 open,
 * check run 9001 on head111), so tests of later stages start from there.
 */
import { parseConfig, type ResourcePolicy } from "../../src/policy/config.js";
import type { Services } from "../../src/requests/services.js";
import type { RequestRecord } from "../../src/store/requests.js";
import { OWNER, REPO, REPO_ID } from "./payloads.js";
import { INSTALLATION_ID } from "./github.js";

export const FILE_PATH = "requests/prod-db/2026/11/1.sql";
export const GRANT_FILE_PATH = "grants/prod-db/2026/11/1.yml";

export function resourcePolicy(resource: object, name = "prod-db"): ResourcePolicy {
  const parsed = parseConfig({ resources: { [name]: resource } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config.resources[name] as ResourcePolicy;
}

export const DUAL_APPROVAL = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
  timeout: "24h",
});

export async function seedOpenRequest(
  services: Services,
  options: {
    policy?: ResourcePolicy;
    command?: string;
    requester?: string;
    sourceNumber?: number;
    sourceCommentId?: number;
    expiresAt?: Date;
    /** Seeds a grant request (`/jit`) of this duration instead of a command. */
    grantDurationMs?: number;
    /** A command recorded under this grant. */
    grantId?: number;
    prNumber?: number;
  } = {},
): Promise<RequestRecord> {
  const policy = options.policy ?? DUAL_APPROVAL;
  const command = options.command ?? "UPDATE users SET status = 'inactive' WHERE id = 123;";
  const commentId = options.sourceCommentId ?? 5001;
  const sourceNumber = options.sourceNumber ?? 7;
  const { request } = await services.store.create(
    {
      sourceKey: `repo:${REPO_ID}:comment:${commentId}`,
      kind: options.grantDurationMs ? "grant" : "command",
      grantDurationMs: options.grantDurationMs ?? null,
      grantId: options.grantId ?? null,
      installationId: INSTALLATION_ID,
      repoId: REPO_ID,
      owner: OWNER,
      repo: REPO,
      resource: policy.name,
      command,
      reason: null,
      requester: options.requester ?? "alice",
      sourceType: "issue_comment",
      sourceNumber,
      sourceCommentId: commentId,
      sourceNodeId: `I_node_${sourceNumber}`,
      sourceCommentNodeId: `IC_node_${commentId}`,
      sourceUrl: `https://github.com/${OWNER}/${REPO}/issues/${sourceNumber}#issuecomment-${commentId}`,
      status: "pending",
      statusDetail: null,
      classification: options.grantDurationMs ? null : await services.checkCommand(command, policy),
      policy,
      expiresAt: options.expiresAt ?? new Date(Date.now() + policy.timeoutMs),
    },
    options.requester ?? "alice",
  );
  return services.store.patch(request.id, {
    branch: `countersign/${request.id}`,
    filePath: options.grantDurationMs ? GRANT_FILE_PATH : FILE_PATH,
    // Every request PR records the branch it merges into (the audit branch).
    baseBranch: "main",
    prNumber: options.prNumber ?? 42,
    prNodeId: `PR_node_${options.prNumber ?? 42}`,
    headSha: "head111",
    checkRunId: 9001,
    prUrl: `https://github.com/${OWNER}/${REPO}/pull/42`,
  });
}
