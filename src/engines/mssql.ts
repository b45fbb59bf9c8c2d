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
 *
 * The flow is the execution skeleton's; the SQL Server calls are in mssql-session.ts.
 */
import type sql from "mssql";
import { ExecutionRunner } from "./execution-skeleton.js";
import type { PlannedBatch } from "./mssql-batches.js";
import { mssqlDialect } from "./mssql-session.js";
import { credentialRedactor } from "./redact.js";
import type { Engine, ExecuteOptions, ExecutionOutcome } from "./types.js";

export class MssqlEngine implements Engine {
  readonly kind = "mssql" as const;
  private readonly runner: ExecutionRunner<PlannedBatch>;

  /** `config` comes from parseMssqlUrl(url); `url` is kept only to redact its credentials. */
  constructor(url: string, config: sql.config) {
    this.runner = new ExecutionRunner(mssqlDialect(config), credentialRedactor(url));
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    return this.runner.execute(options);
  }
}
