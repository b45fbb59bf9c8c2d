/**
 * PostgreSQL engine (DESIGN §1.5): one dedicated connection per execution, the whole command in
 * one transaction (READ ONLY when asked) whose reading of text and bounds (timeouts, read-only)
 * are pinned at its start and checked after every statement (pg-settings.ts), each statement
 * streamed through a pg-cursor so only `keepRows` rows are ever held, and the affected-row
 * limit checked before COMMIT.
 */
import pg from "pg";
import Cursor from "pg-cursor";
import type { FieldDef, QueryResult } from "pg";
import {
  NoticeCollector,
  ResultSetBuilder,
  decideFinish,
  elapsedMs,
  failedBeforeStart,
  messageOf,
  refuseBeforeStart,
} from "./common.js";
import {
  PIN_SQL,
  WATCH_SQL,
  changedSettings,
  pinParameters,
  pinProblem,
  pinnedSettings,
  watchedNames,
} from "./pg-settings.js";
import type { SettingValue } from "./pg-settings.js";
import { splitPgStatements } from "./pg-split.js";
import type { PgStatement } from "./pg-split.js";
import { credentialRedactor } from "./redact.js";
import type { Engine, ExecuteOptions, ExecutionOutcome, ResultSet } from "./types.js";

/** Rows fetched per round trip: large enough to be fast, small enough to bound memory. */
export const PG_BATCH_ROWS = 1000;

/** Commands whose tag count is a number of rows written (summed into affectedRows). */
const WRITE_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

const OID_BYTEA = 17;
const OID_TIMESTAMP = 1114;
const OID_TIMESTAMPTZ = 1184;

/**
 * Every column is received as the server's text. Converting happens later, and only for the
 * rows that are kept: a million dropped rows must not pay for Date or Buffer objects.
 */
const RAW_TEXT_TYPES = {
  getTypeParser: () => (value: string) => value,
  // The pg typings declare getTypeParser as the overloaded pg-types function; an identity
  // parser satisfies every overload at run time but not the overload set, hence the cast.
} as unknown as pg.CustomTypesConfig;

const ISO_TIMESTAMP =
  /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/**
 * Server text → the stringified cell of a ResultSet. Numbers, json, uuid, arrays … are already
 * exact text. Timestamps in PostgreSQL's ISO DateStyle get the ISO 8601 "T" and a full offset;
 * other DateStyles, infinity and BC dates are left as the server wrote them. The session's
 * DateStyle/TimeZone are deliberately not changed: that would change what the command does.
 */
export function stringifyPgCell(oid: number, raw: string): string {
  if (oid === OID_BYTEA) {
    if (raw.startsWith("\\x")) return raw;
    // bytea_output = escape: decode with pg's own parser and re-encode as hex.
    const buffer = pg.types.getTypeParser(OID_BYTEA, "text")(raw) as Buffer;
    return "\\x" + buffer.toString("hex");
  }
  if (oid === OID_TIMESTAMP || oid === OID_TIMESTAMPTZ) {
    const m = ISO_TIMESTAMP.exec(raw);
    if (m === null) return raw;
    const [, date, time, offH, offM, offS] = m;
    if (offH === undefined) return `${date}T${time}`;
    let offset = `${offH}:${offM ?? "00"}`;
    if (offS !== undefined) offset += `:${offS}`;
    return `${date}T${time}${offset === "+00:00" ? "Z" : offset}`;
  }
  return raw;
}

type PgErrorLike = Error & {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
};

export interface PostgresEngineOptions {
  /** Gives up connecting after this long (pg's connectionTimeoutMillis). */
  connectTimeoutMs?: number;
}

class AbortedError extends Error {}

/** A statement changed a pinned or guarded setting; the command stops there. */
class SettingChangedError extends Error {}

interface SettingsWatch {
  names: string[];
  baseline: SettingValue[];
}

/**
 * Pins the settings (pg-settings.ts) at the start of the transaction and reads the baseline
 * that every statement is checked against afterwards.
 */
async function pinSettings(client: pg.Client, options: ExecuteOptions): Promise<SettingsWatch> {
  const settings = pinnedSettings(options);
  const pinned = await client.query<SettingValue>(PIN_SQL, pinParameters(settings));
  const problem = pinProblem(settings, pinned.rows);
  if (problem !== null) throw new Error(`Countersign ${problem} for the execution.`);
  const names = watchedNames(settings);
  const baseline = await client.query<SettingValue>(WATCH_SQL, [names]);
  return { names, baseline: baseline.rows };
}

/**
 * Catches what the splitter cannot see in the tree: a DO block or a function that calls
 * set_config or runs SET through EXECUTE.
 */
async function checkPinnedSettings(
  client: pg.Client,
  watch: SettingsWatch,
  statementIndex: number,
): Promise<void> {
  const now = await client.query<SettingValue>(WATCH_SQL, [watch.names]);
  const changed = changedSettings(watch.baseline, now.rows);
  if (changed.length === 0) return;
  throw new SettingChangedError(
    `Statement ${statementIndex + 1} changed ${changed.join(", ")}, which Countersign pins for the ` +
      "execution so that the database reads the command as the guardrails and the reviewers did. " +
      "The command was stopped before its next statement and rolled back.",
  );
}

export class PostgresEngine implements Engine {
  readonly kind = "postgres" as const;
  private readonly active = new Set<pg.Client>();
  private closed = false;
  private readonly redact: (text: string) => string;

  constructor(
    private readonly url: string,
    private readonly options: PostgresEngineOptions = {},
  ) {
    this.redact = credentialRedactor(url);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active].map((c) => c.end().catch(() => undefined)));
  }

  async execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    const refused = refuseBeforeStart(this.closed, options, startedAt);
    if (refused !== null) return refused;

    const split = await splitPgStatements(options.sql, options.readOnly);
    if (!split.ok) return failedBeforeStart(split.message, startedAt, split.code);

    const notices = new NoticeCollector(this.redact);
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
      application_name: "countersign",
    });
    // A connection lost while idle is reported as an 'error' event; without a listener Node
    // would crash the worker. The failure itself surfaces through the pending query.
    client.on("error", () => undefined);
    client.on("notice", (n) => notices.add(`${n.severity ?? "NOTICE"}: ${n.message ?? ""}`));
    this.active.add(client);

    const resultSets: ResultSet[] = [];
    let tagAffected = 0;
    let inTransaction = false;
    let aborted = false;
    let connected = false;
    let currentStatement: PgStatement | undefined;
    const onAbort = () => {
      aborted = true;
      // Cancel the running statement from a second connection; the pending read then fails
      // with 57014 and the normal error path rolls back.
      void this.cancelBackend(client);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const outcome = (
      status: ExecutionOutcome["status"],
      rolledBack: boolean,
      error?: ExecutionOutcome["error"],
    ): ExecutionOutcome => ({
      status,
      resultSets,
      affectedRows: tagAffected,
      durationMs: elapsedMs(startedAt),
      notices: notices.notices,
      ...(error === undefined ? {} : { error }),
      rolledBack,
    });

    try {
      await client.connect();
      connected = true;
      await client.query(options.readOnly ? "BEGIN READ ONLY" : "BEGIN");
      inTransaction = true;
      const watch = await pinSettings(client, options);

      for (const [index, statement] of split.statements.entries()) {
        if (aborted) throw new AbortedError();
        currentStatement = statement;
        const set = await this.runStatement(client, statement, options.keepRows, () => aborted);
        resultSets.push(set);
        if (set.affectedRows !== null && WRITE_COMMANDS.has(set.command))
          tagAffected += set.affectedRows;
        // Before the next statement is even sent: the splitter read it under the pinned rules.
        // (An error of the check's own query must not be placed in the command's text.)
        currentStatement = undefined;
        await checkPinnedSettings(client, watch, index);
      }
      currentStatement = undefined;
      if (aborted) throw new AbortedError();

      // Rows written inside functions, DO blocks, triggers and cascades do not appear in the
      // command tags; the transaction's table statistics see them. The limit uses the larger.
      const statsAffected = await this.transactionWrites(client);
      const counted = Math.max(tagAffected, statsAffected);
      const decision = decideFinish({
        readOnly: options.readOnly,
        affectedRows: counted,
        ...(options.maxAffectedRows === undefined
          ? {}
          : { maxAffectedRows: options.maxAffectedRows }),
        readOnlyByRowCount: false,
      });
      if (decision.action === "rollback") {
        await client.query("ROLLBACK");
        inTransaction = false;
        if (decision.succeeded) return outcome("succeeded", true);
        const why =
          statsAffected > tagAffected
            ? ` (${statsAffected} counted from the transaction's table statistics, which include rows written by functions, DO blocks, triggers and cascades; the statements themselves reported ${tagAffected})`
            : "";
        return outcome("failed", true, { message: decision.message + why, code: decision.code });
      }
      try {
        await client.query("COMMIT");
        inTransaction = false;
      } catch (error) {
        inTransaction = false;
        const e = error as PgErrorLike;
        // A server error at COMMIT (deferred constraint, serialization failure) means the
        // transaction was rolled back; a lost connection leaves the outcome unknown.
        if (e.code !== undefined)
          return outcome("failed", true, this.describeError(e, undefined, options));
        return outcome("failed", false, {
          message: this.redact(
            `The connection failed during COMMIT; whether the command was committed is unknown: ${messageOf(error)}`,
          ),
          code: "COUNTERSIGN_COMMIT_UNKNOWN",
        });
      }
      return outcome("succeeded", false);
    } catch (error) {
      let rolledBack = false;
      if (inTransaction) {
        try {
          await client.query("ROLLBACK");
        } catch {
          // The connection is gone; PostgreSQL aborts an open transaction when its session ends.
        }
        rolledBack = true;
      }
      if (error instanceof SettingChangedError) {
        return outcome("failed", rolledBack, {
          message: this.redact(error.message),
          code: "COUNTERSIGN_SETTING_CHANGED",
        });
      }
      if (aborted || error instanceof AbortedError) {
        const reason =
          options.signal?.reason instanceof Error ? `: ${options.signal.reason.message}` : "";
        return outcome("failed", rolledBack, {
          message: this.redact(`Execution was aborted${reason}.`),
          code: "COUNTERSIGN_ABORTED",
        });
      }
      if (!connected) {
        const e = error as PgErrorLike;
        return outcome("failed", false, {
          message: this.redact(`Could not connect to PostgreSQL: ${messageOf(error)}`),
          ...(typeof e.code === "string" ? { code: e.code } : {}),
        });
      }
      return outcome(
        "failed",
        rolledBack,
        this.describeError(error as PgErrorLike, currentStatement, options),
      );
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.active.delete(client);
      await client.end().catch(() => undefined);
    }
  }

  /** Streams one statement through a cursor; keeps `keepRows` rows and counts all. */
  private async runStatement(
    client: pg.Client,
    statement: PgStatement,
    keepRows: number,
    isAborted: () => boolean,
  ): Promise<ResultSet> {
    const cursor = client.query(
      new Cursor<(string | null)[]>(statement.text, undefined, {
        rowMode: "array",
        types: RAW_TEXT_TYPES,
      }),
    );
    let builder: ResultSetBuilder | undefined;
    let oids: number[] = [];
    let result: QueryResult | undefined;
    let failed = false;
    try {
      for (;;) {
        const batch = await readBatch(cursor, PG_BATCH_ROWS);
        const rows = batch.rows;
        if (batch.result !== undefined) result = batch.result;
        if (builder === undefined && result !== undefined && result.fields.length > 0) {
          builder = new ResultSetBuilder(
            result.fields.map((f: FieldDef) => f.name),
            keepRows,
            this.redact,
          );
          oids = result.fields.map((f: FieldDef) => f.dataTypeID);
        }
        if (builder !== undefined) {
          for (const row of rows) {
            if (builder.wantsRows) {
              builder.add(
                row.map((cell, i) => (cell === null ? null : stringifyPgCell(oids[i] ?? 0, cell))),
              );
            } else {
              builder.addUncounted(1);
            }
          }
        }
        if (rows.length < PG_BATCH_ROWS) {
          const command = result?.command ?? "";
          const tagCount = result?.rowCount ?? null;
          if (builder === undefined) {
            return { columns: [], rows: [], totalRows: 0, command, affectedRows: tagCount };
          }
          // A row-returning statement's tag may count only the last batch, so it is not used:
          // INSERT/UPDATE/DELETE/MERGE … RETURNING returns exactly one row per affected row.
          const affected = WRITE_COMMANDS.has(command) ? builder.totalRows : null;
          return builder.finish(command, affected);
        }
        if (isAborted()) throw new AbortedError();
      }
    } catch (error) {
      failed = !(error instanceof AbortedError);
      throw error;
    } finally {
      // Stopped early (abort): close the portal. After a server error pg-cursor has already
      // synced and the portal is gone; closing it again would leave a stray CloseComplete.
      if (!failed) await cursor.close().catch(() => undefined);
    }
  }

  /** Rows inserted/updated/deleted so far in this transaction, per the statistics views. */
  private async transactionWrites(client: pg.Client): Promise<number> {
    try {
      // Schema-qualified and summed here rather than with SQL sum()/+: the command may have
      // changed search_path, and must not be able to shadow what the check relies on.
      // bigint columns arrive as strings with pg's default parsers.
      const r = await client.query<{ i: string; u: string; d: string }>(
        "SELECT n_tup_ins AS i, n_tup_upd AS u, n_tup_del AS d FROM pg_catalog.pg_stat_xact_user_tables",
      );
      return r.rows.reduce((sum, row) => sum + Number(row.i) + Number(row.u) + Number(row.d), 0);
    } catch {
      // If the statistics cannot be read the tag counts still apply.
      return 0;
    }
  }

  private async cancelBackend(client: pg.Client): Promise<void> {
    // processID is set after connect but is not in the pg typings.
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid === undefined) return;
    const canceller = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
      application_name: "countersign-cancel",
    });
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

  private describeError(
    e: PgErrorLike,
    statement: PgStatement | undefined,
    options: ExecuteOptions,
  ): NonNullable<ExecutionOutcome["error"]> {
    let message = messageOf(e);
    if (e.code === "57014" && /statement timeout/i.test(message)) {
      message = `Statement timeout: a statement ran longer than ${options.statementTimeoutMs} ms (statement_timeout) and was cancelled. Server said: ${message}`;
    } else if (e.code === "55P03" && /lock timeout/i.test(message)) {
      message = `Lock timeout: a statement waited longer than ${options.lockTimeoutMs} ms for a lock (lock_timeout) and was cancelled. Server said: ${message}`;
    }
    const extra = [
      e.detail ? `DETAIL: ${e.detail}` : "",
      e.hint ? `HINT: ${e.hint}` : "",
      e.where ? `CONTEXT: ${e.where}` : "",
    ].filter((s) => s !== "");
    if (extra.length > 0) message += "\n" + extra.join("\n");
    const error: NonNullable<ExecutionOutcome["error"]> = { message: this.redact(message) };
    if (typeof e.code === "string") error.code = e.code;
    const position = Number(e.position);
    // PG's position is 1-based within the statement sent; make it relative to the whole command.
    if (statement !== undefined && Number.isInteger(position) && position > 0) {
      error.position = statement.charOffset + position;
    }
    return error;
  }
}

/** cursor.read with the callback form, which also hands over fields and the command tag. */
function readBatch(
  cursor: Cursor<(string | null)[]>,
  n: number,
): Promise<{ rows: (string | null)[][]; result: QueryResult | undefined }> {
  return new Promise((resolve, reject) => {
    // A cursor already done answers with no result object, hence `| undefined`.
    cursor.read(n, (err, rows, result: QueryResult | undefined) =>
      err ? reject(err) : resolve({ rows, result }),
    );
  });
}
