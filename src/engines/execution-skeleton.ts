/**
 * The execution both engines run, written once (DESIGN §1.5):
 *
 *   1. refuse before connecting: a closed engine, bad options, an aborted signal, and the
 *      dialect's own refusals (prepare);
 *   2. connect, open the transaction (READ ONLY where the database has it), pin its settings;
 *   3. run the units (statements or batches) in order, checking after each;
 *   4. count the writes and decide, BEFORE COMMIT, whether the limits allow committing;
 *   5. COMMIT, or ROLLBACK on a refusal, an error, a stop or a dry run (alwaysRollBack). A
 *      stop (the caller's abort, the engine's close) is heard from the first moment and
 *      honoured up to the moment COMMIT is sent (execution-stop.ts);
 *   6. report: every message scrubbed of credentials; a failed ROLLBACK is a notice, never the
 *      error; a COMMIT whose failure does not prove a rollback is COUNTERSIGN_COMMIT_UNKNOWN.
 *
 * The driver calls of each step are a dialect's hooks (dialect-hooks.ts).
 */
import { AbortedError, CommandStopped } from "./dialect-hooks.js";
import type {
  CommitResult,
  Dialect,
  DialectSession,
  OutcomeError,
  PreparedCommand,
  RollbackResult,
} from "./dialect-hooks.js";
import { ExecutionStop } from "./execution-stop.js";
import { TRANSACTION_ENDED_CODE, decideFinish } from "./finish-decision.js";
import { NoticeCollector } from "./notice-collector.js";
import type { Redactor } from "./redact.js";
import { elapsedMs, failedBeforeStart, refuseBeforeStart } from "./refuse-before-start.js";
import { messageOf } from "./thrown-message.js";
import type { ExecuteOptions, ExecutionOutcome } from "./types.js";

const COMMIT_UNKNOWN_CODE = "COUNTERSIGN_COMMIT_UNKNOWN";

/** Runs executions of one dialect and closes the connections still open when the engine closes. */
export class ExecutionRunner<Unit> {
  private readonly active = new Set<DialectSession<Unit>>();
  /** Every execution under way, also those still splitting their command (no session yet). */
  private readonly running = new Set<ExecutionStop>();
  private closed = false;

  constructor(
    private readonly dialect: Dialect<Unit>,
    private readonly redact: Redactor,
  ) {}

  async close(): Promise<void> {
    this.closed = true;
    // Stopped before the sessions close: whatever a session's driver then reports, the
    // execution is known to be stopped, and one still preparing never connects.
    for (const stop of this.running) stop.stop("the engine was closed");
    await Promise.all([...this.active].map((s) => s.close().catch(() => undefined)));
  }

  async execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    const refused = refuseBeforeStart(this.closed, options, startedAt);
    if (refused !== null) return refused;
    const stop = new ExecutionStop(options.signal);
    this.running.add(stop);
    try {
      return await this.prepareAndRun(options, stop, startedAt);
    } finally {
      this.running.delete(stop);
      stop.dispose();
    }
  }

  private async prepareAndRun(
    options: ExecuteOptions,
    stop: ExecutionStop,
    startedAt: number,
  ): Promise<ExecutionOutcome> {
    let prepared: PreparedCommand<Unit>;
    try {
      prepared = await this.dialect.prepare(options);
    } catch (error) {
      return failedBeforeStart(
        this.redact(`The command could not be prepared: ${messageOf(error)}`),
        startedAt,
      );
    }
    if (!prepared.ok) return failedBeforeStart(prepared.message, startedAt, prepared.code);
    // Stopped while the command was being split: nothing has connected, nothing will.
    if (stop.stopped)
      return failedBeforeStart(
        stop.message(" before it started"),
        startedAt,
        "COUNTERSIGN_ABORTED",
      );

    const notices = new NoticeCollector(this.redact);
    const session = this.dialect.open(options, notices, this.redact);
    this.active.add(session);
    const execution = new Execution(session, options, stop, notices, this.redact, startedAt);
    try {
      return await execution.run(prepared.units, this.dialect.readOnlyByRowCount);
    } finally {
      this.active.delete(session);
      await session.close().catch(() => undefined);
    }
  }
}

/** One execution after its refusals: steps 2 to 6 above. */
class Execution<Unit> {
  private connected = false;
  /** From here on a failure may follow a COMMIT that happened: never reported as rolled back. */
  private commitSent = false;
  /** The unit running now, so that its error is placed in the command's text. */
  private current: Unit | undefined;

  constructor(
    private readonly session: DialectSession<Unit>,
    private readonly options: ExecuteOptions,
    private readonly stop: ExecutionStop,
    private readonly notices: NoticeCollector,
    private readonly redact: Redactor,
    private readonly startedAt: number,
  ) {}

  /** Never throws: every failure becomes a failed outcome. */
  async run(units: Unit[], readOnlyByRowCount: boolean): Promise<ExecutionOutcome> {
    // The pending driver call then fails and the error path rolls back; between calls, the
    // checks below see the stop.
    this.stop.whenStopped(() => this.session.cancel());
    try {
      await this.session.connect();
      this.connected = true;
      this.stop.throwIfStopped();
      await this.tellSession();
      await this.session.begin();
      await this.runUnits(units);
      return await this.finish(readOnlyByRowCount);
    } catch (error) {
      return await this.failed(error);
    }
  }

  /** Who runs the command on the server is recorded before anything runs, or nothing runs. */
  private async tellSession(): Promise<void> {
    if (this.options.onSession === undefined || this.session.identity === undefined) return;
    await this.options.onSession(await this.session.identity());
    this.stop.throwIfStopped();
  }

  private async runUnits(units: Unit[]): Promise<void> {
    for (const [index, unit] of units.entries()) {
      this.stop.throwIfStopped();
      this.current = unit;
      await this.session.run(unit, () => this.stop.stopped);
      // Before the after-run check: an error of the check's own query is not the unit's.
      this.current = undefined;
      if (this.session.afterRun !== undefined) await this.session.afterRun(index);
    }
    this.stop.throwIfStopped();
  }

  /** All units ran: the limits are checked before COMMIT, so a violation is rolled back. */
  private async finish(readOnlyByRowCount: boolean): Promise<ExecutionOutcome> {
    const { maxAffectedRows, readOnly, alwaysRollBack } = this.options;
    const count = await this.session.countWrites();
    const decision = decideFinish({
      readOnly,
      affectedRows: count.affectedRows,
      ...(maxAffectedRows === undefined ? {} : { maxAffectedRows }),
      readOnlyByRowCount,
      ...(count.transactionDepth === undefined ? {} : { transactionDepth: count.transactionDepth }),
      ...(count.transactionReplaced === true ? { transactionReplaced: true } : {}),
      ...(alwaysRollBack === true ? { alwaysRollBack } : {}),
    });
    if (decision.action === "commit") return this.commit();
    const rolledBack = await this.endWith(() => this.session.rollback());
    if (decision.succeeded) return this.outcome("succeeded", rolledBack);
    // A command that ended the transaction itself may have committed: ROLLBACK undid nothing.
    const ended = decision.code === TRANSACTION_ENDED_CODE;
    return this.outcome("failed", ended ? false : rolledBack, {
      message: decision.message + (count.note ?? ""),
      code: decision.code,
    });
  }

  private async commit(): Promise<ExecutionOutcome> {
    // Whoever holds the request must still hold it when it commits (a throw rolls back).
    if (this.options.beforeCommit !== undefined && !(await this.options.beforeCommit())) {
      this.stop.stop("the worker no longer holds the request (lease lost) just before COMMIT");
    }
    // The last moment a stop is honoured: nothing is awaited between this check and the call
    // that sends COMMIT, so a stop that came before COMMIT was sent rolls back.
    this.stop.throwIfStopped();
    this.commitSent = true;
    let result: CommitResult;
    try {
      result = await this.session.commit();
    } catch (error) {
      result = { committed: false, rolledBack: false, reason: messageOf(error) };
    }
    if (result.committed) return this.outcome("succeeded", false);
    if (result.rolledBack)
      return this.outcome("failed", true, this.describe(result.error, "execute", undefined));
    return this.commitUnknown(result.reason);
  }

  private commitUnknown(reason: string): ExecutionOutcome {
    return this.outcome("failed", false, {
      message: this.redact(
        `COMMIT did not complete and nothing proves the transaction was rolled back; whether the command was committed is unknown: ${reason}`,
      ),
      code: COMMIT_UNKNOWN_CODE,
    });
  }

  private async failed(error: unknown): Promise<ExecutionOutcome> {
    if (this.commitSent) return this.commitUnknown(messageOf(error));
    const rolledBack = await this.endWith(() => this.session.rollbackAfterError());
    if (error instanceof CommandStopped) {
      return this.outcome("failed", rolledBack, {
        message: this.redact(error.message),
        code: error.code,
      });
    }
    if (this.stop.stopped || error instanceof AbortedError) {
      return this.outcome("failed", rolledBack, {
        message: this.redact(this.stop.message()),
        code: "COUNTERSIGN_ABORTED",
      });
    }
    const phase = this.connected ? "execute" : "connect";
    return this.outcome("failed", rolledBack, this.describe(error, phase, this.current));
  }

  /**
   * A dialect's ROLLBACK, which never throws here: its failure is a notice, and the reason the
   * command stopped (a refusal, an error, an abort) stays the outcome's error.
   */
  private async endWith(rollback: () => Promise<RollbackResult>): Promise<boolean> {
    let result: RollbackResult;
    try {
      result = await rollback();
    } catch (error) {
      result = { rolledBack: false, problem: messageOf(error) };
    }
    if (result.problem !== undefined) this.notices.add(`ROLLBACK failed: ${result.problem}`);
    return result.rolledBack;
  }

  /** Total: a dialect's describeError that throws still leaves the thrown value's message. */
  private describe(
    error: unknown,
    phase: "connect" | "execute",
    unit: Unit | undefined,
  ): OutcomeError {
    let described: OutcomeError;
    try {
      described = this.session.describeError(error, phase, unit);
    } catch {
      described = { message: messageOf(error) };
    }
    return { ...described, message: this.redact(described.message) };
  }

  private outcome(
    status: ExecutionOutcome["status"],
    rolledBack: boolean,
    error?: OutcomeError,
  ): ExecutionOutcome {
    const { resultSets, affectedRows, undo } = this.session.results();
    return {
      status,
      resultSets,
      affectedRows,
      durationMs: elapsedMs(this.startedAt),
      notices: this.notices.notices,
      ...(error === undefined ? {} : { error }),
      rolledBack,
      // The backups exist only if the transaction committed them.
      ...(undo === undefined || rolledBack ? {} : { undo }),
    };
  }
}
