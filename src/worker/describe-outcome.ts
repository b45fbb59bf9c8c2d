/**
 * What a run's outcome becomes (pure): the result view and comment, the audit trailer's
 * result with the output digest, and the summary kept in `requests.result` (counts, never
 * rows or cell values).
 */
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { outcomeComment } from "../lifecycle/outcome.js";
import type { AuditResult } from "../render/commit-message.js";
import type { ResultView } from "../render/result.js";
import { outputDigest } from "../render/output-digest.js";
import { maskOutcome, NO_MASK } from "../render/mask.js";
import type { Passed } from "./recheck.js";
import type { RunResult } from "./run-command.js";

export interface DescribedOutcome {
  /** What the result comment renders. */
  view: ResultView;
  audit: AuditResult;
  finished: ResultSummary;
  /** The result comment, rendered and scrubbed. */
  body: string;
}

export function describeOutcome(
  request: RequestRecord,
  passed: Passed,
  summary: ResultSummary,
  run: RunResult,
  scrub: (text: string) => string,
): DescribedOutcome {
  const { outcome, status } = run;
  // Masked before anything is rendered or stored (issue 17); the digest in the audit trailer
  // is taken over what the database returned, so it still proves the output.
  const masked = maskOutcome(outcome, passed.policy.mask ?? NO_MASK, passed.content);
  const view: ResultView = {
    requestId: request.id,
    resource: request.resource,
    requester: request.requester,
    output: passed.policy.output,
    outcome: masked.outcome,
    approvedBy: passed.basis.approvedBy,
    ...(request.grantId === null ? {} : { grant: `grant ${request.grantId}` }),
    ...(masked.report.cells === 0 ? {} : { maskedCells: masked.report.cells }),
  };
  const digest = outputDigest(outcome);
  const shownError = masked.outcome.error;
  const why = shownError?.message ?? "the outcome could not be determined";
  const audit: AuditResult =
    status === "unknown"
      ? { status, why }
      : {
          status,
          affectedRows: outcome.affectedRows,
          durationMs: outcome.durationMs,
          rolledBack: outcome.rolledBack,
          outputSha256: digest,
          ...(outcome.undo === undefined
            ? {}
            : { undo: outcome.undo.map(({ table, rows }) => ({ table, rows })) }),
        };
  const finished: ResultSummary = {
    ...summary,
    phase: "finished",
    status,
    affectedRows: outcome.affectedRows,
    durationMs: outcome.durationMs,
    rolledBack: outcome.rolledBack,
    resultSets: outcome.resultSets.map((set) => ({
      command: set.command,
      totalRows: set.totalRows,
      affectedRows: set.affectedRows,
    })),
    noticeCount: outcome.notices.length,
    ...(shownError === undefined
      ? {}
      : {
          error: {
            message: shownError.message.slice(0, 4000),
            code: shownError.code ?? null,
          },
        }),
    outputSha256: digest,
    ...(outcome.undo === undefined ? {} : { undo: outcome.undo }),
  };
  return { view, audit, finished, body: outcomeComment(view, status, why, scrub) };
}
