/**
 * The re-check just before execution (DESIGN §1.3): every read fresh from GitHub, every
 * doubt a refusal. The PR is open, at the approved commit, changes only the request file;
 * the file at that commit passes the guardrails again; the approval still holds under the
 * stricter of the policy frozen at intake and the one in force now.
 */
import type { GitHub } from "../github/client.js";
import { fileAtRef, listPullFiles, pullRequestState } from "../github/execution.js";
import { canRequest, getRepositoryPermission } from "../github/permissions.js";
import { readRepositoryRules } from "../github/repository-config.js";
import type { CommandCheck, RequestRecord } from "../lifecycle/records.js";
import { CONFIG_PATH, type ResourcePolicy } from "../policy/config.js";
import { effectivePolicy, stricterPolicy } from "../policy/effective-policy.js";
import { resourceFor } from "../policy/server-config.js";
import { evaluateRequest } from "../requests/evaluate-request.js";
import type { ExecuteDeps } from "./execution-context.js";
import {
  approvalFromReviews,
  approvalWithoutReviews,
  checkCommandFile,
  checkPullRequest,
  grantCovers,
  isRefusal,
  othersPushed,
  type ApprovalBasis,
  type Refusal,
} from "./preflight.js";

/** What a request that passed the re-check runs with. */
export interface Passed {
  /** The policy the request is held to now: the stricter of frozen and current. */
  policy: ResourcePolicy;
  content: string;
  check: CommandCheck;
  basis: ApprovalBasis;
  prUrl: string;
}

interface PullNow {
  headSha: string;
  url: string;
  files: string[];
  content: string;
  check: CommandCheck;
}

export async function recheck(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<Passed | Refusal> {
  const policy = await policyNow(deps, github, request);
  if (isRefusal(policy)) return policy;
  const pull = await pullNow(deps, github, request, policy);
  if (isRefusal(pull)) return pull;
  const basis = await approvalNow(deps, github, request, policy, pull);
  if (isRefusal(basis)) return basis;
  return { policy, content: pull.content, check: pull.check, basis, prUrl: pull.url };
}

/**
 * The policy the worker holds the request to: the stricter of the one frozen at intake and
 * the one in force now (the server file as loaded, the repository file on its default
 * branch now). Also the checks that need no pull request: the timeout, as it stands now
 * too, and the requester's write permission, read now: someone removed since must not
 * have their command run.
 */
async function policyNow(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<ResourcePolicy | Refusal> {
  if (request.expiresAt !== null && request.expiresAt <= deps.now()) {
    return {
      to: "expired",
      reason: "its approval is older than the resource's timeout; ask again with a new `/run`.",
    };
  }
  const policy = await currentPolicy(deps, github, request);
  if (isRefusal(policy)) return policy;
  // A timeout shortened since intake counts too (expiresAt was set from the frozen one).
  if (request.createdAt.getTime() + policy.timeoutMs <= deps.now().getTime()) {
    return {
      to: "expired",
      reason:
        "it is older than the resource's timeout as it stands now; ask again with a new `/run`.",
    };
  }
  const repo = { owner: request.owner, repo: request.repo };
  const permission = await getRepositoryPermission(github, repo, request.requester);
  if (!canRequest(permission)) {
    return {
      to: "rejected",
      reason: `${request.requester} no longer has write permission on ${request.owner}/${request.repo} (now ${permission}).`,
    };
  }
  return policy;
}

/** A policy that cannot be read now is a reason to wait. */
async function currentPolicy(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<ResourcePolicy | Refusal> {
  const server = resourceFor(deps.serverConfig, request.resource, request.owner, request.repo);
  if (server === undefined) {
    return {
      to: "rejected",
      reason: `${request.resource} is not available to ${request.owner}/${request.repo} on this server any more.`,
    };
  }
  const rules = await readRepositoryRules(github, { owner: request.owner, repo: request.repo });
  if (!rules.ok) {
    return {
      to: "pending",
      reason: `the repository's ${CONFIG_PATH} cannot be used now (${rules.problems
        .map((problem) => `${problem.path}: ${problem.message}`)
        .join("; ")}).`,
    };
  }
  const now = effectivePolicy(server.floor, rules.resources[request.resource]);
  return stricterPolicy(request.policy, now);
}

/** The pull request as it is now: open, at the approved commit, its one file still passing. */
async function pullNow(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  policy: ResourcePolicy,
): Promise<PullNow | Refusal> {
  const repo = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  const pull = await pullRequestState(github, repo, prNumber);
  const files = pull.state === "open" ? await listPullFiles(github, repo, prNumber) : [];
  const pullRefusal = checkPullRequest(request, {
    state: pull.state,
    headSha: pull.headSha,
    baseRef: pull.baseRef,
    files,
  });
  if (pullRefusal !== null) return pullRefusal;

  const content = await fileAtRef(github, repo, request.filePath as string, pull.headSha);
  const check = content === null ? null : await deps.checkCommand(content, policy);
  const fileRefusal = checkCommandFile(content, check, policy);
  if (fileRefusal !== null || content === null || check === null) {
    return fileRefusal ?? { to: "rejected", reason: "the request file could not be read." };
  }
  return { headSha: pull.headSha, url: pull.url, files, content, check };
}

/**
 * Why the command may run now. Reviews are read fresh even when none are needed: a "no"
 * from an eligible reviewer stops an auto-approved or granted command too.
 */
async function approvalNow(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  policy: ResourcePolicy,
  pull: PullNow,
): Promise<ApprovalBasis | Refusal> {
  const sources = { github, store: deps.store, teams: deps.teams };
  const fresh = await evaluateRequest(sources, { ...request, policy }, { fresh: true });
  // evaluateRequest read the head again; a push in between is caught here too.
  if (fresh.headSha !== pull.headSha) {
    return (
      checkPullRequest(request, { state: "open", headSha: fresh.headSha, files: pull.files }) ?? {
        to: "pending",
        reason: "the request branch moved during the re-check.",
      }
    );
  }
  if (fresh.evaluation.status === "rejected") {
    const rejected = approvalFromReviews(fresh.evaluation);
    if (isRefusal(rejected)) return rejected;
  }
  const grant =
    request.grantId === null ? null : await grantNow(deps, github, request, policy, fresh.pushers);
  return approvalWithoutReviews(policy, pull.check, grant) ?? approvalFromReviews(fresh.evaluation);
}

/**
 * Whether the request's grant still covers it: only while JIT is still allowed for the
 * resource (floor and repository as they are now), with the grant's own approval checked
 * against GitHub and the JIT rule as it is now, not its cached state.
 */
async function grantNow(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  policy: ResourcePolicy,
  pushers: string[],
): Promise<{ id: number; covers: boolean }> {
  const id = request.grantId as number;
  const record = await deps.store.get(id);
  let covers =
    policy.jit !== null &&
    grantCovers(record, request, deps.now()) &&
    !othersPushed(pushers, request.requester);
  if (covers && record !== null) {
    const held = stricterPolicy(record.policy, policy);
    const sources = { github, store: deps.store, teams: deps.teams };
    const grantNow = await evaluateRequest(sources, { ...record, policy: held }, { fresh: true });
    covers = grantNow.evaluation.status === "approved";
  }
  return { id, covers };
}
