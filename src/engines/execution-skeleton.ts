/**
 * The execution both engines run, written once (DESIGN §1.5):
 *
 *   1. refuse before connecting: a closed engine, bad options, an aborted signal, and the
 *      dialect's own refusals (prepare);
 *   2. connect, open the transaction (READ ONLY where the database has it), pin its settings;
 *   3. run the units (statements or batches) in order, checking after each;
 *   4. count the writes and decide, BEFORE COMMIT, whether the limits allow committing;
 *   5. COMMIT, or ROLLBACK on a refusal, an error or an abort;
 *   6. report: every message scrubbed of credentials, a COMMIT of unknown outcome said so.
 *
 * The driver calls of each step are a dialect's hooks (dialect-hooks.ts).
 */
import { AbortedError, CommandStopped } from "./dialect-hooks.js";
import type { Dialect, DialectSession, OutcomeError } from "./dialect-hooks.js";
import { TRANSACTION_ENDED_CODE, decideFinish } from "./finish-decision.js";
import { NoticeCollector } from "./notice-collector.js";
import type { Redactor } from "./redact.js";
import { elapsedMs, failedBeforeStart, refuseBeforeStart } from "./refuse-before-start.js";
import type { ExecuteOptions, ExecutionOutcome } from "./types.js";

/** Runs executions of one dialect and closes the connections still open when the engine closes. */
export class ExecutionRunner<Unit> {
  private readonly active = new Set<DialectSession<Unit>>();
  private closed = false;

  constructor(
    private readonly dialect: Dialect<Unit>,
    private readonly redact: Redactor,
  ) {}

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active].map((s) => s.close().catch(() => undefined)));
  }

  async execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    const refused = refuseBeforeStart(this.closed, options, startedAt);
    if (refused !== null) return refused;
    // Awaited only when the dialect works asynchronously: a synchronous refusal check adds no
    // turn of the event loop between the signal check above and the abort listener.
    const pending = this.dialect.prepare(options);
    const prepared = pending instanceof Promise ? await pending : pending;
    if (!prepared.ok) return failedBeforeStart(prepared.message, startedAt, prepared.code);

    const notices = new NoticeCollector(this.redact);
    const session = this.dialect.open(options, notices, this.redact);
    this.active.add(session);
    const execution = new Execution(session, options, notices, this.redact, startedAt);
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
  private aborted = false;
  private connected = false;
  /** The unit running now, so that its error is placed in the command's text. */
  private current: Unit | undefined;

  constructor(
    private readonly session: DialectSession<Unit>,
    private readonly options: ExecuteOptions,
    private readonly notices: NoticeCollector,
    private readonly redact: Redactor,
    private readonly startedAt: number,
  ) {}

  /** Never throws: every failure becomes a failed outcome. */
  async run(units: Unit[], readOnlyByRowCount: boolean): Promise<ExecutionOutcome> {
    const onAbort = () => {
      this.aborted = true;
      // The pending driver call then fails and the error path rolls back.
      this.session.cancel();
    };
    this.options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.session.connect();
      this.connected = true;
      await this.session.begin();
      await this.runUnits(units);
      return await this.finish(readOnlyByRowCount);
    } catch (error) {
      return await this.failed(error);
    } finally {
      this.options.signal?.removeEventListener("abort", onAbort);
    }
  }

  private async runUnits(units: Unit[]): Promise<void> {
    for (const [index, unit] of units.entries()) {
      if (this.aborted) throw new AbortedError();
      this.current = unit;
      await this.session.run(unit, () => this.aborted);
      // Before the after-run check: an error of the check's own query is not the unit's.
      this.current = undefined;
      if (this.session.afterRun !== undefined) await this.session.afterRun(index);
    }
    if (this.aborted) throw new AbortedError();
  }

  /** All units ran: the limits are checked before COMMIT, so a violation is rolled back. */
  private async finish(readOnlyByRowCount: boolean): Promise<ExecutionOutcome> {
    const { maxAffectedRows, readOnly } = this.options;
    const count = await this.session.countWrites();
    const decision = decideFinish({
      readOnly,
      affectedRows: count.affectedRows,
      ...(maxAffectedRows === undefined ? {} : { maxAffectedRows }),
      readOnlyByRowCount,
      ...(count.transactionDepth === undefined ? {} : { transactionDepth: count.transactionDepth }),
    });
    if (decision.action === "commit") return this.commit();
    const rolledBack = await this.session.rollback();
    if (decision.succeeded) return this.outcome("succeeded", rolledBack);
    // A command that ended the transaction itself may have committed: ROLLBACK undid nothing.
    const ended = decision.code === TRANSACTION_ENDED_CODE;
    return this.outcome("failed", ended ? false : rolledBack, {
      message: decision.message + (count.note ?? ""),
      code: decision.code,
    });
  }

  private async commit(): Promise<ExecutionOutcome> {
    const result = await this.session.commit();
    if (result.committed) return this.outcome("succeeded", false);
    if (result.rolledBack)
      return this.outcome("failed", true, this.describe(result.error, "execute", undefined));
    return this.outcome("failed", false, {
      message: this.redact(
        `The connection failed during COMMIT; whether the command was committed is unknown: ${result.reason}`,
      ),
      code: "COUNTERSIGN_COMMIT_UNKNOWN",
    });
  }

  private async failed(error: unknown): Promise<ExecutionOutcome> {
    const rolledBack = await this.session.rollbackAfterError();
    if (error instanceof CommandStopped) {
      return this.outcome("failed", rolledBack, {
        message: this.redact(error.message),
        code: error.code,
      });
    }
    if (this.aborted || error instanceof AbortedError) {
      const { signal } = this.options;
      const reason = signal?.reason instanceof Error ? `: ${signal.reason.message}` : "";
      return this.outcome("failed", rolledBack, {
        message: this.redact(`Execution was aborted${reason}.`),
        code: "COUNTERSIGN_ABORTED",
      });
    }
    const phase = this.connected ? "execute" : "connect";
    return this.outcome("failed", rolledBack, this.describe(error, phase, this.current));
  }

  private describe(
    error: unknown,
    phase: "connect" | "execute",
    unit: Unit | undefined,
  ): OutcomeError {
    const described = this.session.describeError(error, phase, unit);
    return { ...described, message: this.redact(described.message) };
  }

  private outcome(
    status: ExecutionOutcome["status"],
    rolledBack: boolean,
    error?: OutcomeError,
  ): ExecutionOutcome {
    const { resultSets, affectedRows } = this.session.results();
    return {
      status,
      resultSets,
      affectedRows,
      durationMs: elapsedMs(this.startedAt),
      notices: this.notices.notices,
      ...(error === undefined ? {} : { error }),
      rolledBack,
    };
  }
}
