/**
 * The commit/rollback decision at the end of a command whose statements all ran: the
 * affected-row limit and the read-only check are made here, BEFORE COMMIT, so a violation is
 * rolled back. Pure, so both engines share exactly the same rules, tested without a server.
 */

export interface FinishInput {
  readOnly: boolean;
  /** What the engine counted for the limit (may be larger than the statement tags, see pg). */
  affectedRows: number;
  maxAffectedRows?: number;
  /**
   * Whether the engine can enforce read-only only by looking at affected rows (SQL Server).
   * PostgreSQL enforces it in the server, so this is false there.
   */
  readOnlyByRowCount: boolean;
  /** Open transactions at the end; anything but 1 means the command ended ours itself. */
  transactionDepth?: number;
  /** The open transaction is another than the engine's (see WriteCount.transactionReplaced). */
  transactionReplaced?: boolean;
  /** A dry run: a command that passes every check is rolled back instead of committed. */
  alwaysRollBack?: boolean;
}

export type FinishDecision =
  | { action: "commit" }
  | { action: "rollback"; succeeded: true }
  | { action: "rollback"; succeeded: false; message: string; code: string };

/** The code of a refusal made because the command ended or nested Countersign's transaction. */
export const TRANSACTION_ENDED_CODE = "COUNTERSIGN_TRANSACTION_ENDED";

/** What to do at the end of a command whose statements all ran without error. */
export function decideFinish(input: FinishInput): FinishDecision {
  if (input.transactionReplaced === true) {
    return {
      action: "rollback",
      succeeded: false,
      code: TRANSACTION_ENDED_CODE,
      message:
        "The command ended Countersign's transaction and began another (COMMIT or ROLLBACK, then " +
        "BEGIN TRAN, in dynamic SQL or a procedure): what ran before that may already be " +
        "committed and could not be checked; what ran after it was rolled back.",
    };
  }
  if (input.transactionDepth !== undefined && input.transactionDepth !== 1) {
    return {
      action: "rollback",
      succeeded: false,
      code: TRANSACTION_ENDED_CODE,
      message:
        input.transactionDepth === 0
          ? "The command ended Countersign's transaction itself (COMMIT/ROLLBACK inside the command): " +
            "its effects may already be committed and could not be checked or rolled back."
          : `The command left ${input.transactionDepth - 1} nested transaction(s) open; everything was rolled back.`,
    };
  }
  if (input.readOnly && input.readOnlyByRowCount && input.affectedRows > 0) {
    return {
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_READ_ONLY",
      message: `The command was run as read-only but affected ${input.affectedRows} row(s); it was rolled back.`,
    };
  }
  if (input.maxAffectedRows !== undefined && input.affectedRows > input.maxAffectedRows) {
    return {
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_MAX_AFFECTED_ROWS",
      message:
        `The command would have affected ${input.affectedRows} row(s), over the limit of ` +
        `${input.maxAffectedRows} (max_affected_rows); it was rolled back and nothing was changed.`,
    };
  }
  // A read-only command on an engine without read-only transactions is never committed:
  // whatever it might have done that the row counts cannot see is undone.
  if (input.readOnly && input.readOnlyByRowCount) return { action: "rollback", succeeded: true };
  // After every refusal, so a dry run reports what the real run would be refused for.
  if (input.alwaysRollBack === true) return { action: "rollback", succeeded: true };
  return { action: "commit" };
}
