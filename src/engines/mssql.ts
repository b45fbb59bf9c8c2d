/**
 * SQL Server engine (DESIGN §1.5) on the mssql package (tedious driver).
 *
 * One connection per execution; the command's GO-separated batches run in one transaction with
 * SET XACT_ABORT ON (any run-time error aborts and rolls back the whole transaction, also on a
 * client timeout), SET LOCK_TIMEOUT and the options that decide how text is read pinned
 * (pinnedSessionBatch); a command that would change them, end the transaction or change the
 * user is refused before connecting (tsqlRefusal); each batch is one request with the request timeout;
 * rows are streamed and only `keepRows` per result set are kept; PRINT / info messages are kept.
 *
 * Read-only: SQL Server has no read-only transaction. A readOnly command runs in a normal
 * transaction that is ALWAYS rolled back, and fails if any DONE count reports a written row.
 * This is weaker than PostgreSQL's BEGIN READ ONLY: effects outside the transaction (sequence
 * and identity increments, xp_cmdshell, linked servers, a COMMIT inside the command) are not
 * prevented; writes whose counts the server does not report (DDL) are undone but not reported.
 *
 * Affected rows come from DONE counts (see MssqlResultAssembler): SET NOCOUNT ON would hide
 * them, so a command mentioning NOCOUNT is refused; DML with OUTPUT is counted as a result set.
 * The guardrails' T-SQL classifier is the primary control; this is the backstop.
 */
import sql from "mssql";
import { splitTsqlBatches } from "../guardrails/tsql-batches.js";
import {
  NoticeCollector,
  decideFinish,
  elapsedMs,
  failedBeforeStart,
  messageOf,
  refuseBeforeStart,
} from "./common.js";
import {
  MssqlResultAssembler,
  formatMssqlError,
  pinnedSessionBatch,
  planBatches,
  tsqlRefusal,
} from "./mssql-logic.js";
import type { MssqlColumn, MssqlErrorLike, PlannedBatch } from "./mssql-logic.js";
import { credentialRedactor } from "./redact.js";
import type { Engine, ExecuteOptions, ExecutionOutcome } from "./types.js";

type ColumnMeta = { name: string; type?: { declaration?: string } };

export class MssqlEngine implements Engine {
  readonly kind = "mssql" as const;
  private readonly active = new Set<sql.ConnectionPool>();
  private closed = false;
  private readonly redact: (text: string) => string;

  constructor(
    private readonly url: string,
    private readonly config: sql.config,
  ) {
    this.redact = credentialRedactor(url);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active].map((p) => p.close().catch(() => undefined)));
  }

  async execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    const refused = refuseBeforeStart(this.closed, options, startedAt);
    if (refused !== null) return refused;
    const refusal = tsqlRefusal(options.sql);
    if (refusal !== null)
      return failedBeforeStart(refusal, startedAt, "COUNTERSIGN_REFUSED_STATEMENT");
    const batches = planBatches(splitTsqlBatches(options.sql));
    if (batches.length === 0)
      return failedBeforeStart(
        "The command contains no SQL batch.",
        startedAt,
        "COUNTERSIGN_EMPTY",
      );

    const notices = new NoticeCollector(this.redact);
    const assembler = new MssqlResultAssembler(options.keepRows, this.redact);
    const pool = new sql.ConnectionPool({
      ...this.config,
      requestTimeout: options.statementTimeoutMs,
    });
    // Errors of idle pooled connections arrive as events; the failure surfaces through the
    // pending call, the listener only keeps Node from crashing.
    pool.on("error", () => undefined);
    this.active.add(pool);

    let transaction: sql.Transaction | undefined;
    let currentRequest: sql.Request | undefined;
    let currentBatch: PlannedBatch | undefined;
    let aborted = false;
    let connected = false;
    const onAbort = () => {
      aborted = true;
      currentRequest?.cancel();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const outcome = (
      status: ExecutionOutcome["status"],
      rolledBack: boolean,
      error?: ExecutionOutcome["error"],
    ): ExecutionOutcome => {
      assembler.finish();
      return {
        status,
        resultSets: assembler.resultSets,
        affectedRows: assembler.affectedRows,
        durationMs: elapsedMs(startedAt),
        notices: notices.notices,
        ...(error === undefined ? {} : { error }),
        rolledBack,
      };
    };

    try {
      await pool.connect();
      connected = true;
      transaction = new sql.Transaction(pool);
      await transaction.begin();
      await new sql.Request(transaction).batch(pinnedSessionBatch(options.lockTimeoutMs));

      for (const batch of batches) {
        if (aborted) break;
        currentBatch = batch;
        const request = new sql.Request(transaction);
        currentRequest = request;
        await runStreamingBatch(request, batch.text, assembler, (m) => notices.add(m));
      }
      currentRequest = undefined;
      currentBatch = undefined;
      if (aborted) throw new Error("aborted");

      const depth = await new sql.Request(transaction).query<{ depth: number }>(
        "SELECT @@TRANCOUNT AS depth",
      );
      const decision = decideFinish({
        readOnly: options.readOnly,
        affectedRows: assembler.affectedRows,
        ...(options.maxAffectedRows === undefined
          ? {}
          : { maxAffectedRows: options.maxAffectedRows }),
        readOnlyByRowCount: true,
        transactionDepth: depth.recordset[0]?.depth ?? 0,
      });
      if (decision.action === "commit") {
        await transaction.commit();
        return outcome("succeeded", false);
      }
      const rolledBack = await rollbackQuietly(transaction);
      if (decision.succeeded) return outcome("succeeded", rolledBack);
      return outcome(
        "failed",
        decision.code === "COUNTERSIGN_TRANSACTION_ENDED" ? false : rolledBack,
        {
          message: decision.message,
          code: decision.code,
        },
      );
    } catch (error) {
      const rolledBack = transaction === undefined ? false : await rollbackQuietly(transaction);
      if (aborted) {
        const reason =
          options.signal?.reason instanceof Error ? `: ${options.signal.reason.message}` : "";
        return outcome("failed", rolledBack, {
          message: this.redact(`Execution was aborted${reason}.`),
          code: "COUNTERSIGN_ABORTED",
        });
      }
      const formatted = formatMssqlError(
        toErrorLike(error),
        currentBatch?.startLine,
        options.statementTimeoutMs,
        connected ? "execute" : "connect",
      );
      return outcome("failed", rolledBack, {
        ...formatted,
        message: this.redact(formatted.message),
      });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.active.delete(pool);
      await pool.close().catch(() => undefined);
    }
  }
}

/** True when the transaction is known to be gone: rolled back by us or aborted by the server. */
async function rollbackQuietly(transaction: sql.Transaction): Promise<boolean> {
  try {
    await transaction.rollback();
    return true;
  } catch (error) {
    // EABORT: XACT_ABORT (or a server-side ROLLBACK) already ended the transaction.
    // ENOTBEGUN: it never started. Either way nothing of it is committed.
    const code = (error as { code?: string }).code;
    if (code === "EABORT" || code === "ENOTBEGUN") return true;
    // Connection lost: SQL Server rolls back an open transaction when its session ends.
    return true;
  }
}

function toErrorLike(error: unknown): MssqlErrorLike {
  if (error instanceof Error) return error as Error & MssqlErrorLike;
  return { message: messageOf(error) };
}

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
