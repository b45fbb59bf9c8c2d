/**
 * The re-check just before execution (DESIGN §1.3): every read fresh from GitHub, every
 * doubt a refusal. The PR is open, at the approved commit, changes only the request file;
 * the file at that commit passes the guardrails again; the approval still holds under the
 * stricter of the policy frozen at intake and the one in force now.
 */
import type { GitHub } from "../github/client.js";
import {
  fileAtRef,
  listPullFileChanges,
  pullRequestState,
  type PullRequestState,
} from "../github/execution.js";
import {
  canRequest,
  getRepositoryPermission,
  type RepositoryPermission,
} from "../github/permissions.js";
import { readRepositoryRules } from "../github/repository-config.js";
import { dismissReview } from "../github/reviews.js";
import { findDrift } from "../engines/plan-types.js";
import { describeDrift } from "../render/drift.js";
import type { CommandCheck, RequestRecord } from "../lifecycle/records.js";
import type { PullFileChange } from "../commands/gitops-files.js";
import { CONFIG_PATH, type ResourcePolicy } from "../policy/config.js";
import { breakGlassPolicy, effectivePolicy, stricterPolicy } from "../policy/effective-policy.js";
import { DEFAULT_MAX_GROWTH, resourceFor } from "../policy/server-config.js";
import { evaluateRequest, type RequestEvaluation } from "../requests/evaluate-request.js";
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

/** What was read of the pull request, before any of it is judged. */
type PullRead = PullRequestState & { files: readonly PullFileChange[] };

interface PullNow {
  headSha: string;
  url: string;
  files: readonly PullFileChange[];
  content: string;
  check: CommandCheck;
}

export async function recheck(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
): Promise<Passed | Refusal> {
  const expired = expiredAtClaim(deps, request);
  if (expired !== null) return expired;
  const reads = startReads(deps, github, request);
  try {
    return await decide(deps, github, request, reads);
  } finally {
    // A refusal may come before every read has answered: nothing is left running behind
    // the decision, and the errors of reads that were not needed are dropped.
    await Promise.allSettled(Object.values(reads));
  }
}

/** Every GitHub read of the re-check, each started as soon as what it needs is known. */
interface Reads {
  policy: Promise<ResourcePolicy | Refusal>;
  permission: Promise<RepositoryPermission>;
  pull: Promise<PullRequestState>;
  files: Promise<readonly PullFileChange[]>;
  content: Promise<string | null>;
  fresh: Promise<RequestEvaluation | null>;
}

/**
 * The reads are independent of each other but for the pull request's head and the policy,
 * so they go out together: the re-check sits between approval and execution start, and
 * one round trip after another was most of that wait (#15).
 */
function startReads(deps: ExecuteDeps, github: GitHub, request: RequestRecord): Reads {
  const repo = { owner: request.owner, repo: request.repo };
  const prNumber = request.prNumber as number;
  const policy = currentPolicy(deps, github, request);
  const pull = pullRequestState(github, repo, prNumber);
  const sources = { github, store: deps.store, teams: deps.teams };
  const reads: Reads = {
    policy,
    permission: getRepositoryPermission(github, repo, request.requester),
    pull,
    files: pull.then((now) =>
      now.state === "open" ? listPullFileChanges(github, repo, prNumber) : [],
    ),
    content: pull.then((now) => fileAtRef(github, repo, request.filePath as string, now.headSha)),
    fresh: policy.then((held) =>
      isRefusal(held)
        ? null
        : evaluateRequest(sources, { ...request, policy: held }, { fresh: true }),
    ),
  };
  // Awaited in order by decide(); until then a failure must not count as unhandled.
  for (const read of Object.values(reads)) read.catch(() => undefined);
  return reads;
}

/**
 * The decisions in a fixed order, whatever read answered first, so the first reason to
 * refuse always wins; a read that fails on the way makes the job retry, as before.
 */
async function decide(
  deps: ExecuteDeps,
  github: GitHub,
  request: RequestRecord,
  reads: Reads,
): Promise<Passed | Refusal> {
  const policy = await reads.policy;
  if (isRefusal(policy)) return policy;
  const held = await policyRefusal(deps, request, policy, reads.permission);
  if (held !== null) return held;
  const pull = await reads.pull;
  const now = await pullNow(deps, request, policy, { ...pull, files: await reads.files }, reads);
  if (isRefusal(now)) return now;
  const fresh = (await reads.fresh) as RequestEvaluation;
  const basis = await approvalNow(deps, github, request, policy, now, fresh);
  if (isRefusal(basis)) return basis;
  const drift = await driftRefusal(github, request, policy, now, fresh);
  if (drift !== null) return drift;
  return { policy, content: now.content, check: now.check, basis, prUrl: now.url };
}

/**
 * The drift guard (issue 16): the reviewers approved a plan; when a statement's estimate has
 * grown past the policy's factor since, or a table it touches is gone, the command goes back
 * to them with the old and new figures. Their approvals are dismissed on GitHub first, so no
 * sweep or redelivered webhook counts them again for the new plan; a dismissal that fails
 * makes the re-check fail and the claim go back, and the next claim tries again.
 */
async function driftRefusal(
  github: GitHub,
  request: RequestRecord,
  policy: ResourcePolicy,
  now: PullNow,
  fresh: RequestEvaluation,
): Promise<Refusal | null> {
  const approved = request.classification?.plan;
  const current = now.check.plan;
  if (policy.plan === false || approved === undefined || current === undefined) return null;
  // The reviewers saw a plan and none can be taken now: the guard cannot tell, so the claim
  // goes back (nothing is dismissed) and the next claim tries again, until the timeout.
  if (approved.ok && !current.ok) {
    throw new Error(`the plan could not be taken again (${current.reason})`);
  }
  const maxGrowth = policy.plan?.maxGrowth ?? DEFAULT_MAX_GROWTH;
  const findings = findDrift(approved, current, maxGrowth);
  if (findings.length === 0) return null;
  const reason = describeDrift(findings, maxGrowth);
  const repo = { owner: request.owner, repo: request.repo };
  const message = `Countersign: ${reason}`.slice(0, 1_000);
  for (const review of fresh.reviews.filter((r) => r.state === "APPROVED")) {
    await dismissReview(github, repo, request.prNumber as number, review.id, message);
  }
  return { to: "pending", reason, check: now.check, askAgain: true };
}

/** The request's own deadline, known without reading anything. */
function expiredAtClaim(deps: ExecuteDeps, request: RequestRecord): Refusal | null {
  if (request.expiresAt !== null && request.expiresAt <= deps.now()) {
    return {
      to: "expired",
      reason: "its approval is older than the resource's timeout; ask again with a new `/run`.",
    };
  }
  return null;
}

/**
 * The checks on the policy the worker holds the request to (the stricter of the one frozen
 * at intake and the one in force now, see currentPolicy) that need no pull request: the
 * timeout as it stands now too, and the requester's write permission, read now: someone
 * removed since must not have their command run.
 */
async function policyRefusal(
  deps: ExecuteDeps,
  request: RequestRecord,
  policy: ResourcePolicy,
  permissionRead: Promise<RepositoryPermission>,
): Promise<Refusal | null> {
  // A timeout shortened since intake counts too (expiresAt was set from the frozen one).
  if (request.createdAt.getTime() + policy.timeoutMs <= deps.now().getTime()) {
    return {
      to: "expired",
      reason:
        "it is older than the resource's timeout as it stands now; ask again with a new `/run`.",
    };
  }
  const permission = await permissionRead;
  if (!canRequest(permission)) {
    return {
      to: "rejected",
      reason: `${request.requester} no longer has write permission on ${request.owner}/${request.repo} (now ${permission}).`,
    };
  }
  return null;
}

/**
 * The policy in force now (the server file as loaded, the repository file on its default
 * branch now), held to the stricter of it and the one frozen at intake. A policy that
 * cannot be read now is a reason to wait.
 */
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
  if (request.policy.breakGlass === undefined) return stricterPolicy(request.policy, now);
  // A break-glass request is held to the break-glass rule in force now: the server must
  // still offer it, and the group's approval (and everything else) is the stricter of both.
  const broken = breakGlassPolicy(now);
  if (broken === null) {
    return {
      to: "rejected",
      reason: `the server no longer offers break-glass on ${request.resource}; ask again without --break-glass.`,
    };
  }
  return stricterPolicy(request.policy, broken);
}

/** The pull request as read now: open, at the approved commit, its one file still passing. */
async function pullNow(
  deps: ExecuteDeps,
  request: RequestRecord,
  policy: ResourcePolicy,
  read: PullRead,
  reads: Pick<Reads, "content">,
): Promise<PullNow | Refusal> {
  const pullRefusal = checkPullRequest(request, {
    state: read.state,
    headSha: read.headSha,
    baseRef: read.baseRef,
    files: read.files,
  });
  if (pullRefusal !== null) return pullRefusal;

  const content = await reads.content;
  const check = content === null ? null : await deps.checkCommand(content, policy);
  const fileRefusal = checkCommandFile(content, check, policy);
  if (fileRefusal !== null || content === null || check === null) {
    return fileRefusal ?? { to: "rejected", reason: "the request file could not be read." };
  }
  return { headSha: read.headSha, url: read.url, files: read.files, content, check };
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
  fresh: RequestEvaluation,
): Promise<ApprovalBasis | Refusal> {
  // evaluateRequest read the head on its own; a push between the two reads is caught here.
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
