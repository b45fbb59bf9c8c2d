/**
 * The batches the SQL Server engine sends: the first one, which pins the session's options for
 * the transaction, and the command's GO-separated batches. Pure, tested without a server.
 */

/**
 * The first batch of every transaction: the options the command may not change (see
 * tsqlRefusal), set explicitly rather than trusted from the login defaults. SET options set in
 * a batch hold for the following batches of the session. `lockTimeoutMs` is an integer
 * validated by validateOptions, so interpolating it is safe.
 */
export function pinnedSessionBatch(lockTimeoutMs: number): string {
  return [
    "SET XACT_ABORT ON;",
    `SET LOCK_TIMEOUT ${lockTimeoutMs};`,
    "SET IMPLICIT_TRANSACTIONS OFF;",
    "SET QUOTED_IDENTIFIER ON;",
    "SET ANSI_NULLS ON;",
    "SET CURSOR_CLOSE_ON_COMMIT OFF;",
  ].join(" ");
}

/** One GO-separated batch as the engine runs it. */
export interface PlannedBatch {
  text: string;
  startLine: number;
}

/**
 * GO batches → the list of batches to run: `GO n` repeats a batch n times; batches that are
 * only whitespace are dropped (they would be empty requests).
 */
export function planBatches(
  batches: { text: string; startLine: number; repeat: number }[],
): PlannedBatch[] {
  const out: PlannedBatch[] = [];
  for (const b of batches) {
    if (b.text.trim() === "") continue;
    const times = Number.isInteger(b.repeat) && b.repeat > 0 ? b.repeat : 1;
    for (let i = 0; i < times; i++) out.push({ text: b.text, startLine: b.startLine });
  }
  return out;
}
