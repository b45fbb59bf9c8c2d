/**
 * SQL Server's hooks for the execution skeleton, on the mssql package (tedious driver): the
 * refusals made before connecting (mssql-refusals.ts), one pool of one connection per
 * execution, a transaction whose options are pinned by its first batch (mssql-batches.ts), each
 * GO batch one streaming request, and @@TRANCOUNT checked before COMMIT.
 */
import sql from "mssql";
import { splitTsqlBatches } from "../guardrails/tsql-batches.js";
import type {
  CommitResult,
  Dialect,
  DialectSession,
  OutcomeError,
  RollbackResult,
  WriteCount,
} from "./dialect-hooks.js";
import { pinnedSessionBatch, planBatches } from "./mssql-batches.js";
import type { PlannedBatch } from "./mssql-batches.js";
import {
  MSSQL_ABORTED_CODE,
  formatMssqlError,
  mssqlCommitFailure,
  toMssqlErrorLike,
} from "./mssql-errors.js";
import { tsqlRefusal } from "./mssql-refusals.js";
import { MssqlResultAssembler } from "./mssql-results.js";
import type { MssqlColumn } from "./mssql-results.js";
import type { NoticeCollector } from "./notice-collector.js";
import type { Redactor } from "./redact.js";
import { messageOf, stringFieldOf } from "./thrown-message.js";
import type { ExecuteOptions, ResultSet } from "./types.js";

/** SQL Server 2016 and later; any user may read the id of its own transaction. */
const TRANSACTION_ID_QUERY = "SELECT CURRENT_TRANSACTION_ID() AS transaction_id";

interface TransactionRow {
  transaction_id: unknown;
}

/** The id as text (a bigint arrives as a string), or undefined when there is none. */
function transactionIdOf(rows: TransactionRow[] | undefined): string | undefined {
  const id = rows?.[0]?.transaction_id;
  return typeof id === "string" || typeof id === "number" || typeof id === "bigint"
    ? String(id)
    : undefined;
}

export function mssqlDialect(config: sql.config): Dialect<PlannedBatch> {
  return {
    // SQL Server has no read-only transaction: a read-only command is always rolled back.
    readOnlyByRowCount: true,
    prepare: (options) => {
      const refusal = tsqlRefusal(options.sql);
      if (refusal !== null)
        return { ok: false, message: refusal, code: "COUNTERSIGN_REFUSED_STATEMENT" };
      const batches = planBatches(splitTsqlBatches(options.sql));
      if (batches.length === 0)
        return {
          ok: false,
          message: "The command contains no SQL batch.",
          code: "COUNTERSIGN_EMPTY",
        };
      return { ok: true, units: batches };
    },
    open: (options, notices, redact) => new MssqlSession(config, options, notices, redact),
  };
}

class MssqlSession implements DialectSession<PlannedBatch> {
  private readonly assembler: MssqlResultAssembler;
  private readonly pool: sql.ConnectionPool;
  private transaction: sql.Transaction | undefined;
  /** The request an abort cancels. */
  private currentRequest: sql.Request | undefined;
  /** CURRENT_TRANSACTION_ID() of the transaction begin() opened: the one COMMIT may end. */
  private transactionId: string | undefined;

  constructor(
    config: sql.config,
    private readonly options: ExecuteOptions,
    private readonly notices: NoticeCollector,
    redact: Redactor,
  ) {
    this.assembler = new MssqlResultAssembler(options.keepRows, redact);
    this.pool = new sql.ConnectionPool({ ...config, requestTimeout: options.statementTimeoutMs });
    // Errors of idle pooled connections arrive as events; the failure surfaces through the
    // pending call, the listener only keeps Node from crashing.
    this.pool.on("error", () => undefined);
  }

  async connect(): Promise<void> {
    await this.pool.connect();
  }

  async begin(): Promise<void> {
    // Set before begin(): if begin() fails, the error path's rollback still runs (ENOTBEGUN).
    this.transaction = new sql.Transaction(this.pool);
    await this.transaction.begin();
    const pinned = await new sql.Request(this.transaction).batch<TransactionRow>(
      `${pinnedSessionBatch(this.options.lockTimeoutMs)} ${TRANSACTION_ID_QUERY};`,
    );
    const id = transactionIdOf(pinned.recordset);
    // Without the id, a command that commits and begins again could not be told apart.
    if (id === undefined) throw new Error("SQL Server did not report the transaction's id");
    this.transactionId = id;
  }

  async run(batch: PlannedBatch): Promise<void> {
    const request = new sql.Request(this.begun());
    this.currentRequest = request;
    await runStreamingBatch(request, batch.text, this.assembler, (m) => this.notices.add(m));
  }

  async countWrites(): Promise<WriteCount> {
    // The request an abort cancels: a stop during the check must not wait for it to end.
    const request = new sql.Request(this.begun());
    this.currentRequest = request;
    const now = await request.query<TransactionRow & { depth: number }>(
      `SELECT @@TRANCOUNT AS depth, ${TRANSACTION_ID_QUERY.replace(/^SELECT /, "")}`,
    );
    const depth = now.recordset[0]?.depth ?? 0;
    return {
      affectedRows: this.assembler.affectedRows,
      transactionDepth: depth,
      // At depth 0 there is no transaction to compare: the depth alone refuses the commit.
      transactionReplaced: depth > 0 && transactionIdOf(now.recordset) !== this.transactionId,
    };
  }

  rollback(): Promise<RollbackResult> {
    return this.rollbackAfterError();
  }

  async commit(): Promise<CommitResult> {
    try {
      await this.begun().commit();
      return { committed: true };
    } catch (error) {
      return mssqlCommitFailure(error);
    }
  }

  async rollbackAfterError(): Promise<RollbackResult> {
    return this.transaction === undefined
      ? { rolledBack: false }
      : rollbackQuietly(this.transaction);
  }

  cancel(): void {
    this.currentRequest?.cancel();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  results(): { resultSets: ResultSet[]; affectedRows: number } {
    this.assembler.finish();
    return { resultSets: this.assembler.resultSets, affectedRows: this.assembler.affectedRows };
  }

  describeError(
    error: unknown,
    phase: "connect" | "execute",
    batch: PlannedBatch | undefined,
  ): OutcomeError {
    const { statementTimeoutMs } = this.options;
    return formatMssqlError(toMssqlErrorLike(error), batch?.startLine, statementTimeoutMs, phase);
  }

  private begun(): sql.Transaction {
    if (this.transaction === undefined) throw new Error("The transaction was not begun.");
    return this.transaction;
  }
}

/**
 * ROLLBACK, for a transaction COMMIT was never sent for. It counts as rolled back even when
 * ROLLBACK fails: EABORT says the server already rolled it back, ENOTBEGUN that it never began,
 * and otherwise the pool is closed next, and SQL Server rolls back an open transaction when its
 * session ends.
 */
async function rollbackQuietly(transaction: sql.Transaction): Promise<RollbackResult> {
  try {
    await transaction.rollback();
    return { rolledBack: true };
  } catch (error) {
    const code = stringFieldOf(error, "code");
    if (code === MSSQL_ABORTED_CODE || code === "ENOTBEGUN") return { rolledBack: true };
    return {
      rolledBack: true,
      problem: `${messageOf(error)} (SQL Server rolls an open transaction back when its session ends; Countersign closes it now)`,
    };
  }
}

type ColumnMeta = { name: string; type?: { declaration?: string } };

/**
 * Runs one batch with `request.stream = true`. Rows are handed to the assembler as they arrive
 * and dropped past `keepRows`, synchronously, so nothing accumulates and the socket is never
 * read faster than we consume; pause()/resume() would only matter for an asynchronous consumer.
 * All of a batch's errors are collected: with XACT_ABORT the first one is the cause.
 */
function runStreamingBatch(
  request: sql.Request,
  text: string,
  assembler: MssqlResultAssembler,
  notice: (message: string) => void,
): Promise<void> {
  request.stream = true;
  request.arrayRowMode = true;
  return new Promise((resolve, reject) => {
    const errors: unknown[] = [];
    request.on("recordset", (columns: ColumnMeta[]) => {
      const cols: MssqlColumn[] = columns.map((c) => ({
        name: c.name,
        kind: (c.type?.declaration ?? "").toLowerCase(),
      }));
      assembler.recordset(cols);
    });
    request.on("row", (row: unknown[]) => assembler.row(row));
    request.on("rowsaffected", (count: number) => assembler.rowsAffected(count));
    request.on("info", (info: { message: string }) => notice(info.message));
    request.on("error", (error: unknown) => errors.push(error));
    request.on("done", () => {
      assembler.finish();
      if (errors.length > 0) reject(errors[0]);
      else resolve();
    });
    // batch() sends the text as is (query() would wrap it in sp_executesql).
    void request.batch(text).catch((error: unknown) => {
      errors.push(error);
      reject(errors[0]);
    });
  });
}
