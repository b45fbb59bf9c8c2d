/**
 * MySQL/MariaDB's hooks for the execution skeleton, on the mysql2 package: the refusals made
 * before connecting (mysql-refusals.ts), one connection per execution that never enables
 * multipleStatements (each statement is sent alone), bounds pinned and watched after every
 * statement (mysql-pins.ts), `START TRANSACTION [READ ONLY]`, rows streamed, `SHOW WARNINGS`
 * after each statement kept as notices, and stops by `KILL QUERY` from a second connection.
 *
 * Known limits, stated rather than hidden:
 * - writes to non-transactional tables (MyISAM, Aria, MEMORY) are not undone by ROLLBACK; the
 *   server's warning (1196) is kept as a notice. A READ ONLY transaction refuses them.
 * - affected rows are the statements' OK-packet counts (FOUND_ROWS: rows matched, not only
 *   changed; ON DUPLICATE KEY UPDATE and REPLACE count 2 per replaced row; SELECT … INTO @v
 *   counts its row): over-counting, the safe side. Rows written by triggers are not counted.
 * - the server's session cannot be recorded for the lease sweeper (SessionIdentity is
 *   PostgreSQL's): a worker that dies leaves the statement to its timeout, and the server rolls
 *   the transaction back when the dead worker's connection closes.
 */
import mysql from "mysql2";
import type { Connection } from "mysql2";
import { AbortedError, CommandStopped } from "./dialect-hooks.js";
import type {
  CommitResult,
  Dialect,
  DialectSession,
  OutcomeError,
  RollbackResult,
  WriteCount,
} from "./dialect-hooks.js";
import { TRANSACTION_ENDED_CODE } from "./finish-decision.js";
import { killQuery, mysqlConnectionOptions } from "./mysql-connection.js";
import { describeMysqlError, mysqlCommitFailure } from "./mysql-errors.js";
import {
  changedVariable,
  flavourOf,
  pinStatement,
  sqlModeRefusal,
  watchQuery,
  watchedVariables,
} from "./mysql-pins.js";
import type { MysqlFlavour } from "./mysql-pins.js";
import { prepareMysqlCommand } from "./mysql-refusals.js";
import type { MysqlStatement } from "./mysql-split.js";
import { streamMysqlStatement } from "./mysql-statement-stream.js";
import type { MysqlTarget } from "./mysql-url.js";
import type { NoticeCollector } from "./notice-collector.js";
import type { Redactor } from "./redact.js";
import { messageOf } from "./thrown-message.js";
import type { ExecuteOptions, ResultSet } from "./types.js";

/** "Some non-transactional changed tables couldn't be rolled back". */
const NOT_ROLLED_BACK_WARNING = "1196";

/** The server's status flag for "a transaction is open" (mysql2 lib/constants/server_status). */
const SERVER_STATUS_IN_TRANS = 1;

/**
 * The engine's own statement timer fires this long after statementTimeoutMs, so the server's
 * bound (where there is one) is the one normally reported.
 */
const TIMER_GRACE_MS = 1_000;
/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long close() waits for a clean QUIT before cutting the socket. */
const QUIT_WAIT_MS = 2_000;

export function mysqlDialect(target: MysqlTarget): Dialect<MysqlStatement> {
  return {
    // START TRANSACTION READ ONLY is enforced by the server, for every storage engine.
    readOnlyByRowCount: false,
    prepare: (options) => prepareMysqlCommand(options.sql),
    open: (options, notices, redact) => new MysqlSession(target, options, notices, redact),
  };
}

type Cells = (Buffer | null)[];

class MysqlSession implements DialectSession<MysqlStatement> {
  private connection: Connection | undefined;
  private flavour: MysqlFlavour = "mysql";
  private baseline: (string | null)[] = [];
  private readonly resultSets: ResultSet[] = [];
  private affected = 0;
  private inTransaction = false;
  /** A statement ended the transaction itself: ROLLBACK would undo nothing of it. */
  private transactionEnded = false;
  /** A statement of the command is on the server (what a stop or the timer kills). */
  private running = false;
  private statementNumber = 0;
  private killedByTimer = false;
  /** COMMIT was sent: a stop no longer kills anything (it would only make COMMIT unknown). */
  private committing = false;
  private killing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Rejects every pending call once the connection is gone (mysql2 would leave some pending). */
  private gone: Promise<never>;
  private markGone: (error: unknown) => void = () => undefined;

  constructor(
    private readonly target: MysqlTarget,
    private readonly options: ExecuteOptions,
    private readonly notices: NoticeCollector,
    private readonly redact: Redactor,
  ) {
    this.gone = new Promise<never>((_, reject) => {
      this.markGone = reject;
    });
    this.gone.catch(() => undefined);
  }

  async connect(): Promise<void> {
    const connection = mysql.createConnection(mysqlConnectionOptions(this.target));
    this.connection = connection;
    // A lost connection is reported here for a streaming query, which mysql2 does not notify.
    connection.on("error", (error: unknown) => this.markGone(error));
    connection.on("end", () => this.markGone(new Error("The server closed the connection.")));
    await this.settled(
      new Promise<void>((resolve, reject) =>
        connection.connect((error) => (error ? reject(error) : resolve())),
      ),
    );
  }

  async begin(): Promise<void> {
    const [version] = (await this.rows("SELECT VERSION()"))[0] ?? [];
    this.flavour = flavourOf(text(version) ?? "");
    await this.rows(pinStatement(this.flavour, this.options));
    this.baseline = await this.watched();
    const sqlMode = this.baseline[watchedVariables(this.flavour).indexOf("sql_mode")] ?? null;
    const refusal = sqlModeRefusal(sqlMode);
    if (refusal !== null) throw new CommandStopped(refusal, "COUNTERSIGN_SQL_MODE");
    await this.rows(this.options.readOnly ? "START TRANSACTION READ ONLY" : "START TRANSACTION");
    this.inTransaction = true;
  }

  async run(statement: MysqlStatement, isAborted: () => boolean): Promise<void> {
    const connection = this.open();
    // A kill still under way must not land on this statement.
    await this.killed();
    // A stop heard while waiting found nothing running to kill: it must not start now.
    if (isAborted()) throw new AbortedError();
    this.statementNumber += 1;
    const command = firstKeyword(statement);
    this.running = true;
    const timer = setTimeout(
      () => {
        this.killedByTimer = true;
        void this.kill();
      },
      Math.min(this.options.statementTimeoutMs + TIMER_GRACE_MS, MAX_TIMER_MS),
    );
    let results;
    try {
      results = await this.settled(
        streamMysqlStatement(
          connection,
          statement.text,
          command,
          this.options.keepRows,
          this.redact,
        ),
      );
    } finally {
      clearTimeout(timer);
      this.running = false;
    }
    this.resultSets.push(...results.resultSets);
    this.affected += results.affectedRows;
    await this.killed();
    // SLEEP() and some others return normally when killed: the timer's stop is still a timeout.
    if (this.killedByTimer) throw new Error("The statement was stopped by Countersign's timer.");
    for (const [level, code, message] of await this.rows("SHOW WARNINGS"))
      this.notices.add(`${text(level) ?? "Warning"} ${text(code) ?? ""}: ${text(message) ?? ""}`);
  }

  /** Before the next statement: the transaction is still ours and the bounds still hold. */
  async afterRun(index: number): Promise<void> {
    if (!this.inTransactionNow()) {
      this.transactionEnded = true;
      throw new CommandStopped(
        `Statement ${index + 1} ended Countersign's transaction (an implicit commit): its effects and those before it may already be committed and could not be checked or rolled back; nothing after it was run.`,
        TRANSACTION_ENDED_CODE,
      );
    }
    const changed = changedVariable(this.flavour, this.baseline, await this.watched());
    if (changed !== null)
      throw new CommandStopped(
        `Statement ${index + 1} changed ${changed}, which Countersign pins for the execution; everything was rolled back.`,
        "COUNTERSIGN_SETTING_CHANGED",
      );
  }

  countWrites(): Promise<WriteCount> {
    return Promise.resolve({
      affectedRows: this.affected,
      transactionDepth: this.inTransactionNow() ? 1 : 0,
    });
  }

  rollback(): Promise<RollbackResult> {
    return this.rollbackAfterError();
  }

  async commit(): Promise<CommitResult> {
    this.committing = true;
    await this.killed();
    try {
      await this.rows("COMMIT");
      this.inTransaction = false;
      return { committed: true };
    } catch (error) {
      return mysqlCommitFailure(error);
    }
  }

  /**
   * A ROLLBACK that fails still leaves nothing committed, so it counts as rolled back: the server
   * never commits without COMMIT (the refusals and afterRun keep implicit commits out), and it
   * rolls an open transaction back when its session ends, which close() does right after.
   */
  async rollbackAfterError(): Promise<RollbackResult> {
    if (!this.inTransaction || this.transactionEnded) return { rolledBack: false };
    this.inTransaction = false;
    try {
      await this.killed();
      await this.rows("ROLLBACK");
    } catch (error) {
      return {
        rolledBack: true,
        problem: `${messageOf(error)} (MySQL rolls an open transaction back when its session ends; Countersign closes it now)`,
      };
    }
    // Writes to non-transactional tables survive a ROLLBACK; the server warns (1196). The list
    // may still hold the failed statement's error, which is the outcome's error already.
    try {
      for (const [level, code, message] of await this.rows("SHOW WARNINGS")) {
        if (text(code) !== NOT_ROLLED_BACK_WARNING) continue;
        this.notices.add(
          `ROLLBACK: ${text(level) ?? "Warning"} ${text(code)}: ${text(message) ?? ""}`,
        );
      }
    } catch {
      // The rollback itself succeeded; a lost warning list changes nothing about it.
    }
    return { rolledBack: true };
  }

  /** The caller gave up: the running statement is killed; between statements the skeleton stops. */
  cancel(): void {
    if (this.committing) return;
    if (this.running) void this.kill();
    else if (this.connection !== undefined && this.connection.threadId === null) {
      // Still connecting: cut it, connect() then fails at once.
      this.markGone(new AbortedError());
      this.connection.destroy();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  results(): { resultSets: ResultSet[]; affectedRows: number } {
    return { resultSets: this.resultSets, affectedRows: this.affected };
  }

  describeError(
    error: unknown,
    phase: "connect" | "execute",
    statement: MysqlStatement | undefined,
  ): OutcomeError {
    const described = describeMysqlError(error, phase, {
      statementTimeoutMs: this.options.statementTimeoutMs,
      lockTimeoutMs: this.options.lockTimeoutMs,
      killedByTimer: this.killedByTimer,
      ...(statement === undefined
        ? {}
        : { statement: { unit: statement, number: this.statementNumber } }),
    });
    if (this.killedByTimer && described.code === undefined)
      return { ...described, code: "COUNTERSIGN_STATEMENT_TIMEOUT" };
    return described;
  }

  private async closeOnce(): Promise<void> {
    const connection = this.connection;
    if (connection === undefined) return;
    if (this.running) await this.kill();
    await this.killed();
    // QUIT after whatever is still queued (a ROLLBACK, a COMMIT under way), then the socket.
    await Promise.race([
      new Promise<void>((resolve) => connection.end(() => resolve())),
      new Promise<void>((resolve) => setTimeout(resolve, QUIT_WAIT_MS).unref()),
    ]);
    connection.destroy();
    this.markGone(new Error("The connection was closed."));
  }

  private open(): Connection {
    if (this.connection === undefined) throw new Error("The connection is not open.");
    return this.connection;
  }

  /** `promise`, or the connection's loss, whichever comes first. */
  private settled<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.gone]);
  }

  /** A small query of the engine's own (not the command's): every row, as raw cells. */
  private rows(sql: string): Promise<Cells[]> {
    const connection = this.open();
    return this.settled(
      new Promise<Cells[]>((resolve, reject) =>
        connection.query(sql, (error: unknown, result: unknown) => {
          if (error) reject(error);
          else resolve(Array.isArray(result) ? (result as Cells[]) : []);
        }),
      ),
    );
  }

  private async watched(): Promise<(string | null)[]> {
    const row = (await this.rows(watchQuery(this.flavour)))[0];
    if (row === undefined) throw new Error("The session's settings could not be read.");
    return row.map(text);
  }

  /** From the server's status flags of the last answer; unknown counts as ended (fail closed). */
  private inTransactionNow(): boolean {
    // mysql2 keeps the last status flags on the connection but does not type them.
    const status = (this.connection as unknown as { serverStatus?: unknown } | undefined)
      ?.serverStatus;
    return typeof status === "number" && (status & SERVER_STATUS_IN_TRANS) !== 0;
  }

  private kill(): Promise<void> {
    const threadId = this.connection?.threadId;
    if (typeof threadId !== "number") return Promise.resolve();
    this.killing ??= killQuery(this.target, threadId).finally(() => {
      this.killing = undefined;
    });
    return this.killing;
  }

  /** Waits for a kill under way, so that it lands on the statement it was meant for. */
  private async killed(): Promise<void> {
    await this.killing;
  }
}

/** A cell of the engine's own queries as text. */
function text(cell: Buffer | null | undefined): string | null {
  return cell === null || cell === undefined ? null : cell.toString("utf8");
}

/** The statement's first keyword (after opening parentheses), naming its result sets. */
function firstKeyword(statement: MysqlStatement): string {
  for (const token of statement.tokens) if (token.type === "word") return token.value;
  return "STATEMENT";
}
