/**
 * The schema of `.github/countersign.yml` (DESIGN §1.3). Pure: takes the parsed YAML object
 * and returns either a normalised configuration or a list of problems, each with the path in
 * the file, so the requester can be told exactly what to fix. Unknown keys are refused:
 * a typo such as `aprovals:` must never silently mean "no approvals".
 */
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { compileCustomPattern } from "../guardrails/custom-pattern.js";
import type { MaskConfig } from "../render/mask-config.js";
import { maskSchema, maxEstimatedRowsSchema, rowCount } from "./key-schemas.js";
import { explainIssue } from "./config-problems.js";
import { windowSchema, type ExecutionWindow } from "./window.js";
import { oneRuleSetPerDatabase } from "./resource-variables.js";

export { resourceUrlVariable, notifyUrlVariable } from "./resource-variables.js";

export { explainIssue };

export const CONFIG_PATH = ".github/countersign.yml";
/** The name Probot's `context.config` takes: a file under `.github/`. */
export const CONFIG_FILE_NAME = "countersign.yml";

export const DEFAULT_TIMEOUT_MS = 24 * 3_600_000;
export const DEFAULT_JIT_MAX_DURATION_MS = 3_600_000;

/** Built-in rule names the guardrails know (DESIGN §1.4, README "Guardrails"). */
export const GUARDRAIL_RULES = [
  "drop",
  "truncate",
  "delete_without_where",
  "update_without_where",
  "ddl",
  "dcl",
  "grant",
  "multiple_statements",
  "procedural",
  "copy_program",
  "admin_functions",
  "write",
] as const;
export type GuardrailRuleName = (typeof GUARDRAIL_RULES)[number];

/** Defaults for a resource without a `guardrails` key (issue: guardrails). */
export const DEFAULT_DENY: GuardrailRuleName[] = [
  "drop",
  "truncate",
  "delete_without_where",
  "update_without_where",
  "copy_program",
  "admin_functions",
];

export const STATEMENT_CLASSES = ["read", "write", "ddl", "dcl", "transaction", "admin"] as const;
export type StatementClass = (typeof STATEMENT_CLASSES)[number];

const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
const TEAM_REF = /^(?:[A-Za-z0-9][A-Za-z0-9-]*\/)?[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A team slug or org/slug, as a rule's `team` takes it. */
export const teamRefSchema = z
  .string()
  .regex(TEAM_REF, "team must be a team slug (dba) or org/slug (acme/dba)");

export const durationString = (label: string) =>
  z
    .string()
    .refine((value) => parseDuration(value) !== null, {
      message: `${label} must be a duration such as 30m, 2h or 1d`,
    })
    .transform((value) => parseDuration(value) as number);

export const groupSchema = z
  .strictObject({
    team: z
      .string()
      .regex(TEAM_REF, "team must be a team slug (dba) or org/slug (acme/dba)")
      .optional(),
    users: z
      .array(z.string().regex(GITHUB_LOGIN, "users must be GitHub logins"))
      .min(1, "users must name at least one login")
      .optional(),
    min: z.number().int().min(1, "min must be at least 1").default(1),
  })
  .refine((group) => (group.team === undefined) !== (group.users === undefined), {
    message: "a group names either a team or a list of users, not both and not neither",
  });

const APPROVALS_SHAPE = 'approvals must be "none", { all_of: [groups] } or { any_of: [groups] }';

/**
 * A team or user list named twice in one rule is refused: "two different DBAs" is
 * `{ team: dba, min: 2 }`. Two groups with one key would otherwise merge when a floor and a
 * repository rule are combined, and the floor would silently ask for fewer people.
 */
const groupList = (mode: "all_of" | "any_of") =>
  z
    .array(groupSchema)
    .min(1, `${mode} needs at least one group`)
    .refine(
      (groups) => {
        const keys = groups.map((group) => group.team ?? `users:${(group.users ?? []).join(",")}`);
        return new Set(keys.map((key) => key.toLowerCase())).size === keys.length;
      },
      { message: `${mode} names a group twice; ask for more approvals from one group with min` },
    );

export const approvalsSchema = z.union(
  [
    z.literal("none"),
    z.strictObject({ all_of: groupList("all_of") }),
    z.strictObject({ any_of: groupList("any_of") }),
  ],
  { error: APPROVALS_SHAPE },
);

const customRuleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_-]+$/i, "a custom rule name is letters, digits, - and _"),
  // A repository author's expression runs on requesters' text: RE2 syntax, linear time.
  pattern: z.string().superRefine((source, context) => {
    const compiled = compileCustomPattern(source);
    if (!compiled.ok) context.addIssue({ code: "custom", message: compiled.error });
  }),
});

export const ruleRefSchema = z.union([z.enum(GUARDRAIL_RULES), customRuleSchema]);

export const guardrailsShape = {
  deny: z.array(ruleRefSchema).optional(),
  warn: z.array(ruleRefSchema).optional(),
  max_affected_rows: rowCount.optional(),
  max_estimated_rows: maxEstimatedRowsSchema.optional(),
  allow_unparsed: z.boolean().optional(),
};
const guardrailsSchema = z.strictObject(guardrailsShape);

export const jitSchema = z.union([
  z.literal(false),
  z.strictObject({
    max_duration: durationString("jit.max_duration").optional(),
    approvals: approvalsSchema.optional(),
  }),
]);

const resourceSchema = z.strictObject({
  approvals: approvalsSchema,
  auto_approve: z.array(z.enum(["read"])).default([]),
  timeout: durationString("timeout").optional(),
  guardrails: guardrailsSchema.optional(),
  output: z.enum(["table", "summary", "none"]).default("table"),
  jit: jitSchema.optional(),
  mask: maskSchema.optional(),
  /** When approved commands may run (issue 17); a repository can only add one to the floor's. */
  window: windowSchema.optional(),
});

const configSchema = z.strictObject({
  resources: z
    .record(
      z.string().regex(RESOURCE_NAME, "resource names are letters, digits, - and _"),
      resourceSchema,
    )
    .refine((resources) => Object.keys(resources).length > 0, {
      message: "configure at least one resource",
    })
    .refine(...oneRuleSetPerDatabase),
  audit_branch: z
    .unknown()
    .optional()
    .refine((value) => value === undefined, {
      message:
        "audit_branch belongs to the server file (countersign.server.yml) now: a repository cannot choose where its audit commits go",
    }),
});

export type ApprovalGroupInput = z.infer<typeof groupSchema>;

/** One group of a rule, normalised: `key` names it in summaries (`dba`, `users:alice,bob`). */
export interface ApprovalGroup {
  key: string;
  team?: { org?: string; slug: string };
  users?: string[];
  min: number;
}

/**
 * `any_of_all` is what a server floor and a repository rule make together when either has
 * alternatives: every group of both rules is listed in `groups` (so reviewers, team reads
 * and eligibility see them all), and the rule holds when all groups of at least one
 * alternative (indices into `groups`) are satisfied by distinct people.
 */
export type ApprovalRule =
  | { mode: "none" }
  | { mode: "all_of"; groups: ApprovalGroup[] }
  | { mode: "any_of"; groups: ApprovalGroup[] }
  | { mode: "any_of_all"; groups: ApprovalGroup[]; alternatives: number[][] };

export type GuardrailRuleRef = GuardrailRuleName | { name: string; pattern: string };

/** Thresholds on the plan's estimate of the rows a command touches (PostgreSQL). */
export interface EstimateLimits {
  deny?: number;
  warn?: number;
}

export interface GuardrailPolicy {
  deny: GuardrailRuleRef[];
  warn: GuardrailRuleRef[];
  maxAffectedRows?: number;
  maxEstimatedRows?: EstimateLimits;
  allowUnparsed: boolean;
  /**
   * Functions the server's operator declares free of side effects, beyond the built-in
   * list (server file only: a repository cannot widen what counts as a read).
   */
  readFunctions?: string[];
}

export interface PlanPolicy {
  /** How many times its estimate a statement may grow between approval and execution. */
  maxGrowth: number;
}

export interface JitPolicy {
  maxDurationMs: number;
  approvals: ApprovalRule;
}

export interface ResourcePolicy {
  name: string;
  approvals: ApprovalRule;
  autoApprove: "read"[];
  timeoutMs: number;
  guardrails: GuardrailPolicy;
  output: "table" | "summary" | "none";
  /** null when `jit: false`. */
  jit: JitPolicy | null;
  /** The branch request PRs merge into (server file only); unset: the default branch. */
  auditBranch?: string;
  /**
   * The group whose one approval lets `/run … --break-glass` through (server file only; issue
   * 17), and the team its comment mentions.
   */
  breakGlassGroup?: ApprovalGroup;
  notifyTeam?: string;
  /**
   * Set on a break-glass request's frozen policy only: its `approvals` are the break-glass
   * group's, and `normal` is the rule it bypassed (asked for a follow-up review after it ran).
   */
  breakGlass?: { normal: ApprovalRule };
  /** Backups of the rows an UPDATE or DELETE changes, for `/undo` (server file only; issue 16). */
  undo?: { keepForMs: number };
  /** Columns and value patterns masked in every output (issue 17); unset: nothing masked. */
  mask?: MaskConfig;
  /**
   * Execution windows (issue 17): an approved command runs only when every one allows it
   * (the floor's and the repository's; a break-glass command ignores them). Unset: any time.
   */
  window?: ExecutionWindow[];
  /**
   * The plan before approval and the drift guard (server file only; issue 16): false when
   * the server switched plans off; unset when this side has no say (a repository file).
   */
  plan?: PlanPolicy | false;
  /**
   * Where the approval rule came from, in words, so the request PR can show both: the
   * server's floor and the repository's rule (null when its file says nothing of it).
   */
  origin?: { floor: string; repository: string | null };
}

export interface CountersignConfig {
  resources: Record<string, ResourcePolicy>;
}

export interface ConfigProblem {
  /** Dotted path inside the file, e.g. `resources.prod-db.approvals.all_of[0].min`. */
  path: string;
  message: string;
}

export type ConfigResult =
  { ok: true; config: CountersignConfig } | { ok: false; problems: ConfigProblem[] };

export function normaliseGroup(group: z.infer<typeof groupSchema>): ApprovalGroup {
  if (group.team !== undefined) {
    const [first, second] = group.team.split("/");
    const team = second === undefined ? { slug: first as string } : { org: first, slug: second };
    return { key: group.team, team, min: group.min };
  }
  const users = group.users ?? [];
  return { key: `users:${users.join(",")}`, users, min: group.min };
}

export function normaliseApprovals(approvals: z.infer<typeof approvalsSchema>): ApprovalRule {
  if (approvals === "none") return { mode: "none" };
  if ("all_of" in approvals)
    return { mode: "all_of", groups: approvals.all_of.map(normaliseGroup) };
  return { mode: "any_of", groups: approvals.any_of.map(normaliseGroup) };
}

/** A `guardrails` key as written → the policy; absent, or without `deny`: the default denies. */
export function normaliseGuardrails(
  guardrails: z.input<typeof guardrailsSchema> | undefined,
): GuardrailPolicy {
  if (guardrails === undefined) return { deny: [...DEFAULT_DENY], warn: [], allowUnparsed: false };
  const policy: GuardrailPolicy = {
    deny: guardrails.deny === undefined ? [...DEFAULT_DENY] : [...guardrails.deny],
    warn: [...(guardrails.warn ?? [])],
    maxAffectedRows: guardrails.max_affected_rows,
    allowUnparsed: guardrails.allow_unparsed ?? false,
  };
  const estimate = guardrails.max_estimated_rows;
  if (estimate !== undefined) {
    policy.maxEstimatedRows = typeof estimate === "number" ? { deny: estimate } : { ...estimate };
  }
  return policy;
}

/** Validates a parsed configuration object (as `context.config` returns it). */
export function parseConfig(raw: unknown): ConfigResult {
  if (raw === null || raw === undefined) {
    return {
      ok: false,
      problems: [{ path: "(file)", message: `${CONFIG_PATH} is missing or empty` }],
    };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap((issue) => explainIssue(issue, [])) };
  }
  const resources: Record<string, ResourcePolicy> = {};
  for (const [name, resource] of Object.entries(parsed.data.resources)) {
    const approvals = normaliseApprovals(resource.approvals);
    const jit =
      resource.jit === false
        ? null
        : {
            maxDurationMs: resource.jit?.max_duration ?? DEFAULT_JIT_MAX_DURATION_MS,
            approvals:
              resource.jit?.approvals === undefined
                ? approvals
                : normaliseApprovals(resource.jit.approvals),
          };
    resources[name] = {
      name,
      approvals,
      autoApprove: resource.auto_approve,
      timeoutMs: resource.timeout ?? DEFAULT_TIMEOUT_MS,
      guardrails: normaliseGuardrails(resource.guardrails),
      output: resource.output,
      jit,
      ...(resource.mask === undefined ? {} : { mask: resource.mask }),
      ...(resource.window === undefined ? {} : { window: [resource.window] }),
    };
  }
  return {
    ok: true,
    config: { resources },
  };
}

/**
 * A repository's rules as the effective policy needs them: no file at all is fine (the
 * server's floor alone governs); a file that is there must be valid.
 */
export function parseRepositoryRules(
  raw: unknown,
):
  | { ok: true; resources: Record<string, ResourcePolicy> }
  | { ok: false; problems: ConfigProblem[] } {
  if (raw === null || raw === undefined) return { ok: true, resources: {} };
  const parsed = parseConfig(raw);
  return parsed.ok ? { ok: true, resources: parsed.config.resources } : parsed;
}
