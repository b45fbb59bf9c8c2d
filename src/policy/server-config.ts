/**
 * The server file (DESIGN §1.3, `COUNTERSIGN_CONFIG`): the one place that says which
 * resources exist, which repositories may use each, and the least each demands. It lives on
 * the server, never in a repository, so nobody who can push to a repository can lower the
 * bar that protects a database. Pure: takes the parsed YAML object, returns the floor or the
 * problems with their path in the file. Unknown keys are refused, as in the repository file.
 */
import { z } from "zod";
import {
  DEFAULT_JIT_MAX_DURATION_MS,
  DEFAULT_TIMEOUT_MS,
  approvalsSchema,
  durationString,
  explainIssue,
  groupSchema,
  guardrailsShape,
  jitSchema,
  normaliseApprovals,
  normaliseGroup,
  normaliseGuardrails,
  teamRefSchema,
  type ConfigProblem,
  type ResourcePolicy,
} from "./config.js";
import { oneRuleSetPerDatabase } from "./resource-variables.js";
import { maskSchema } from "./key-schemas.js";
import { windowSchema } from "./window.js";

export const DEFAULT_SERVER_CONFIG_PATH = "countersign.server.yml";

const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** `owner/repo`, `owner/*` or `owner/prefix-*`: a `*` only at the end of the repository part. */
const REPO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]*\/(?:\*|[A-Za-z0-9._-]+\*?)$/;
/** A function name, optionally schema-qualified, as PostgreSQL folds it (lower case). */
/** A statement whose estimate grew more than tenfold since approval goes back to its reviewers. */
export const DEFAULT_MAX_GROWTH = 10;

const FUNCTION_NAME = /^[a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?$/;

const serverResourceSchema = z.strictObject({
  repos: z
    .array(
      z.string().regex(REPO_PATTERN, "repos entries are owner/repo, owner/* or owner/prefix-*"),
    )
    .min(1, "repos must name at least one repository (owner/repo or owner/*)"),
  approvals: approvalsSchema,
  guardrails: z
    .strictObject({
      ...guardrailsShape,
      read_functions: z
        .array(z.string().regex(FUNCTION_NAME, "read_functions are lower-case function names"))
        .optional(),
    })
    .optional(),
  auto_approve: z.array(z.enum(["read"])).default([]),
  timeout: durationString("timeout").optional(),
  jit: jitSchema.optional(),
  audit_branch: z.string().min(1).optional(),
  /** Commands run at once on this resource, across every worker (default 1). */
  concurrency: z.number().int().min(1).max(64).default(1),
  mask: maskSchema.optional(),
  /** When approved commands may run (issue 17): the floor's window, which no repository lifts. */
  window: windowSchema.optional(),
  /** One approval from this group lets `/run … --break-glass` through (issue 17). */
  break_glass: groupSchema.optional(),
  /** The team a break-glass comment mentions (slug or org/slug). */
  notify_team: teamRefSchema.optional(),
  /**
   * Undo for DML on PostgreSQL (issue 16): true, or how long the backups are kept (default
   * 30d); absent or false: no backups.
   */
  undo: z
    .union([z.boolean(), z.strictObject({ keep_for: durationString("undo.keep_for") })])
    .optional(),
  /** The plan before approval and the drift guard (issue 16); on by default. */
  plan: z
    .union([
      z.literal(false),
      z.strictObject({ max_growth: z.number().min(1).max(1_000_000).default(DEFAULT_MAX_GROWTH) }),
    ])
    .optional(),
});

const serverConfigSchema = z.strictObject({
  resources: z
    .record(
      z.string().regex(RESOURCE_NAME, "resource names are letters, digits, - and _"),
      serverResourceSchema,
    )
    .refine(...oneRuleSetPerDatabase),
});

/** One resource as the server declares it: who may use it, and its floor as a policy. */
export interface ServerResource {
  name: string;
  repos: string[];
  floor: ResourcePolicy;
  /** Commands run at once on this resource, across every worker. */
  concurrency: number;
}

export interface ServerConfig {
  resources: Record<string, ServerResource>;
}

export type ServerConfigResult =
  { ok: true; config: ServerConfig } | { ok: false; problems: ConfigProblem[] };

/** A server with no file yet: no resource exists, so every `/run` is refused politely. */
export const EMPTY_SERVER_CONFIG: ServerConfig = { resources: {} };

type ServerResourceInput = z.infer<typeof serverResourceSchema>;

/** How long undo backups are kept unless the server says otherwise. */
export const DEFAULT_UNDO_KEEP_MS = 30 * 24 * 3_600_000;

function undoOf(undo: ServerResourceInput["undo"]): Pick<ResourcePolicy, "undo"> {
  if (undo === undefined || undo === false) return {};
  return { undo: { keepForMs: undo === true ? DEFAULT_UNDO_KEEP_MS : undo.keep_for } };
}

function floorOf(name: string, resource: ServerResourceInput): ResourcePolicy {
  const approvals = normaliseApprovals(resource.approvals);
  const guardrails = normaliseGuardrails(resource.guardrails);
  guardrails.readFunctions = [...(resource.guardrails?.read_functions ?? [])];
  return {
    name,
    approvals,
    // Nothing is auto-approved unless the server says so.
    autoApprove: resource.auto_approve,
    timeoutMs: resource.timeout ?? DEFAULT_TIMEOUT_MS,
    guardrails,
    // Output is the repository's choice; the floor shows everything.
    output: "table",
    jit:
      resource.jit === false
        ? null
        : {
            maxDurationMs: resource.jit?.max_duration ?? DEFAULT_JIT_MAX_DURATION_MS,
            approvals:
              resource.jit?.approvals === undefined
                ? approvals
                : normaliseApprovals(resource.jit.approvals),
          },
    auditBranch: resource.audit_branch,
    ...(resource.mask === undefined ? {} : { mask: resource.mask }),
    ...(resource.window === undefined ? {} : { window: [resource.window] }),
    ...undoOf(resource.undo),
    ...(resource.break_glass === undefined
      ? {}
      : { breakGlassGroup: normaliseGroup(resource.break_glass) }),
    ...(resource.notify_team === undefined ? {} : { notifyTeam: resource.notify_team }),
    plan:
      resource.plan === false
        ? false
        : { maxGrowth: resource.plan?.max_growth ?? DEFAULT_MAX_GROWTH },
  };
}

export function parseServerConfig(raw: unknown): ServerConfigResult {
  if (raw === null || raw === undefined) {
    return { ok: false, problems: [{ path: "(file)", message: "the server file is empty" }] };
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap((issue) => explainIssue(issue, [])) };
  }
  const resources: Record<string, ServerResource> = {};
  for (const [name, resource] of Object.entries(parsed.data.resources)) {
    resources[name] = {
      name,
      repos: resource.repos,
      floor: floorOf(name, resource),
      concurrency: resource.concurrency,
    };
  }
  return { ok: true, config: { resources } };
}

/** Whether `owner/repo` matches one `repos` entry (case-insensitive, as GitHub names are). */
export function repoMatches(pattern: string, owner: string, repo: string): boolean {
  const [patternOwner = "", patternRepo = ""] = pattern.toLowerCase().split("/");
  if (patternOwner !== owner.toLowerCase()) return false;
  const name = repo.toLowerCase();
  if (patternRepo.endsWith("*")) return name.startsWith(patternRepo.slice(0, -1));
  return name === patternRepo;
}

/**
 * The resource as this repository may see it: undefined when the server does not list it
 * or does not list the repository for it. Callers must not say which of the two it was.
 */
export function resourceFor(
  config: ServerConfig,
  name: string,
  owner: string,
  repo: string,
): ServerResource | undefined {
  const resource = Object.hasOwn(config.resources, name) ? config.resources[name] : undefined;
  if (resource === undefined) return undefined;
  return resource.repos.some((pattern) => repoMatches(pattern, owner, repo)) ? resource : undefined;
}

/** Names of the resources this repository may use, for the refusal's hint. */
export function resourcesAvailableTo(config: ServerConfig, owner: string, repo: string): string[] {
  return Object.keys(config.resources)
    .filter((name) => resourceFor(config, name, owner, repo) !== undefined)
    .sort();
}
