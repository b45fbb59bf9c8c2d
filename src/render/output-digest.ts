/** The output digest of the audit trailer (pure). */
import { createHash } from "node:crypto";
import type { ExecutionOutcome } from "../engines/types.js";

/**
 * SHA-256 (hex) of everything the execution produced: status, counts, columns, the kept rows,
 * notices and error. Not the duration, which differs between identical runs, and not the
 * comment, which depends on rendering limits. Each value is one JSON line, so the encoding is
 * unambiguous, and it is hashed piecewise so large outputs are never joined into one string.
 */
export function outputDigest(outcome: ExecutionOutcome): string {
  const hash = createHash("sha256");
  const line = (value: unknown) => hash.update(`${JSON.stringify(value)}\n`, "utf8");
  line(["countersign-output", 1]);
  line([outcome.status, outcome.rolledBack, outcome.affectedRows]);
  const error = outcome.error;
  line(error === undefined ? null : [error.message, error.code ?? null, error.position ?? null]);
  line(["notices", outcome.notices.length]);
  for (const notice of outcome.notices) line(notice);
  line(["resultSets", outcome.resultSets.length]);
  for (const set of outcome.resultSets) {
    line([set.command, set.totalRows, set.affectedRows, set.columns]);
    line(["rows", set.rows.length]);
    for (const row of set.rows) line(row);
  }
  return hash.digest("hex");
}
