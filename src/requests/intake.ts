/**
 * Intake (DESIGN §1.1): a parsed `/run` becomes a recorded request, or a polite refusal.
 * Runs in the `intake` job (intake-job.ts), never in the webhook: it only reads from GitHub
 * (the requester's permission, configuration) and records; every GitHub write happens later
 * in a job of its own.
 */
import { parseRepositoryRules, type ConfigProblem, type ResourcePolicy } from "../policy/config.js";
import { breakGlassPolicy, effectivePolicy } from "../policy/effective-policy.js";
import { resourceFor, resourcesAvailableTo, type ServerConfig } from "../policy/server-config.js";
import { formatDurationSetting } from "../policy/duration.js";
import { canRequest, type RepositoryPermission } from "../github/permissions.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue, NewJob } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import { replyJob, sourceKey, type RequestSource } from "./source.js";
import type { CommandCheck, CheckCommand } from "./command-check.js";
import type { ParsedCommand } from "../commands/parse.js";

export { APP_ACTOR } from "../lifecycle/moves.js";

export interface IntakeDeps {
  store: RequestStore;
  jobs: JobQueue;
  checkCommand: CheckCommand;
  env: NodeJS.ProcessEnv;
  serverConfig: ServerConfig;
  now(): Date;
}

/** The reads intake needs from GitHub, bound to the delivery's repository. */
export interface IntakeReads {
  /** The raw `.github/countersign.yml` object; throws ConfigReadError for unreadable YAML. */
  loadConfig(): Promise<unknown>;
  permission(login: string): Promise<RepositoryPermission>;
}

export class ConfigReadError extends Error {}

export type IntakeResult =
  | { outcome: "created"; requestId: number }
  | { outcome: "duplicate"; requestId: number }
  | { outcome: "denied"; requestId: number }
  | { outcome: "refused"; reason: string };

type RunCommand = Extract<ParsedCommand, { kind: "run" }>;

/**
 * A person's pull request that is its own request PR (GitOps intake, DESIGN §1.1 item 3):
 * the request is recorded with it, so a review or a push that arrives before the
 * `open_request` job already finds the request, and nothing makes a second pull request.
 */
export interface AdoptedPull {
  number: number;
  nodeId: string;
  url: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  filePath: string;
  /** Everyone who pushed to the branch or wrote its commits before it was taken in. */
  pushers: string[];
}

/** The request's pull-request fields, inserted with the row. */
function adoptedFields(pull: AdoptedPull | undefined) {
  if (pull === undefined) return {};
  return {
    branch: pull.headRef,
    filePath: pull.filePath,
    headSha: pull.headSha,
    baseBranch: pull.baseRef,
    prNumber: pull.number,
    prNodeId: pull.nodeId,
    prUrl: pull.url,
    pushers: pull.pushers,
  };
}

/** A GitOps source: the answers say "push a fixed file", not "comment /run again". */
const isGitops = (source: RequestSource): boolean => source.type === "pull_request";
type JitCommand = Extract<ParsedCommand, { kind: "jit" }>;

/** Queues a comment answering the source; the dedupe key makes a redelivery answer once. */
export async function refuse(
  deps: IntakeDeps,
  source: RequestSource,
  reason: string,
  context: object,
): Promise<IntakeResult> {
  await deps.jobs.enqueue(
    replyJob(
      source,
      `reply:${sourceKey(source)}`,
      renderTemplate("intake-refused", { reason, gitops: isGitops(source), ...context }),
    ),
  );
  return { outcome: "refused", reason };
}

export async function refuseInvalidCommand(
  deps: IntakeDeps,
  source: RequestSource,
  parsed: Extract<ParsedCommand, { kind: "invalid" }>,
): Promise<IntakeResult> {
  return refuse(deps, source, "invalid", { verb: parsed.verb, problem: parsed.problem });
}

/**
 * Loads and validates the repository's file; problems are reported with the path in the
 * file. No file at all is fine: the server's floor alone then governs.
 */
async function loadRepositoryRules(
  reads: IntakeReads,
): Promise<
  { ok: true; resources: Record<string, ResourcePolicy> } | { ok: false; problems: ConfigProblem[] }
> {
  let raw: unknown;
  try {
    raw = await reads.loadConfig();
  } catch (error) {
    if (error instanceof ConfigReadError) {
      return { ok: false, problems: [{ path: "(file)", message: error.message }] };
    }
    throw error;
  }
  return parseRepositoryRules(raw);
}

interface Admitted {
  /** The effective policy: the server's floor tightened by the repository's rule. */
  resource: ResourcePolicy;
}

/**
 * What every intake checks, in order: not a redelivery, a requester with write
 * permission, a valid configuration, a known resource available to this repository. Returns the resource, or the result to
 * answer with (a duplicate, or a queued refusal).
 */
async function admit(
  deps: IntakeDeps,
  reads: IntakeReads,
  source: RequestSource,
  resourceName: string,
): Promise<{ ok: true; admitted: Admitted } | { ok: false; result: IntakeResult }> {
  // A retried intake job (or a source taken in before): the request exists already; read
  // nothing, write nothing.
  const existing = await deps.store.findBySource(sourceKey(source));
  if (existing !== null)
    return { ok: false, result: { outcome: "duplicate", requestId: existing.id } };

  // Permission first: someone who may not ask learns nothing about the configuration.
  const permission = await reads.permission(source.author);
  if (!canRequest(permission)) {
    return {
      ok: false,
      result: await refuse(deps, source, "permission", { requester: source.author, permission }),
    };
  }
  // The server decides which resources exist for this repository; the refusal never says
  // whether a resource exists elsewhere.
  const server = resourceFor(deps.serverConfig, resourceName, source.owner, source.repo);
  if (server === undefined) {
    return {
      ok: false,
      result: await refuse(deps, source, "not_available", {
        resource: resourceName,
        available: resourcesAvailableTo(deps.serverConfig, source.owner, source.repo),
      }),
    };
  }
  const rules = await loadRepositoryRules(reads);
  if (!rules.ok) {
    return {
      ok: false,
      result: await refuse(deps, source, "config", { problems: rules.problems }),
    };
  }
  const repository = Object.hasOwn(rules.resources, server.name)
    ? rules.resources[server.name]
    : undefined;
  return { ok: true, admitted: { resource: effectivePolicy(server.floor, repository) } };
}

/** The fields of a new request that come from its source. */
function fromSource(source: RequestSource) {
  return {
    sourceKey: sourceKey(source),
    installationId: source.installationId,
    repoId: source.repoId,
    owner: source.owner,
    repo: source.repo,
    requester: source.author,
    sourceType: source.type,
    sourceNumber: source.number,
    sourceCommentId: source.commentId,
    sourceNodeId: source.threadNodeId,
    sourceCommentNodeId: source.commentNodeId,
    sourceUrl: source.url,
  };
}

/** The branch a request PR merges into: merging it is the audit record. */
function auditBranchOf(source: RequestSource, admitted: Admitted): string {
  return admitted.resource.auditBranch ?? source.defaultBranch;
}

function openRequestJob(source: RequestSource, requestId: number, admitted: Admitted): NewJob {
  return {
    kind: "open_request",
    installationId: source.installationId,
    deliveryId: source.deliveryId,
    requestId,
    dedupeKey: `open:${requestId}`,
    // The request PR targets the audit branch: merging it is the audit record.
    payload: { baseBranch: auditBranchOf(source, admitted) },
  };
}

/**
 * admit(), then what a `/run` adds: a GitOps pull request must merge into the audit branch,
 * and `--break-glass` replaces the usual rule by one approval from the server's break-glass
 * group (the guardrails, limits and timeout stay the effective policy's).
 */
async function admitRun(
  deps: IntakeDeps,
  reads: IntakeReads,
  source: RequestSource,
  command: RunCommand,
  adopted: AdoptedPull | undefined,
): Promise<{ ok: true; admitted: Admitted } | { ok: false; result: IntakeResult }> {
  const admission = await admit(deps, reads, source, command.resource);
  if (!admission.ok) return admission;
  const auditBranch = auditBranchOf(source, admission.admitted);
  if (adopted !== undefined && adopted.baseRef !== auditBranch) {
    const context = { resource: command.resource, base: adopted.baseRef, auditBranch };
    return { ok: false, result: await refuse(deps, source, "gitops_base", context) };
  }
  if (command.breakGlass !== true) return admission;
  const broken = breakGlassPolicy(admission.admitted.resource);
  if (broken === null) {
    const context = { resource: admission.admitted.resource.name };
    return { ok: false, result: await refuse(deps, source, "no_break_glass", context) };
  }
  return { ok: true, admitted: { resource: broken } };
}

export async function intakeRun(
  deps: IntakeDeps,
  reads: IntakeReads,
  source: RequestSource,
  command: RunCommand,
  adopted?: AdoptedPull,
): Promise<IntakeResult> {
  const admission = await admitRun(deps, reads, source, command, adopted);
  if (!admission.ok) return admission.result;
  const { resource } = admission.admitted;

  const check: CommandCheck = await deps.checkCommand(command.command, resource, { preview: true });
  const now = deps.now();
  const denied = check.denied.length > 0;
  // A command of the grantee under an active grant needs no per-command approval (§2).
  // A grant counts only while the effective policy still allows JIT.
  const grant =
    denied || resource.jit === null || resource.breakGlass !== undefined
      ? null
      : await deps.store.findActiveGrant(
          source.owner,
          source.repo,
          resource.name,
          source.author,
          now,
        );
  const { created, request } = await deps.store.create(
    {
      ...fromSource(source),
      ...adoptedFields(adopted),
      kind: "command",
      resource: resource.name,
      command: command.command,
      reason: command.reason,
      status: denied ? "denied" : "pending",
      statusDetail: denied ? check.denied.map((hit) => hit.rule).join(", ") : null,
      classification: check,
      policy: resource,
      grantId: grant?.id ?? null,
      expiresAt: new Date(now.getTime() + resource.timeoutMs),
    },
    source.author,
    async (trx, record) => {
      await deps.jobs.enqueue(
        denied
          ? {
              kind: "reply",
              installationId: source.installationId,
              requestId: record.id,
              dedupeKey: `reply:${record.sourceKey}`,
              payload: {
                owner: source.owner,
                repo: source.repo,
                number: source.number,
                body: renderTemplate("intake-refused", {
                  reason: "denied",
                  gitops: isGitops(source),
                  resource: resource.name,
                  denied: check.denied,
                }),
              },
            }
          : openRequestJob(source, record.id, admission.admitted),
        trx,
      );
    },
  );
  if (!created) return { outcome: "duplicate", requestId: request.id };
  return denied
    ? { outcome: "denied", requestId: request.id }
    : { outcome: "created", requestId: request.id };
}

/** `/jit <resource> <duration>`: a grant request, reviewed like a command (DESIGN §2). */
export async function intakeGrant(
  deps: IntakeDeps,
  reads: IntakeReads,
  source: RequestSource,
  jit: JitCommand,
): Promise<IntakeResult> {
  const admission = await admit(deps, reads, source, jit.resource);
  if (!admission.ok) return admission.result;
  const { resource } = admission.admitted;
  if (resource.jit === null) {
    return refuse(deps, source, "jit_disabled", { resource: resource.name });
  }
  if (jit.durationMs > resource.jit.maxDurationMs) {
    return refuse(deps, source, "jit_too_long", {
      resource: resource.name,
      requested: formatDurationSetting(jit.durationMs),
      max: formatDurationSetting(resource.jit.maxDurationMs),
    });
  }
  const now = deps.now();
  const { created, request } = await deps.store.create(
    {
      ...fromSource(source),
      kind: "grant",
      resource: resource.name,
      command: `time-boxed access to ${resource.name} for ${formatDurationSetting(jit.durationMs)}`,
      reason: jit.reason,
      status: "pending",
      statusDetail: null,
      classification: null,
      policy: resource,
      grantDurationMs: jit.durationMs,
      expiresAt: new Date(now.getTime() + resource.timeoutMs),
    },
    source.author,
    async (trx, record) => {
      await deps.jobs.enqueue(openRequestJob(source, record.id, admission.admitted), trx);
    },
  );
  return created
    ? { outcome: "created", requestId: request.id }
    : { outcome: "duplicate", requestId: request.id };
}
