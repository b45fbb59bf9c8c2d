/**
 * What a plan before approval and a dry run on a preview target report (issue 16), and the pure
 * rules read from them: the `max_estimated_rows` guardrail and the drift between the plan the
 * reviewers saw and the plan just before execution. No I/O: the engines fill these shapes
 * (pg-plan.ts, pg-preview.ts), the renderer (render/plan.ts, render/preview.ts) and the
 * guardrails read them.
 */
import type { ExecutionOutcome } from "./types.js";

/** A relation the plan reads with a sequential scan. */
export interface SeqScan {
  /** `schema.name` as the plan names it (the schema is left out by the renderer for public). */
  schema: string;
  name: string;
  /**
   * Rows the planner expects the relation to hold (what the scan reads, whatever its filter
   * keeps): pg_class.reltuples, or the scan's own estimate when the table was never analyzed
   * and that is larger.
   */
  tableRows: number;
  /** Whether tableRows is at or over the plan's warning threshold. */
  large: boolean;
}

/** One statement's plan, or why it has none. */
export type StatementPlan =
  | {
      /** 1-based position in the command. */
      number: number;
      text: string;
      /** The parser's statement kind, e.g. "UpdateStmt". */
      kind: string;
      planned: true;
      /**
       * Rows the statement touches by the planner's estimate: for INSERT/UPDATE/DELETE/MERGE
       * (data-modifying CTEs included) the rows fed to each ModifyTable node, summed; for a
       * query the rows its top node returns.
       */
      estimatedRows: number;
      /** The plan's top node, e.g. "ModifyTable (Delete)", "Index Scan", "Aggregate". */
      topNode: string;
      /** Under a ModifyTable: the node that feeds it rows, e.g. "Seq Scan", "Index Scan". */
      inputNode?: string;
      seqScans: SeqScan[];
    }
  | {
      number: number;
      text: string;
      kind: string;
      planned: false;
      /** Why there is no plan, credentials redacted: a utility statement, the server's error … */
      reason: string;
      /** The server's SQLSTATE when it refused to plan (42P01: a table does not exist). */
      code?: string;
    };

export type PlanResult =
  | {
      ok: true;
      statements: StatementPlan[];
      /** Sum of estimatedRows over the planned statements. */
      totalEstimatedRows: number;
      /** The seq-scan warning threshold the plan was made with. */
      seqScanWarnRows: number;
      /** ISO 8601, when the plan was taken. */
      plannedAt: string;
      durationMs: number;
    }
  /** The target could not be reached or refused the session: the request still proceeds. */
  | { ok: false; reason: string };

/** A dry run on the preview target: the engine's outcome of a command that was rolled back. */
export type PreviewResult =
  | {
      ok: true;
      /** ISO 8601, when the dry run started. */
      ranAt: string;
      /** Always rolled back; its result sets hold the real counts and first rows. */
      outcome: ExecutionOutcome;
    }
  /** Refused before anything connected (no preview target, the resource's own URL …). */
  | { ok: false; reason: string };

export type EstimateJudgement =
  /** Every statement was planned and the sum is within the limit. */
  | { verdict: "within"; total: number; limit: number }
  /**
   * The planned statements alone exceed the limit (unplanned ones could only add to it).
   * `statements` names those that exceed it on their own; it may be empty when only the sum does.
   */
  | {
      verdict: "over";
      total: number;
      limit: number;
      statements: { number: number; estimatedRows: number }[];
    }
  /** The rule cannot decide: no plan, a statement without one, or an invalid limit. */
  | { verdict: "unknown"; reason: string; total: number; limit: number; unplanned: number[] };

function isCount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/**
 * The `max_estimated_rows` rule: the command's estimated rows (the sum over its statements,
 * as max_affected_rows counts the command's writes) against the limit. Pure; the caller turns
 * the verdict into deny or warn like the other guardrails.
 */
export function judgeEstimate(plan: PlanResult, maxEstimatedRows: number): EstimateJudgement {
  const limit = maxEstimatedRows;
  if (!isCount(limit)) {
    return {
      verdict: "unknown",
      reason: "max_estimated_rows is not a non-negative number.",
      total: 0,
      limit,
      unplanned: [],
    };
  }
  if (!plan.ok) {
    return { verdict: "unknown", reason: plan.reason, total: 0, limit, unplanned: [] };
  }
  let total = 0;
  const unplanned: number[] = [];
  const over: { number: number; estimatedRows: number }[] = [];
  for (const statement of plan.statements) {
    if (!statement.planned) {
      unplanned.push(statement.number);
      continue;
    }
    // A malformed estimate cannot prove the command small: it counts as over.
    const rows = isCount(statement.estimatedRows) ? statement.estimatedRows : Infinity;
    total += rows;
    if (rows > limit) over.push({ number: statement.number, estimatedRows: rows });
  }
  if (total > limit) return { verdict: "over", total, limit, statements: over };
  if (unplanned.length > 0) {
    return {
      verdict: "unknown",
      reason: `statement(s) ${unplanned.join(", ")} could not be planned, so the estimate is incomplete`,
      total,
      limit,
      unplanned,
    };
  }
  return { verdict: "within", total, limit };
}

/** One statement whose plan moved between approval and execution. */
export interface DriftFinding {
  number: number;
  text: string;
  /** The estimate the reviewers saw; null when that statement had no plan then. */
  before: number | null;
  /** The estimate now; null when it has none now. */
  after: number | null;
  /** "grew": over the growth factor; "missing": a table it touches no longer exists. */
  kind: "grew" | "missing";
  /** The server's reason, for "missing". */
  reason?: string;
}

/** PostgreSQL's SQLSTATE for a relation that does not exist (undefined_table). */
export const UNDEFINED_TABLE = "42P01";

/**
 * The drift guard's rule: statements whose estimate grew by more than `maxGrowth` (e.g. 10 for
 * 10×; an estimate of 0 counts as 1, so 0 → 11 is growth), or that touched a table that no
 * longer exists. Statements are matched by position: a changed command is a new head commit,
 * whose approvals are stale anyway. Pure; an empty list means no drift.
 */
export function findDrift(
  approved: PlanResult,
  current: PlanResult,
  maxGrowth: number,
): DriftFinding[] {
  if (!approved.ok || !current.ok) return [];
  // An invalid factor must not switch the guard off: it then treats any growth as drift.
  const factor = Number.isFinite(maxGrowth) && maxGrowth >= 1 ? maxGrowth : 1;
  const findings: DriftFinding[] = [];
  for (const now of current.statements) {
    const then = approved.statements.find((s) => s.number === now.number);
    if (then === undefined) continue;
    const before = then.planned ? then.estimatedRows : null;
    if (!now.planned) {
      // Only a table that was there for the reviewers: one created by an earlier statement of
      // the same command is missing at every plan.
      if (then.planned && now.code === UNDEFINED_TABLE) {
        findings.push({
          number: now.number,
          text: now.text,
          before,
          after: null,
          kind: "missing",
          reason: now.reason,
        });
      }
      continue;
    }
    if (before === null) continue;
    if (now.estimatedRows > Math.max(before, 1) * factor) {
      findings.push({
        number: now.number,
        text: now.text,
        before,
        after: now.estimatedRows,
        kind: "grew",
      });
    }
  }
  return findings;
}

// Reading PostgreSQL's EXPLAIN (FORMAT JSON[, VERBOSE]) output: pure, so it is tested on
// plans of every shape without a server (pg-plan.ts takes them).

/** A sequential scan as the plan shows it, before the relation's size is looked up. */
export interface RawSeqScan {
  schema: string;
  name: string;
  /** The scan's own estimate (after its filter). */
  planRows: number;
}

export interface ExplainSummary {
  estimatedRows: number;
  topNode: string;
  inputNode?: string;
  scans: RawSeqScan[];
}

type PlanNode = Record<string, unknown>;

function isNode(value: unknown): value is PlanNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rowsOf(node: PlanNode): number {
  const rows = node["Plan Rows"];
  return typeof rows === "number" && Number.isFinite(rows) && rows >= 0 ? rows : 0;
}

function childrenOf(node: PlanNode): PlanNode[] {
  const plans = node.Plans;
  return Array.isArray(plans) ? plans.filter(isNode) : [];
}

/** The children whose rows a ModifyTable writes: not its InitPlans and SubPlans. */
function inputsOf(modify: PlanNode): PlanNode[] {
  return childrenOf(modify).filter((child) => {
    const relationship = child["Parent Relationship"];
    return relationship !== "InitPlan" && relationship !== "SubPlan";
  });
}

/**
 * Reads `EXPLAIN (FORMAT JSON[, VERBOSE])` output: the rows the statement touches, its top
 * node, and its sequential scans. Pure; null when the output is not a plan.
 */
export function readExplain(output: unknown): ExplainSummary | null {
  const parsed = typeof output === "string" ? safeJson(output) : output;
  const top = Array.isArray(parsed) && isNode(parsed[0]) ? parsed[0].Plan : undefined;
  if (!isNode(top) || typeof top["Node Type"] !== "string") return null;
  let modified = 0;
  let modifies = false;
  const scans: RawSeqScan[] = [];
  // Iterative: a deeply nested plan must not overflow the stack here.
  const stack: PlanNode[] = [top];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node["Node Type"] === "ModifyTable") {
      modifies = true;
      // PostgreSQL before 14 gives one input per inheritance child: each is written.
      modified += inputsOf(node).reduce((sum, input) => sum + rowsOf(input), 0);
    }
    if (node["Node Type"] === "Seq Scan" && typeof node["Relation Name"] === "string") {
      const schema = typeof node.Schema === "string" ? node.Schema : "";
      scans.push({ schema, name: node["Relation Name"], planRows: rowsOf(node) });
    }
    stack.push(...childrenOf(node));
  }
  const operation = typeof top.Operation === "string" ? ` (${top.Operation})` : "";
  const input = top["Node Type"] === "ModifyTable" ? inputsOf(top)[0]?.["Node Type"] : undefined;
  return {
    estimatedRows: Math.round(modifies ? modified : rowsOf(top)),
    topNode: `${top["Node Type"]}${operation}`,
    ...(typeof input === "string" ? { inputNode: input } : {}),
    scans,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
