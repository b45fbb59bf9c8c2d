/**
 * PostgreSQL's hooks for the execution skeleton: one dedicated pg.Client per execution, the
 * command split into statements by PostgreSQL's own parser (pg-split.ts), a transaction that is
 * READ ONLY when asked with its settings pinned and watched (pg-settings-watch.ts), statements
 * streamed through a cursor, and cancellation from a second connection.
 */
import pg from "pg";
import type {
  CommitResult,
  Dialect,
  DialectSession,
  OutcomeError,
  RollbackResult,
  WriteCount,
} from "./dialect-hooks.js";
import type { NoticeCollector } from "./notice-collector.js";
import { describePgConnectError, describePgError, pgCommitFailure } from "./pg-errors.js";
import { checkPinnedSettings, pinSettings } from "./pg-settings-watch.js";
import type { SettingsWatch } from "./pg-settings-watch.js";
import { splitPgStatements } from "./pg-split.js";
import type { PgStatement } from "./pg-split.js";
import { WRITE_COMMANDS, streamStatement } from "./pg-statement-stream.js";
import { UndoBackups } from "./pg-undo.js";
import type { TableWrites } from "./pg-undo.js";
import { planBackups } from "./pg-undo-plan.js";
import type { BackupPlan } from "./pg-undo-plan.js";
import type { Redactor } from "./redact.js";
import { messageOf } from "./thrown-message.js";
import type { ExecuteOptions, ResultSet, SessionIdentity, UndoBackup } from "./types.js";

export interface PostgresEngineOptions {
  /** Gives up connecting after this long (pg's connectionTimeoutMillis). */
  connectTimeoutMs?: number;
}

export function postgresDialect(
  url: string,
  engineOptions: PostgresEngineOptions,
): Dialect<PgStatement> {
  // The undo backups planned for each statement (keyed by the statement object prepare
  // returns, which is the unit the session runs).
  const plans = new WeakMap<PgStatement, BackupPlan>();
  return {
    // PostgreSQL enforces read-only in the server (BEGIN READ ONLY).
    readOnlyByRowCount: false,
    prepare: async (options) => {
      const split = await splitPgStatements(options.sql, options.readOnly);
      if (!split.ok) return { ok: false, message: split.message, code: split.code };
      // A read-only transaction changes no row, so there is nothing to back up.
      if (options.undo === undefined || options.readOnly)
        return { ok: true, units: split.statements };
      const planned = await planBackups(options.sql, split.statements);
      if (!planned.ok) return planned;
      for (const [statement, plan] of planned.plans) plans.set(statement, plan);
      return { ok: true, units: split.statements };
    },
    open: (options, notices, redact) =>
      new PostgresSession(url, engineOptions, options, notices, redact, plans),
  };
}

export function pgClient(
  url: string,
  engineOptions: PostgresEngineOptions,
  name: string,
): pg.Client {
  return new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: engineOptions.connectTimeoutMs ?? 10_000,
    application_name: name,
  });
}

class PostgresSession implements DialectSession<PgStatement> {
  private readonly client: pg.Client;
  private readonly resultSets: ResultSet[] = [];
  /** Rows written as the statements' command tags report them. */
  private tagAffected = 0;
  private inTransaction = false;
  private watch: SettingsWatch | undefined;
  /** The connection attempt under way, which close() must cut rather than end. */
  private connecting: Promise<unknown> | undefined;
  /** Present when the command keeps undo backups (options.undo on a writing command). */
  private readonly undo: UndoBackups | undefined;
  private committed = false;

  constructor(
    private readonly url: string,
    private readonly engineOptions: PostgresEngineOptions,
    private readonly options: ExecuteOptions,
    notices: NoticeCollector,
    private readonly redact: Redactor,
    private readonly plans: WeakMap<PgStatement, BackupPlan>,
  ) {
    this.client = pgClient(url, engineOptions, "countersign");
    const { undo, readOnly } = options;
    this.undo = undo === undefined || readOnly ? undefined : new UndoBackups(undo.requestId);
    // A connection lost while idle is reported as an 'error' event; without a listener Node
    // would crash the worker. The failure itself surfaces through the pending query.
    this.client.on("error", () => undefined);
    this.client.on("notice", (n) => notices.add(`${n.severity ?? "NOTICE"}: ${n.message ?? ""}`));
  }

  async connect(): Promise<void> {
    this.connecting = this.client.connect();
    try {
      await this.connecting;
    } finally {
      this.connecting = undefined;
    }
  }

  async identity(): Promise<SessionIdentity> {
    const result = await this.client.query<{ pid: number; started: string }>(
      `SELECT pg_backend_pid() AS pid,
              (extract(epoch FROM backend_start) * 1000000)::bigint::text AS started
         FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()`,
    );
    const row = result.rows[0];
    if (row === undefined) throw new Error("the session could not read its own backend");
    return { backendPid: Number(row.pid), backendStart: row.started };
  }

  async begin(): Promise<void> {
    await this.client.query(this.options.readOnly ? "BEGIN READ ONLY" : "BEGIN");
    this.inTransaction = true;
    this.watch = await pinSettings(this.client, this.options);
  }

  async run(statement: PgStatement, isAborted: () => boolean): Promise<void> {
    const { keepRows } = this.options;
    const plan = this.backupPlan(statement);
    if (plan !== undefined) await this.undo?.before(this.client, plan, isAborted);
    const set = await streamStatement(this.client, statement, keepRows, this.redact, isAborted);
    this.resultSets.push(set);
    if (set.affectedRows !== null && WRITE_COMMANDS.has(set.command))
      this.tagAffected += set.affectedRows;
    if (plan !== undefined) this.undo?.after(plan, set.affectedRows);
  }

  /** The statement's undo backup; an UPDATE/DELETE without one never runs under undo. */
  private backupPlan(statement: PgStatement): BackupPlan | undefined {
    if (this.undo === undefined) return undefined;
    const plan = this.plans.get(statement);
    if (plan === undefined && (statement.kind === "UpdateStmt" || statement.kind === "DeleteStmt"))
      throw new Error(`An ${statement.kind} has no undo backup planned: it is not run.`);
    return plan;
  }

  /** Before the next statement is even sent: the splitter read it under the pinned rules. */
  async afterRun(index: number): Promise<void> {
    if (this.watch === undefined) throw new Error("The settings were not pinned.");
    await checkPinnedSettings(this.client, this.watch, index);
  }

  /**
   * Rows written inside functions, DO blocks, triggers and cascades do not appear in the
   * command tags; the transaction's table statistics see them. The limit uses the larger.
   */
  async countWrites(): Promise<WriteCount> {
    const tables = await transactionWrites(this.client);
    // The backups' own rows are Countersign's, not the command's.
    const statsAffected =
      this.undo === undefined
        ? tables.reduce((sum, t) => sum + t.inserted + t.updated + t.deleted, 0)
        : this.undo.commandWrites(tables);
    const tagAffected = this.tagAffected;
    return {
      affectedRows: Math.max(tagAffected, statsAffected),
      note:
        statsAffected > tagAffected
          ? ` (${statsAffected} counted from the transaction's table statistics, which include rows written by functions, DO blocks, triggers and cascades; the statements themselves reported ${tagAffected})`
          : "",
    };
  }

  rollback(): Promise<RollbackResult> {
    return this.rollbackAfterError();
  }

  async commit(): Promise<CommitResult> {
    this.inTransaction = false;
    try {
      await this.client.query("COMMIT");
      this.committed = true;
      return { committed: true };
    } catch (error) {
      return pgCommitFailure(error);
    }
  }

  /**
   * A ROLLBACK that fails still leaves nothing committed, so it counts as rolled back:
   * PostgreSQL never commits without COMMIT, and it aborts an open transaction when its session
   * ends, which close() does right after (if the failure did not already end it).
   */
  async rollbackAfterError(): Promise<RollbackResult> {
    if (!this.inTransaction) return { rolledBack: false };
    this.inTransaction = false;
    try {
      await this.client.query("ROLLBACK");
      return { rolledBack: true };
    } catch (error) {
      return {
        rolledBack: true,
        problem: `${messageOf(error)} (PostgreSQL rolls an open transaction back when its session ends; Countersign closes it now)`,
      };
    }
  }

  /** Cancels the running statement from a second connection; the pending read fails (57014). */
  cancel(): void {
    void cancelBackend(this.client, this.url, this.engineOptions);
  }

  /**
   * pg's end() during connect() takes the client for one that never connected and leaves
   * connect() pending forever, so a connection still being made is cut at its socket instead:
   * connect() then fails at once, and the execution stops.
   */
  async close(): Promise<void> {
    const connecting = this.connecting;
    if (connecting !== undefined) {
      socketOf(this.client)?.destroy();
      await connecting.catch(() => undefined);
    }
    await this.client.end();
  }

  /** The undo backups only once committed: a rolled-back command rolled them back too. */
  results(): { resultSets: ResultSet[]; affectedRows: number; undo?: UndoBackup[] } {
    const undo = this.committed ? this.undo?.entries() : undefined;
    return {
      resultSets: this.resultSets,
      affectedRows: this.tagAffected,
      ...(undo === undefined || undo.length === 0 ? {} : { undo }),
    };
  }

  describeError(
    error: unknown,
    phase: "connect" | "execute",
    statement: PgStatement | undefined,
  ): OutcomeError {
    if (phase === "connect") return describePgConnectError(error);
    return describePgError(error, statement, this.options);
  }
}

/** The client's socket; pg does not type it. */
function socketOf(client: pg.Client): { destroy(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection
    ?.stream;
}

/** Rows inserted/updated/deleted so far in this transaction per table, per the statistics views. */
async function transactionWrites(client: pg.Client): Promise<TableWrites[]> {
  try {
    // Schema-qualified and summed by the caller rather than with SQL sum()/+: the command may
    // have changed search_path, and must not be able to shadow what the check relies on.
    // bigint columns arrive as strings with pg's default parsers.
    const r = await client.query<{ relid: string; i: string; u: string; d: string }>(
      "SELECT relid::pg_catalog.text AS relid, n_tup_ins AS i, n_tup_upd AS u, n_tup_del AS d FROM pg_catalog.pg_stat_xact_user_tables",
    );
    return r.rows.map((row) => ({
      relid: row.relid,
      inserted: Number(row.i),
      updated: Number(row.u),
      deleted: Number(row.d),
    }));
  } catch {
    // If the statistics cannot be read the tag counts still apply (and the undo check, which
    // finds no backup's row, stops the command).
    return [];
  }
}

async function cancelBackend(
  client: pg.Client,
  url: string,
  engineOptions: PostgresEngineOptions,
): Promise<void> {
  // processID is set after connect but is not in the pg typings.
  const pid = (client as unknown as { processID?: number }).processID;
  if (pid === undefined) return;
  const canceller = pgClient(url, engineOptions, "countersign-cancel");
  canceller.on("error", () => undefined);
  try {
    await canceller.connect();
    await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
  } catch {
    // Best effort: the statement timeout still bounds the statement.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}
