/**
 * The plan before approval on PostgreSQL (issue 16): each statement of the command is
 * EXPLAINed, never run. `EXPLAIN (FORMAT JSON, VERBOSE)` without ANALYZE, in a READ ONLY
 * transaction that is always rolled back, under the settings the execution pins
 * (pg-settings.ts) with a short statement_timeout and lock_timeout; a statement the server
 * refuses to plan does not cost the others their plan (the transaction is begun again).
 *
 * Why nothing runs: EXPLAIN without ANALYZE plans and stops; the planner never calls a volatile
 * function. It may evaluate an immutable or stable function with constant arguments (constant
 * folding, selectivity estimates); one that is mislabelled and writes is stopped by the READ
 * ONLY transaction (no INSERT, no nextval), and the ROLLBACK discards the rest. Planning an
 * UPDATE/DELETE takes the same RowExclusiveLock as running it would, for the few milliseconds
 * of the plan, bounded by lock_timeout.
 *
 * A statement that cannot be planned (DDL, SET, a table that an earlier statement would
 * create) is reported as having no plan, with the reason; only a target that cannot be reached
 * or a session that cannot be set up makes the whole plan unavailable.
 */
import pg from "pg";
import { readExplain } from "./plan-types.js";
import type { PlanResult, RawSeqScan, SeqScan, StatementPlan } from "./plan-types.js";
import { describePgConnectError, describePgError } from "./pg-errors.js";
import { checkPinnedSettings, pinSettings } from "./pg-settings-watch.js";
import type { SettingsWatch } from "./pg-settings-watch.js";
import { splitPgStatements } from "./pg-split.js";
import type { PgStatement, SplitResult } from "./pg-split.js";
import { credentialRedactor } from "./redact.js";
import type { Redactor } from "./redact.js";
import { elapsedMs } from "./refuse-before-start.js";
import { messageOf, stringFieldOf } from "./thrown-message.js";

export interface PlanOptions {
  /** statement_timeout of each EXPLAIN; default 2 s. */
  statementTimeoutMs?: number;
  /** lock_timeout of each EXPLAIN (planning a write locks its table); default 1 s. */
  lockTimeoutMs?: number;
  /** A sequential scan of a relation with at least this many rows is a warning; default 100,000. */
  seqScanWarnRows?: number;
  /** Gives up connecting after this long; default 5 s. */
  connectTimeoutMs?: number;
  /** Statements past this many are listed without a plan; default 100. */
  maxStatements?: number;
}

const DEFAULTS: Required<PlanOptions> = {
  statementTimeoutMs: 2_000,
  lockTimeoutMs: 1_000,
  seqScanWarnRows: 100_000,
  connectTimeoutMs: 5_000,
  maxStatements: 100,
};

/** Statement kinds PostgreSQL has a query plan for; everything else is a utility statement. */
const PLANNABLE = new Set(["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

function settle(options: PlanOptions): Required<PlanOptions> | string {
  const settled = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof PlanOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) return `${key} must be a positive integer.`;
    settled[key] = value;
  }
  return settled;
}

/**
 * Plans `sql` on the PostgreSQL database at `url` without running it. Never throws: a target
 * that cannot be reached is `{ ok: false, reason }`, credentials redacted.
 */
export async function planCommand(
  url: string,
  sql: string,
  options: PlanOptions = {},
): Promise<PlanResult> {
  const startedAt = performance.now();
  const plannedAt = new Date().toISOString();
  const settled = settle(options);
  if (typeof settled === "string") return { ok: false, reason: settled };
  const redact = credentialRedactor(url);
  let split: SplitResult;
  try {
    split = await splitPgStatements(sql, false);
  } catch (error) {
    return { ok: false, reason: redact(`The command could not be split: ${messageOf(error)}`) };
  }
  if (!split.ok) return { ok: false, reason: `The command is refused: ${split.message}` };
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: settled.connectTimeoutMs,
    application_name: "countersign-plan",
    // A server that stops answering must not hold the intake: the client gives up too.
    query_timeout: settled.statementTimeoutMs + settled.connectTimeoutMs,
  });
  // A connection lost while idle is an 'error' event; without a listener Node would crash.
  client.on("error", () => undefined);
  let rolledBack = false;
  try {
    await client.connect().catch((error: unknown) => {
      throw new Error(describePgConnectError(error).message);
    });
    const statements = await planInSession(client, split.statements, settled, redact);
    rolledBack = true;
    const total = statements.reduce((sum, s) => sum + (s.planned ? s.estimatedRows : 0), 0);
    const durationMs = elapsedMs(startedAt);
    const warn = settled.seqScanWarnRows;
    return {
      ok: true,
      statements,
      totalEstimatedRows: total,
      seqScanWarnRows: warn,
      plannedAt,
      durationMs,
    };
  } catch (error) {
    return { ok: false, reason: redact(messageOf(error)) };
  } finally {
    // After a ROLLBACK the server's goodbye is not waited for (it is most of a plan's latency);
    // otherwise ending the session is what aborts the transaction, so it is awaited.
    const ended = client.end().catch(() => undefined);
    if (!rolledBack) await ended;
  }
}

/** Plans each statement in read-only transactions that are all rolled back. Throws when the session fails. */
async function planInSession(
  client: pg.Client,
  statements: PgStatement[],
  options: Required<PlanOptions>,
  redact: Redactor,
): Promise<StatementPlan[]> {
  let plans: StatementPlan[];
  try {
    plans = await planStatements(client, statements, options, redact);
  } catch (error) {
    // The first failure is the reason; a ROLLBACK on a broken session would only hide it.
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  await client.query("ROLLBACK");
  return plans;
}

/** BEGIN READ ONLY and the execution's pinned settings, with the short timeouts. */
async function begin(client: pg.Client, options: Required<PlanOptions>): Promise<SettingsWatch> {
  await client.query("BEGIN READ ONLY");
  return pinSettings(client, { readOnly: true, ...options });
}

/**
 * One transaction for all statements: a statement the server refuses to plan aborts it, and
 * it is rolled back and begun again (rarer, and cheaper overall, than a SAVEPOINT around every
 * statement: each round trip is latency added to the intake).
 */
async function planStatements(
  client: pg.Client,
  statements: PgStatement[],
  options: Required<PlanOptions>,
  redact: Redactor,
): Promise<StatementPlan[]> {
  let watch = await begin(client, options);
  const plans: StatementPlan[] = [];
  const scans = new Map<number, RawSeqScan[]>();
  for (const [index, statement] of statements.entries()) {
    const number = index + 1;
    if (index >= options.maxStatements) {
      const reason = `only the first ${options.maxStatements} statements are planned`;
      plans.push(unplanned(number, statement, reason));
      continue;
    }
    const planned = await planStatement(client, statement, number, options, redact);
    plans.push(planned.plan);
    if (planned.failed) {
      // Also undoes anything a mislabelled function did before it failed.
      await client.query("ROLLBACK");
      watch = await begin(client, options);
    } else if (planned.explained) {
      // A function evaluated at plan time could have changed a pinned setting (a timeout) for
      // the statements after it: that stops the plan, as it stops an execution.
      await checkPinnedSettings(client, watch, index);
    }
    if (planned.scans.length > 0) scans.set(number, planned.scans);
  }
  const sizes = await relationSizes(client, [...scans.values()].flat());
  return plans.map((plan) =>
    plan.planned
      ? { ...plan, seqScans: seqScansOf(scans.get(plan.number) ?? [], sizes, options) }
      : plan,
  );
}

function unplanned(
  number: number,
  statement: PgStatement,
  reason: string,
  code?: string,
): StatementPlan {
  return {
    number,
    text: statement.text,
    kind: statement.kind,
    planned: false,
    reason,
    ...(code === undefined ? {} : { code }),
  };
}

/** pg's extended protocol sends the text as ONE statement: a second one is an error, never run. */
type ExtendedQuery = pg.QueryConfig & { queryMode: "extended" };

interface StatementOutcome {
  plan: StatementPlan;
  scans: RawSeqScan[];
  /** EXPLAIN was sent and succeeded. */
  explained: boolean;
  /** EXPLAIN was sent and failed: the transaction is aborted. */
  failed: boolean;
}

async function planStatement(
  client: pg.Client,
  statement: PgStatement,
  number: number,
  options: Required<PlanOptions>,
  redact: Redactor,
): Promise<StatementOutcome> {
  const skipped = (reason: string): StatementOutcome => ({
    plan: unplanned(number, statement, reason),
    scans: [],
    explained: false,
    failed: false,
  });
  if (statement.kind === "unparsed")
    return skipped("the command could not be parsed, so it is not planned");
  if (!PLANNABLE.has(statement.kind)) {
    return skipped(
      `${statement.kind.replace(/Stmt$/, "")} is a utility statement (DDL, SET …): PostgreSQL has a plan only for SELECT, INSERT, UPDATE, DELETE and MERGE`,
    );
  }
  let json: unknown;
  try {
    const query: ExtendedQuery = {
      text: `EXPLAIN (FORMAT JSON, VERBOSE) ${statement.text}`,
      queryMode: "extended",
    };
    const result = await client.query<Record<string, unknown>>(query);
    json = result.rows[0]?.["QUERY PLAN"];
  } catch (error) {
    const described = describePgError(error, undefined, options);
    const reason = redact(`the server could not plan it: ${described.message}`);
    const code = stringFieldOf(error, "code");
    return {
      plan: unplanned(number, statement, reason, code),
      scans: [],
      explained: false,
      failed: true,
    };
  }
  const read = readExplain(json);
  if (read === null) return { ...skipped("the server's plan could not be read"), explained: true };
  const { scans, ...rest } = read;
  const plan: StatementPlan = {
    number,
    text: statement.text,
    kind: statement.kind,
    planned: true,
    ...rest,
    seqScans: [],
  };
  return { plan, scans, explained: true, failed: false };
}

const relationKey = (schema: string, name: string) => JSON.stringify([schema, name]);

/**
 * What the planner believes each scanned relation holds (pg_class.reltuples; -1 when never
 * analyzed), in one round trip. Schema-qualified throughout, like the pin: nothing may resolve
 * through the role's search_path. A failure (it is only an aid to the warning) leaves the
 * scans' own estimates.
 */
async function relationSizes(client: pg.Client, scans: RawSeqScan[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const unique = [...new Map(scans.map((s) => [relationKey(s.schema, s.name), s])).values()];
  if (unique.length === 0) return sizes;
  // The last query of the transaction, so a failure here costs nothing but the sizes.
  try {
    const result = await client.query<{ schema: string; name: string; tuples: number }>(
      "SELECT s.schema, s.name, c.reltuples::pg_catalog.float8 AS tuples " +
        "FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) " +
        "AS s(schema, name) " +
        "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) " +
        "pg_catalog.to_regclass(pg_catalog.format('%I.%I', s.schema, s.name))",
      [unique.map((s) => s.schema), unique.map((s) => s.name)],
    );
    for (const row of result.rows) sizes.set(relationKey(row.schema, row.name), Number(row.tuples));
  } catch {
    // Only an aid to the warning: the scans' own estimates stand.
  }
  return sizes;
}

/** One entry per relation, the largest estimate wins; flagged when at the threshold. */
function seqScansOf(
  scans: RawSeqScan[],
  sizes: Map<string, number>,
  options: Required<PlanOptions>,
): SeqScan[] {
  const byRelation = new Map<string, SeqScan>();
  for (const scan of scans) {
    const key = relationKey(scan.schema, scan.name);
    const tuples = sizes.get(key) ?? -1;
    const tableRows = Math.round(
      Math.max(tuples, scan.planRows, byRelation.get(key)?.tableRows ?? 0),
    );
    byRelation.set(key, {
      schema: scan.schema,
      name: scan.name,
      tableRows,
      large: tableRows >= options.seqScanWarnRows,
    });
  }
  return [...byRelation.values()];
}
