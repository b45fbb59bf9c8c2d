/**
 * What a database dialect supplies to the execution skeleton (execution-skeleton.ts): its own
 * refusals before connecting, and a session whose hooks the skeleton calls at each step of the
 * one flow both engines share. The skeleton owns the order, the abort handling, the finish
 * decision and the redaction of messages; a dialect owns the driver calls.
 */
import type { NoticeCollector } from "./notice-collector.js";
import type { Redactor } from "./redact.js";
import type {
  ExecuteOptions,
  ExecutionOutcome,
  ResultSet,
  SessionIdentity,
  UndoBackup,
} from "./types.js";

export type OutcomeError = NonNullable<ExecutionOutcome["error"]>;

/** The command cut into the units the dialect runs one by one, or why it is refused. */
export type PreparedCommand<Unit> =
  { ok: true; units: Unit[] } | { ok: false; message: string; code: string };

/** The writes of the transaction as the dialect counts them before COMMIT. */
export interface WriteCount {
  /** What the affected-row limit is checked against. */
  affectedRows: number;
  /** Open transactions at the end, where the dialect can tell (SQL Server's @@TRANCOUNT). */
  transactionDepth?: number;
  /**
   * The transaction open now is not the one the engine began: the command committed or rolled
   * back and began another at the same depth, where the depth alone cannot tell (SQL Server:
   * `EXEC('COMMIT; BEGIN TRAN')`, or a procedure that does it).
   */
  transactionReplaced?: boolean;
  /** Appended to a refusal's message: how the count was made, when that is not obvious. */
  note?: string;
}

export type CommitResult =
  | { committed: true }
  /** The server's answer proves nothing was committed (deferred constraint …): rolled back. */
  | { committed: false; rolledBack: true; error: unknown }
  /** Anything else (a lost connection, a session ended): whether it committed is unknown. */
  | { committed: false; rolledBack: false; reason: string };

export interface RollbackResult {
  /** True only when the transaction is known to be gone (rolled back, or aborted by the server). */
  rolledBack: boolean;
  /** Why ROLLBACK itself failed, for a notice; the reason the command stopped stays the error. */
  problem?: string;
}

/**
 * One execution's connection. The skeleton calls connect, begin, then run (and afterRun) per
 * unit, then countWrites and rollback or commit; after an error, rollbackAfterError. close is
 * called exactly once at the end, or earlier by the engine's close().
 */
export interface DialectSession<Unit> {
  connect(): Promise<void>;
  /** The server session's identity (PostgreSQL); absent where it cannot be stopped by it. */
  identity?(): Promise<SessionIdentity>;
  /** Opens the transaction and pins what the command may not change. */
  begin(): Promise<void>;
  /** Runs one unit, streaming its rows into the session's results. */
  run(unit: Unit, isAborted: () => boolean): Promise<void>;
  /** Checked after each unit, before the next is sent; throws CommandStopped to stop. */
  afterRun?(index: number): Promise<void>;
  countWrites(): Promise<WriteCount>;
  /** Ends the transaction that the finish decision refused. Never throws. */
  rollback(): Promise<RollbackResult>;
  /**
   * Sends COMMIT and classifies a failure; never throws (the skeleton counts a throw as an
   * unknown outcome). Rolled back only when the server's answer proves nothing was committed.
   */
  commit(): Promise<CommitResult>;
  /** After an error, or an abort before COMMIT was sent. Never throws. */
  rollbackAfterError(): Promise<RollbackResult>;
  /** The caller gave up: stops the running statement, best effort, without waiting. */
  cancel(): void;
  close(): Promise<void>;
  /** Everything collected so far; after an error, what came before it. */
  results(): { resultSets: ResultSet[]; affectedRows: number; undo?: UndoBackup[] };
  /** A thrown error → what the outcome reports. The skeleton redacts the message. */
  describeError(error: unknown, phase: "connect" | "execute", unit: Unit | undefined): OutcomeError;
}

export interface Dialect<Unit> {
  /**
   * Whether read-only can be enforced only by counting written rows (SQL Server has no
   * read-only transaction); see decideFinish.
   */
  readonly readOnlyByRowCount: boolean;
  /** The dialect's refusals before connecting, and the units to run. */
  prepare(options: ExecuteOptions): PreparedCommand<Unit> | Promise<PreparedCommand<Unit>>;
  /** A session for one execution; nothing connects until connect(). */
  open(options: ExecuteOptions, notices: NoticeCollector, redact: Redactor): DialectSession<Unit>;
}

/** Thrown inside the flow when the execution was stopped (the caller aborted, the engine closed). */
export class AbortedError extends Error {}

/** A dialect's check stopped the command; reported with `code` and the (redacted) message. */
export class CommandStopped extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
