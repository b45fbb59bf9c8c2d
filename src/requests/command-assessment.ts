/**
 * What a command will do, shown before anyone approves it (issue 16): its plan on the resource
 * (PostgreSQL's EXPLAIN, nothing run), the `max_estimated_rows` rule on the plan's estimate, and
 * where the server configures one, a dry run on the preview target (always rolled back).
 *
 * Only for a command the guardrails let through, on a PostgreSQL resource whose server makes
 * plans (and SQL Server, with its estimated plan: not run against a real server yet): a
 * denied command never reaches a reviewer, so it costs the target nothing. A target
 * that cannot be reached is said in the PR, and the request proceeds: the worker plans again
 * before it runs (the drift guard), and the estimate rule is checked again then.
 */
import type { PlanOptions } from "../engines/pg-plan.js";
import type { PreviewOptions } from "../engines/pg-preview.js";
import { judgeEstimate, type PlanResult, type PreviewResult } from "../engines/plan-types.js";
import { resourceUrlVariable, type EstimateLimits, type ResourcePolicy } from "../policy/config.js";
import type { CommandCheck, RuleHitView } from "../lifecycle/records.js";
import { maskOutcome } from "../render/mask.js";

export interface Assessors {
  plan(url: string, sql: string, options?: PlanOptions): Promise<PlanResult>;
  /** SQL Server's estimated plan (SHOWPLAN_XML); not run against a real server yet. */
  planMssql(url: string, sql: string): Promise<PlanResult>;
  preview(url: string, sql: string, options: PreviewOptions): Promise<PreviewResult>;
}

export interface AssessOptions {
  /** Also dry-run on the preview target: at intake and after a push, never at execution. */
  preview?: boolean;
}

/** Rows of each result the PR body shows from a dry run. */
const PREVIEW_KEEP_ROWS = 5;
/** A dry run holds up the intake job: it gets at most this long, whatever the resource allows. */
const PREVIEW_MAX_STATEMENT_MS = 30_000;
const PREVIEW_MAX_LOCK_MS = 5_000;
/** A statement's text as stored with the plan (the command itself is the request file). */
const PLAN_TEXT_CHARS = 300;

/** The preview target of a resource: COUNTERSIGN_RESOURCE_<NAME>_PREVIEW_URL. */
export function previewUrlVariable(resource: string): string {
  return resourceUrlVariable(resource).replace(/_URL$/, "_PREVIEW_URL");
}

export async function assessCommand(
  env: NodeJS.ProcessEnv,
  assessors: Assessors,
  command: string,
  resource: ResourcePolicy,
  check: CommandCheck,
  options: AssessOptions = {},
): Promise<CommandCheck> {
  if (check.dialect === "mysql" || !check.ok || check.denied.length > 0) return check;
  if (resource.plan === false) return check;
  const url = env[resourceUrlVariable(resource.name)]?.trim() ?? "";
  if (url === "") return check;
  const plan = trimPlan(
    check.dialect === "mssql"
      ? await assessors.planMssql(url, command)
      : await assessors.plan(url, command),
  );
  const hits = estimateHits(plan, resource.guardrails.maxEstimatedRows);
  const assessed: CommandCheck = {
    ...check,
    plan,
    denied: [...check.denied, ...hits.denied],
    warnings: [...check.warnings, ...hits.warnings],
  };
  const previewUrl = env[previewUrlVariable(resource.name)]?.trim() ?? "";
  // Dry runs are made on PostgreSQL only.
  if (options.preview !== true || previewUrl === "" || assessed.denied.length > 0) return assessed;
  if (check.dialect !== "postgres") return assessed;
  const preview = await assessors.preview(previewUrl, command, {
    statementTimeoutMs: PREVIEW_MAX_STATEMENT_MS,
    lockTimeoutMs: PREVIEW_MAX_LOCK_MS,
    keepRows: PREVIEW_KEEP_ROWS,
    readOnly: check.readOnly,
    resourceUrl: url,
    ...(resource.guardrails.maxAffectedRows === undefined
      ? {}
      : { maxAffectedRows: resource.guardrails.maxAffectedRows }),
  });
  // Masked before it is kept or shown: the copy holds the same kind of data as the resource.
  if (!preview.ok || resource.mask === undefined) return { ...assessed, preview };
  return {
    ...assessed,
    preview: { ...preview, outcome: maskOutcome(preview.outcome, resource.mask, command).outcome },
  };
}

function trimPlan(plan: PlanResult): PlanResult {
  if (!plan.ok) return plan;
  return {
    ...plan,
    statements: plan.statements.map((statement) => ({
      ...statement,
      text: statement.text.slice(0, PLAN_TEXT_CHARS),
    })),
  };
}

const formatRows = (rows: number) => Math.round(rows).toLocaleString("en-US");

/**
 * The `max_estimated_rows` rule as guardrail hits (pure). Over the deny threshold: denied;
 * over the warn threshold: a warning. An estimate that cannot be made (no plan, a statement
 * without one) is a warning under either threshold, never a silent pass: the worker checks
 * again with a fresh plan before it runs, and there an estimate over the limit stops it.
 */
export function estimateHits(
  plan: PlanResult,
  limits: EstimateLimits | undefined,
): { denied: RuleHitView[]; warnings: RuleHitView[] } {
  const denied: RuleHitView[] = [];
  const warnings: RuleHitView[] = [];
  if (limits === undefined) return { denied, warnings };
  const hit = (message: string): RuleHitView => ({
    rule: "max_estimated_rows",
    statement: null,
    message,
  });
  for (const [threshold, into, verb] of [
    [limits.deny, denied, "denies"],
    [limits.warn, warnings, "warns"],
  ] as const) {
    if (threshold === undefined) continue;
    const judged = judgeEstimate(plan, threshold);
    if (judged.verdict === "over") {
      into.push(
        hit(
          `The planner estimates ${formatRows(judged.total)} rows touched, over max_estimated_rows ` +
            `(${formatRows(threshold)}, ${verb}).`,
        ),
      );
      // One hit is enough: over the deny threshold needs no warning besides.
      break;
    }
    if (judged.verdict === "unknown") {
      warnings.push(hit(`max_estimated_rows could not be checked: ${judged.reason}.`));
      break;
    }
  }
  return { denied, warnings };
}
