/**
 * What a run's outcome becomes (pure): the result view and comment, the audit trailer's
 * result with the output digest, and the summary kept in `requests.result` (counts, never
 * rows or cell values).
 */
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { outcomeComment } from "../lifecycle/outcome.js";
import type { AuditResult } from "../render/commit-message.js";
import { outputDigest, type ResultView } from "../render/result.js";
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
  const view: ResultView = {
    requestId: request.id,
    resource: request.resource,
    requester: request.requester,
    output: passed.policy.output,
    outcome,
    approvedBy: passed.basis.approvedBy,
    ...(request.grantId === null ? {} : { grant: `grant ${request.grantId}` }),
  };
  const digest = outputDigest(view);
  const why = outcome.error?.message ?? "the outcome could not be determined";
  const audit: AuditResult =
    status === "unknown"
      ? { status, why }
      : {
          status,
          affectedRows: outcome.affectedRows,
          durationMs: outcome.durationMs,
          rolledBack: outcome.rolledBack,
          outputSha256: digest,
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
    ...(outcome.error === undefined
      ? {}
      : {
          error: {
            message: outcome.error.message.slice(0, 4000),
            code: outcome.error.code ?? null,
          },
        }),
    outputSha256: digest,
  };
  return { view, audit, finished, body: outcomeComment(view, status, why, scrub) };
}
