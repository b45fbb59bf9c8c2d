/**
 * The SQL Server engine's logic that does not need a server: URL → driver config, cell
 * stringification, turning the driver's stream events into ResultSets, error formatting.
 * Kept apart from the driver code so that it is tested directly (there is no SQL Server in CI).
 */
import { READING_OPTIONS } from "../guardrails/tsql-session.js";
import type { config as MssqlConfig } from "mssql";
import { tokenizeTsql } from "../guardrails/tsql-tokenize.js";
import type { TsqlToken } from "../guardrails/tsql-tokenize.js";
import { NO_REDACTION, ResultSetBuilder, truncateCell } from "./common.js";
import type { ResultSet } from "./types.js";

export const MSSQL_DEFAULT_PORT = 1433;
export const MSSQL_DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** Query parameters understood in a resource URL; anything else is refused, not ignored. */
const KNOWN_PARAMS = new Set([
  "encrypt",
  "trustservercertificate",
  "instancename",
  "connecttimeout",
  "applicationintent",
]);

function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === "true" || v === "1" || v === "yes") return true;
  if (v === "false" || v === "0" || v === "no") return false;
  return null;
}

/**
 * `mssql://user:password@host:1433/database?encrypt=true&trustServerCertificate=false` (or
 * `sqlserver://…`) → the mssql package's config. Errors never quote the URL: it holds the
 * password. Encryption is on and certificates are verified unless the URL says otherwise.
 */
export function parseMssqlUrl(
  url: string,
): { ok: true; config: MssqlConfig } | { ok: false; error: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      ok: false,
      error:
        "The SQL Server URL is malformed; expected mssql://user:password@host:1433/database?encrypt=true " +
        "(the JDBC form with ';' properties is not supported).",
    };
  }
  if (parsed.protocol !== "mssql:" && parsed.protocol !== "sqlserver:")
    return { ok: false, error: `Not a SQL Server URL (scheme ${parsed.protocol}).` };
  if (parsed.hostname === "") return { ok: false, error: "The SQL Server URL has no host." };
  if (parsed.username === "")
    return {
      ok: false,
      error: "The SQL Server URL has no user (only SQL authentication is supported).",
    };
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database === "" || database.includes("/"))
    return {
      ok: false,
      error: "The SQL Server URL must name exactly one database: mssql://…@host:1433/<database>.",
    };
  let port = MSSQL_DEFAULT_PORT;
  if (parsed.port !== "") port = Number(parsed.port);

  const options: NonNullable<MssqlConfig["options"]> = {
    encrypt: true,
    trustServerCertificate: false,
    appName: "countersign",
  };
  let connectionTimeout = MSSQL_DEFAULT_CONNECT_TIMEOUT_MS;
  for (const [rawKey, value] of parsed.searchParams) {
    const key = rawKey.toLowerCase();
    if (!KNOWN_PARAMS.has(key))
      return {
        ok: false,
        error: `Unknown SQL Server URL parameter "${rawKey}" (known: encrypt, trustServerCertificate, instanceName, connectTimeout, applicationIntent).`,
      };
    if (key === "encrypt" || key === "trustservercertificate") {
      const b = parseBoolean(value);
      if (b === null) return { ok: false, error: `URL parameter ${rawKey} must be true or false.` };
      if (key === "encrypt") options.encrypt = b;
      else options.trustServerCertificate = b;
    } else if (key === "instancename") {
      options.instanceName = value;
    } else if (key === "connecttimeout") {
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms <= 0)
        return {
          ok: false,
          error: "URL parameter connectTimeout must be a positive number of milliseconds.",
        };
      connectionTimeout = ms;
    } else if (key === "applicationintent") {
      const intent = value.toLowerCase();
      if (intent !== "readonly" && intent !== "readwrite")
        return {
          ok: false,
          error: "URL parameter applicationIntent must be ReadOnly or ReadWrite.",
        };
      options.readOnlyIntent = intent === "readonly";
    }
  }
  const config: MssqlConfig = {
    server: parsed.hostname.replace(/^\[|\]$/g, ""),
    database,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    connectionTimeout,
    // One execution, one connection: a pool of one that never keeps an idle connection.
    pool: { max: 1, min: 0, idleTimeoutMillis: 1_000 },
    options,
  };
  // mssql ignores the port when an instance name is given (the browser service resolves it).
  if (options.instanceName === undefined) config.port = port;
  return { ok: true, config };
}

/**
 * With SET NOCOUNT ON the server sends no row counts, so neither the affected-row limit nor the
 * read-only check could see any write. Without a T-SQL parser here the engine refuses any command
 * that mentions NOCOUNT at all (comments and strings included): it fails closed.
 */
export function mentionsNoCount(sql: string): boolean {
  return /nocount/i.test(sql);
}

/**
 * SET options a command may not change at all (issue 12, class 1): the engine sets the first
 * ones for the transaction; NOEXEC, PARSEONLY, FMTONLY and SHOWPLAN_* stop statements, the
 * engine's own checks included, from running; the *_COMMIT / *_TRANSACTIONS options and
 * ANSI_DEFAULTS (which turns IMPLICIT_TRANSACTIONS on) move the transaction's bounds.
 */
const REFUSED_SET_OPTIONS = new Set([
  "XACT_ABORT",
  "LOCK_TIMEOUT",
  "IMPLICIT_TRANSACTIONS",
  "NOCOUNT",
  "ANSI_DEFAULTS",
  "NOEXEC",
  "PARSEONLY",
  "FMTONLY",
  "CURSOR_CLOSE_ON_COMMIT",
  "REMOTE_PROC_TRANSACTIONS",
]);

/** Why `SET <option> <value>` is refused, or null. `value` is ON, OFF or null (a number …). */
function optionRefusal(option: string, value: string | null): string | null {
  if (REFUSED_SET_OPTIONS.has(option) || option.startsWith("SHOWPLAN_"))
    return `SET ${option} is not allowed: Countersign sets the session's transaction options for the execution, and the command may not change them.`;
  const pinned = READING_OPTIONS[option];
  if (pinned === undefined && !option.startsWith("ANSI_")) return null;
  if (pinned !== undefined && value === pinned) return null;
  return (
    `SET ${option} ${value ?? ""}`.trimEnd() +
    ` is not allowed: it changes how SQL Server reads the rest of the command${pinned === undefined ? "" : `; only SET ${option} ${pinned}, which Countersign pins, is accepted`}.`
  );
}

/** Characters SQL Server and the tokenizer could place differently (where a comment ends …). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const AMBIGUOUS_CHARACTERS = /\u0000|\r(?!\n)|\u2028|\u2029/;

const TRANSACTION_WORDS = new Set(["TRAN", "TRANSACTION", "DISTRIBUTED"]);

type Token = TsqlToken;

function wordAt(tokens: Token[], index: number): string | null {
  const token = tokens[index];
  return token?.type === "word" ? token.value : null;
}

/**
 * The options named by the SET at `index`, each with the ON/OFF that follows its group
 * (`SET ANSI_NULLS, QUOTED_IDENTIFIER ON` → both ON); a group after a comma is read too.
 */
function setOptionRefusal(tokens: Token[], index: number): string | null {
  // `UPDATE t SET col = …` assigns a column, whatever it is called.
  if (tokens[index + 2]?.type === "op" && tokens[index + 2]?.value === "=") return null;
  let group: string[] = [];
  const check = (value: string | null): string | null => {
    for (const option of group) {
      const refused = optionRefusal(option, value);
      if (refused !== null) return refused;
    }
    group = [];
    return null;
  };
  for (let i = index + 1; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.type === "comma") continue;
    if (token.type !== "word") break;
    if (group.length > 0 && (token.value === "ON" || token.value === "OFF")) {
      const refused = check(token.value);
      if (refused !== null || tokens[i + 1]?.type !== "comma") return refused;
      continue;
    }
    group.push(token.value);
  }
  return check(null);
}

/** The refusal for the statement starting with the word at `index`, if any. */
function tokenRefusal(tokens: Token[], index: number): string | null {
  const word = wordAt(tokens, index);
  const next = wordAt(tokens, index + 1);
  const previous = tokens[index - 1];
  switch (word) {
    case "SET":
      return setOptionRefusal(tokens, index);
    case "COMMIT":
    case "ROLLBACK":
      return `${word} is not allowed: Countersign runs the whole command in one transaction so that it can check it and roll it back.`;
    case "BEGIN":
    case "SAVE":
      return next !== null && TRANSACTION_WORDS.has(next)
        ? `${word} ${next} is not allowed: Countersign runs the whole command in one transaction so that it can check it and roll it back.`
        : null;
    case "EXEC":
    case "EXECUTE":
      // `WITH EXECUTE AS OWNER` in a module's definition is an option of the module, not a
      // change of the session's user.
      if (next !== "AS") return null;
      if (wordAt(tokens, index - 1) === "WITH" || previous?.type === "comma") return null;
      return "EXECUTE AS is not allowed: a command runs as the resource's user, which the reviewers approved.";
    case "REVERT":
    case "SETUSER":
      return `${word} is not allowed: a command runs as the resource's user, which the reviewers approved.`;
    default:
      return null;
  }
}

/**
 * Why the engine refuses to run `sql`, before connecting; null when it may run. Like the
 * PostgreSQL engine, SQL Server's refuses what would end or reshape its transaction (COMMIT,
 * ROLLBACK, BEGIN/SAVE TRAN), change a pinned SET option, or change the user (EXECUTE AS,
 * REVERT). It reads the text with the guardrails' T-SQL tokenizer, so strings, [names] and
 * comments are not mistaken for statements; anything the tokenizer cannot read is refused.
 * COMMIT/ROLLBACK are refused wherever they appear, also inside a procedure's body or as
 * `WITH ROLLBACK IMMEDIATE`: failing closed there costs little, missing one would cost the
 * transaction.
 */
export function tsqlRefusal(sql: string): string | null {
  if (mentionsNoCount(sql))
    return "NOCOUNT is not allowed in a SQL Server command: it hides the row counts the affected-row limit and the read-only check rely on.";
  if (AMBIGUOUS_CHARACTERS.test(sql))
    return "The command contains a NUL, a carriage return without a line feed, or a Unicode line or paragraph separator, which SQL Server and Countersign might read differently.";
  let tokens: Token[];
  try {
    const result = tokenizeTsql(sql);
    if (!result.ok) return `The command could not be read as T-SQL: ${result.message}.`;
    tokens = result.tokens;
  } catch (error) {
    return `The command could not be read as T-SQL: ${error instanceof Error ? error.message : String(error)}.`;
  }
  for (let index = 0; index < tokens.length; index += 1) {
    const refused = tokenRefusal(tokens, index);
    if (refused !== null) return refused;
  }
  return null;
}

/**
 * The first batch of every transaction: the options the command may not change (see
 * tsqlRefusal), set explicitly rather than trusted from the login defaults. SET options set in
 * a batch hold for the following batches of the session. `lockTimeoutMs` is an integer
 * validated by validateOptions, so interpolating it is safe.
 */
export function pinnedSessionBatch(lockTimeoutMs: number): string {
  return [
    "SET XACT_ABORT ON;",
    `SET LOCK_TIMEOUT ${lockTimeoutMs};`,
    "SET IMPLICIT_TRANSACTIONS OFF;",
    "SET QUOTED_IDENTIFIER ON;",
    "SET ANSI_NULLS ON;",
    "SET CURSOR_CLOSE_ON_COMMIT OFF;",
  ].join(" ");
}

/** One GO-separated batch as the engine runs it. */
export interface PlannedBatch {
  text: string;
  startLine: number;
}

/**
 * GO batches → the list of batches to run: `GO n` repeats a batch n times; batches that are
 * only whitespace are dropped (they would be empty requests).
 */
export function planBatches(
  batches: { text: string; startLine: number; repeat: number }[],
): PlannedBatch[] {
  const out: PlannedBatch[] = [];
  for (const b of batches) {
    if (b.text.trim() === "") continue;
    const times = Number.isInteger(b.repeat) && b.repeat > 0 ? b.repeat : 1;
    for (let i = 0; i < times; i++) out.push({ text: b.text, startLine: b.startLine });
  }
  return out;
}

/** The mssql column type's declaration ("datetime2", "varbinary" …), lower case. */
export type MssqlColumnKind = string;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * A driver value → the stringified cell. tedious reads date/time types without a time zone as
 * UTC (mssql's default useUTC), so their UTC fields ARE the stored wall-clock values; they are
 * printed without a zone. Precision below milliseconds (datetime2(7)) is lost by the driver.
 */
export function stringifyMssqlCell(kind: MssqlColumnKind, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "Invalid Date";
    const iso = value.toISOString();
    if (kind === "datetimeoffset") return iso;
    if (kind === "date") return iso.slice(0, 10);
    if (kind === "time")
      return `${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}.${pad(value.getUTCMilliseconds(), 3)}`;
    return iso.replace(/Z$/, "");
  }
  if (Buffer.isBuffer(value)) return truncateCell("\\x" + value.toString("hex"));
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The subset of an mssql column description the assembler needs. */
export interface MssqlColumn {
  name: string;
  kind: MssqlColumnKind;
}

/**
 * Turns the driver's stream events of a batch into ResultSets.
 *
 * Row counts arrive as DONE tokens ('rowsaffected'), and SQL Server sends one after a SELECT
 * too (the number of rows returned). A count that closes an open result set is therefore a
 * row count, not a write; a count without a result set is a write (INSERT/UPDATE/DELETE/MERGE,
 * SELECT INTO …). Known blind spots, documented in the engine: a DML with an OUTPUT clause
 * looks like a SELECT, and `SELECT @v = …` assignments look like writes (over-counting, the
 * safe side).
 */
export class MssqlResultAssembler {
  private readonly sets: ResultSet[] = [];
  private open: { builder: ResultSetBuilder; kinds: MssqlColumnKind[] } | undefined;
  private writes = 0;

  constructor(
    private readonly keepRows: number,
    /** Scrubs credentials from column names and cells (see ResultSetBuilder). */
    private readonly redact: (text: string) => string = NO_REDACTION,
  ) {}

  recordset(columns: MssqlColumn[]): void {
    this.closeOpen(null);
    this.open = {
      builder: new ResultSetBuilder(
        columns.map((c) => c.name),
        this.keepRows,
        this.redact,
      ),
      kinds: columns.map((c) => c.kind),
    };
  }

  row(values: unknown[]): void {
    const open = this.open;
    if (open === undefined) return;
    if (!open.builder.wantsRows) {
      open.builder.addUncounted(1);
      return;
    }
    open.builder.add(values.map((v, i) => stringifyMssqlCell(open.kinds[i] ?? "", v)));
  }

  rowsAffected(count: number): void {
    if (this.open !== undefined) {
      this.closeOpen(null);
      return;
    }
    this.writes += count;
    this.sets.push({
      columns: [],
      rows: [],
      totalRows: 0,
      command: "ROWS AFFECTED",
      affectedRows: count,
    });
  }

  /** Ends the batch: a result set without a closing count (NOCOUNT-like servers) is kept too. */
  finish(): void {
    this.closeOpen(null);
  }

  private closeOpen(affected: number | null): void {
    if (this.open === undefined) return;
    this.sets.push(this.open.builder.finish("RESULT SET", affected));
    this.open = undefined;
  }

  get resultSets(): ResultSet[] {
    return this.sets;
  }

  /** Rows written, as far as the DONE counts tell. */
  get affectedRows(): number {
    return this.writes;
  }
}

/** Fields of an mssql RequestError / ConnectionError the engine reports. */
export interface MssqlErrorLike {
  message: string;
  code?: string;
  number?: number;
  lineNumber?: number;
  originalError?: { message?: string; info?: { number?: number; lineNumber?: number } };
}

/**
 * Error → outcome error. `code` is the SQL Server error number when the server raised it, else
 * the driver's code (ETIMEOUT, ELOGIN, ESOCKET …). The line is made relative to the whole
 * command (batch start line + line within the batch).
 */
export function formatMssqlError(
  e: MssqlErrorLike,
  batchStartLine: number | undefined,
  requestTimeoutMs: number,
  phase: "connect" | "execute" = "execute",
): { message: string; code?: string } {
  const number = e.number ?? e.originalError?.info?.number;
  const line = e.lineNumber ?? e.originalError?.info?.lineNumber;
  let message = e.message;
  if (phase === "connect") {
    message = `Could not connect to SQL Server: ${message}`;
  } else if (e.code === "ETIMEOUT" && number === undefined) {
    message = `Request timeout: a batch ran longer than ${requestTimeoutMs} ms and was cancelled. Driver said: ${message}`;
  } else if (number === 1222) {
    message = `Lock timeout (SET LOCK_TIMEOUT): ${message}`;
  }
  if (batchStartLine !== undefined && line !== undefined && line > 0) {
    message += ` (line ${batchStartLine + line - 1} of the command)`;
  }
  const out: { message: string; code?: string } = { message };
  if (number !== undefined) out.code = String(number);
  else if (e.code !== undefined) out.code = e.code;
  return out;
}
