/**
 * A request as it is kept (pure): the record, and schemas for its JSON columns. The store
 * checks each JSON column against its schema when it reads a row, so code above the store
 * works with typed values instead of casting `unknown`, and a row written by another version
 * (or by hand) that does not fit is an error at the door, not a wrong decision later.
 *
 * Like `states.ts`, this module is pure data that every layer, the store included, imports.
 */
import { z } from "zod";
import { GUARDRAIL_RULES, type ResourcePolicy } from "../policy/config.js";
import type { ReviewInput } from "../policy/evaluate.js";
import { executionWindowRecordSchema } from "../policy/window.js";
import type { RequestKind, RequestStatus } from "./states.js";

export type SourceType = "issue_comment" | "issue" | "pull_request";

/** A review as kept in the review cache: the evaluator's own input shape. */
export type StoredReview = ReviewInput;

export const reviewSchema = z.object({
  id: z.number(),
  login: z.string(),
  isBot: z.boolean(),
  state: z.enum(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]),
  commitId: z.string(),
  submittedAt: z.string(),
  body: z.string().optional(),
}) satisfies z.ZodType<StoredReview>;

const groupSchema = z.object({
  key: z.string(),
  team: z.object({ org: z.string().optional(), slug: z.string() }).optional(),
  users: z.array(z.string()).optional(),
  min: z.number(),
});

const approvalRuleSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("none") }),
  z.object({ mode: z.literal("all_of"), groups: z.array(groupSchema) }),
  z.object({ mode: z.literal("any_of"), groups: z.array(groupSchema) }),
  z.object({
    mode: z.literal("any_of_all"),
    groups: z.array(groupSchema),
    alternatives: z.array(z.array(z.number())),
  }),
]);

const ruleRefSchema = z.union([
  z.enum(GUARDRAIL_RULES),
  z.object({ name: z.string(), pattern: z.string() }),
]);

/** The effective policy frozen into a request at intake (normalised, not the YAML form). */
const resourcePolicySchema = z.object({
  name: z.string(),
  approvals: approvalRuleSchema,
  autoApprove: z.array(z.literal("read")),
  timeoutMs: z.number(),
  guardrails: z.object({
    deny: z.array(ruleRefSchema),
    warn: z.array(ruleRefSchema),
    maxAffectedRows: z.number().optional(),
    maxEstimatedRows: z
      .object({ deny: z.number().optional(), warn: z.number().optional() })
      .optional(),
    allowUnparsed: z.boolean(),
    readFunctions: z.array(z.string()).optional(),
  }),
  output: z.enum(["table", "summary", "none"]),
  jit: z.object({ maxDurationMs: z.number(), approvals: approvalRuleSchema }).nullable(),
  auditBranch: z.string().optional(),
  plan: z.union([z.literal(false), z.object({ maxGrowth: z.number() })]).optional(),
  undo: z.object({ keepForMs: z.number() }).optional(),
  breakGlassGroup: groupSchema.optional(),
  notifyTeam: z.string().optional(),
  breakGlass: z.object({ normal: approvalRuleSchema }).optional(),
  mask: z
    .object({
      columns: z.array(z.string()),
      patterns: z.array(z.enum(["email", "card", "iban", "phone"])),
    })
    .optional(),
  origin: z.object({ floor: z.string(), repository: z.string().nullable() }).optional(),
  window: z.array(executionWindowRecordSchema).min(1).optional(),
}) satisfies z.ZodType<ResourcePolicy>;

const ruleHitSchema = z.object({
  rule: z.string(),
  statement: z.string().nullable(),
  message: z.string(),
});

const statementPlanSchema = z.discriminatedUnion("planned", [
  z.object({
    number: z.number(),
    text: z.string(),
    kind: z.string(),
    planned: z.literal(true),
    estimatedRows: z.number(),
    topNode: z.string(),
    inputNode: z.string().optional(),
    seqScans: z.array(
      z.object({ schema: z.string(), name: z.string(), tableRows: z.number(), large: z.boolean() }),
    ),
  }),
  z.object({
    number: z.number(),
    text: z.string(),
    kind: z.string(),
    planned: z.literal(false),
    reason: z.string(),
    code: z.string().optional(),
  }),
]);

/** The plan before approval (issue 16), as the reviewers saw it and the drift guard compares. */
const planSchema = z.union([
  z.object({
    ok: z.literal(true),
    statements: z.array(statementPlanSchema),
    totalEstimatedRows: z.number(),
    seqScanWarnRows: z.number(),
    plannedAt: z.string(),
    durationMs: z.number(),
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);

const resultSetSchema = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string().nullable())),
  totalRows: z.number(),
  command: z.string(),
  affectedRows: z.number().nullable(),
});

/**
 * The dry run on the preview target, for the PR body: the first rows of a staging copy, never
 * of the resource, and bounded (the intake keeps a few rows per result).
 */
const previewSchema = z.union([
  z.object({
    ok: z.literal(true),
    ranAt: z.string(),
    outcome: z.object({
      status: z.enum(["succeeded", "failed"]),
      resultSets: z.array(resultSetSchema),
      affectedRows: z.number(),
      durationMs: z.number(),
      notices: z.array(z.string()),
      error: z
        .object({
          message: z.string(),
          code: z.string().optional(),
          position: z.number().optional(),
        })
        .optional(),
      rolledBack: z.boolean(),
    }),
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);

/** What the guardrails found in a command, kept with the request for the PR and the worker. */
const commandCheckSchema = z.object({
  dialect: z.enum(["postgres", "mssql", "mysql"]),
  ok: z.boolean(),
  /** Parser message and position when the command could not be parsed. */
  error: z.string().nullable(),
  statements: z.array(
    z.object({
      number: z.number(),
      kind: z.string(),
      summary: z.string(),
      tables: z.array(z.string()),
    }),
  ),
  denied: z.array(ruleHitSchema),
  warnings: z.array(ruleHitSchema),
  /** Every statement reads only: eligible for `auto_approve: [read]` and a read-only transaction. */
  readOnly: z.boolean(),
  /** The plan before approval, on PostgreSQL when the server makes plans (absent: none made). */
  plan: planSchema.optional(),
  /** The dry run on the preview target, when the server configures one (absent: none made). */
  preview: previewSchema.optional(),
});
export type CommandCheck = z.infer<typeof commandCheckSchema>;
export type StatementView = CommandCheck["statements"][number];
export type RuleHitView = z.infer<typeof ruleHitSchema>;

/** What `requests.result` holds: counts, never rows or cell values. */
const resultSummarySchema = z.object({
  phase: z.enum(["executing", "finished"]),
  headSha: z.string(),
  prUrl: z.string(),
  approvedBy: z.array(z.string()),
  approvalNote: z.string().nullable(),
  readOnly: z.boolean(),
  startedAt: z.string(),
  /** The server session running the command (PostgreSQL), so a dead worker's can be stopped. */
  session: z.object({ backendPid: z.number(), backendStart: z.string() }).optional(),
  status: z.enum(["succeeded", "failed", "unknown", "cancelled"]).optional(),
  affectedRows: z.number().optional(),
  durationMs: z.number().optional(),
  rolledBack: z.boolean().optional(),
  resultSets: z
    .array(
      z.object({ command: z.string(), totalRows: z.number(), affectedRows: z.number().nullable() }),
    )
    .optional(),
  noticeCount: z.number().optional(),
  error: z.object({ message: z.string(), code: z.string().nullable() }).optional(),
  outputSha256: z.string().optional(),
  commentUrl: z.string().nullable().optional(),
  mergeSha: z.string().nullable().optional(),
  /** The undo backups the command committed (issue 16): where, how many rows, how to restore. */
  undo: z
    .array(
      z.object({
        table: z.string(),
        rows: z.number(),
        statement: z.number(),
        source: z.string(),
        key: z.array(z.string()),
        columns: z.array(z.string()),
      }),
    )
    .optional(),
  /** When the backups were dropped by the sweep (ISO 8601): `/undo` can no longer restore. */
  undoDroppedAt: z.string().optional(),
});
export type ResultSummary = z.infer<typeof resultSummarySchema>;

/** The JSON columns of `requests`, each with the schema a stored value must fit. */
export const JSON_COLUMN_SCHEMAS = {
  classification: commandCheckSchema.nullable(),
  policy: resourcePolicySchema,
  result: resultSummarySchema.nullable(),
  reviews: z.array(reviewSchema).nullable(),
  pushers: z.array(z.string()).nullable(),
} as const;

export interface NewRequest {
  sourceKey: string;
  kind: RequestKind;
  installationId: number;
  repoId: number;
  owner: string;
  repo: string;
  resource: string;
  command: string;
  reason: string | null;
  requester: string;
  sourceType: SourceType;
  sourceNumber: number;
  sourceCommentId: number | null;
  sourceNodeId: string | null;
  sourceCommentNodeId: string | null;
  sourceUrl: string;
  status: RequestStatus;
  statusDetail: string | null;
  /** Null for a grant, which has no command. */
  classification: CommandCheck | null;
  policy: ResourcePolicy;
  grantDurationMs?: number | null;
  /** The active grant a command runs under (no per-command approval). */
  grantId?: number | null;
  expiresAt: Date | null;
  /**
   * A GitOps request's pull request (the author's own), recorded with the request so a
   * review or a push that comes before its open_request job already finds it.
   */
  branch?: string | null;
  filePath?: string | null;
  headSha?: string | null;
  baseBranch?: string | null;
  prNumber?: number | null;
  prNodeId?: string | null;
  prUrl?: string | null;
  /** Who pushed to a GitOps request's branch before it was taken in. */
  pushers?: string[] | null;
}

export interface RequestRecord extends Omit<NewRequest, "grantId" | "grantDurationMs"> {
  id: number;
  grantDurationMs: number | null;
  branch: string | null;
  filePath: string | null;
  prNumber: number | null;
  prNodeId: string | null;
  headSha: string | null;
  checkRunId: number | null;
  result: ResultSummary | null;
  grantEndsAt: Date | null;
  grantId: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** Reviews of the request PR as webhooks delivered them (null until the first one). */
  reviews: StoredReview[] | null;
  pushers: string[] | null;
  /** Who asked, with `/cancel`, to stop the command while it runs. */
  cancelRequestedBy: string | null;
  statusDigest: string | null;
  prUrl: string | null;
  baseBranch: string | null;
  /**
   * Not claimed before this instant (issue 17): the next opening of its execution window, or
   * the time an approver chose with `/schedule`. Null: as soon as it is approved.
   */
  notBefore: Date | null;
  /** Who chose `notBefore` with `/schedule` (null: nobody did, or the window set it). */
  scheduledBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields that may change without a status change (GitHub ids as the PR gets made, results…). */
export type RequestPatch = Partial<
  Pick<
    RequestRecord,
    | "command"
    | "classification"
    | "branch"
    | "filePath"
    | "prNumber"
    | "prNodeId"
    | "headSha"
    | "checkRunId"
    | "statusDetail"
    | "result"
    | "grantEndsAt"
    | "grantId"
    | "leaseOwner"
    | "leaseExpiresAt"
    | "expiresAt"
    | "reviews"
    | "pushers"
    | "statusDigest"
    | "prUrl"
    | "baseBranch"
    | "notBefore"
    | "scheduledBy"
  >
>;

export interface RequestEvent {
  id: number;
  requestId: number;
  fromStatus: RequestStatus | null;
  toStatus: RequestStatus;
  actor: string;
  detail: string | null;
  createdAt: Date;
}
