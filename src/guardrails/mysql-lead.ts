/**
 * What a MySQL statement is, from its leading words: kind, command name, the flags and
 * refusals its words alone decide, and how much of it the parser must read.
 *
 * The parser (node-sql-parser) is required wherever the verdict depends on a statement's
 * structure: reads (which functions, INTO, locking clauses), INSERT/REPLACE/UPDATE/DELETE
 * (their WHERE) and variable assignments. Statements that are never reads and whose flags
 * follow from their words (DDL, DCL, administration, transaction control) are classified
 * from the tokens, like the T-SQL classifier does: the parser reads few of them, and they
 * can only ever be denied or reviewed, never auto-approved.
 */
import { flag, refuse, type StatementDraft } from "./statement-draft.js";
import { lockRefusal, setFacts, transactionRefusal } from "./mysql-session.js";
import type { MysqlToken } from "./mysql-tokenize.js";
import { analyze, explain, objectStatement } from "./mysql-lead-objects.js";
import {
  hasSequence,
  hasWord,
  MysqlLeadError,
  NONE,
  set,
  wordAt,
  type LeadResult,
  type Words,
} from "./mysql-lead-words.js";

export { MysqlLeadError, type LeadResult } from "./mysql-lead-words.js";

function prepare(w: Words, draft: StatementDraft): LeadResult {
  set(draft, "admin", "PREPARE");
  const from = w.toks.findIndex(
    (token, k) => k > w.s && k < w.e && token.type === "word" && token.value === "FROM",
  );
  const source = from === -1 ? undefined : w.toks[from + 1];
  if (source?.type === "string" && from + 2 === w.e) return { ...NONE, prepared: source.value };
  flag(draft, "procedural", "PREPARE … FROM a variable builds SQL at run time");
  flag(draft, "admin_functions", "PREPARE … FROM a variable runs SQL the guardrails cannot see");
  return NONE;
}

/**
 * EXECUTE runs a statement PREPARE made (judged there); MariaDB's EXECUTE IMMEDIATE prepares
 * and runs in one statement, so its text is judged as PREPARE's is: one string literal is read
 * as the statement it is, anything else (a variable, CONCAT, a USING list whose expressions
 * run too) is SQL the guardrails cannot see.
 */
function execute(w: Words, draft: StatementDraft): LeadResult {
  if (wordAt(w, w.s + 1) !== "IMMEDIATE") {
    return procedural(draft, "EXECUTE", "EXECUTE runs a prepared statement");
  }
  set(draft, "admin", "EXECUTE IMMEDIATE");
  const source = w.toks[w.s + 2];
  if (source?.type === "string" && w.s + 3 === w.e) return { ...NONE, prepared: source.value };
  flag(draft, "procedural", "EXECUTE IMMEDIATE of an expression builds SQL at run time");
  flag(
    draft,
    "admin_functions",
    "EXECUTE IMMEDIATE of anything but one string literal runs SQL the guardrails cannot see",
  );
  return NONE;
}

function setStatement(w: Words, draft: StatementDraft): LeadResult {
  const facts = setFacts(w.toks, w.s, w.e);
  if (facts.dcl !== undefined) {
    set(draft, "dcl", hasWord(w, "PASSWORD") ? "SET PASSWORD" : "SET DEFAULT ROLE");
    return { ...NONE, implicitCommit: true };
  }
  const transaction = hasWord(w, "TRANSACTION") && facts.settings.length === 0;
  set(draft, transaction ? "transaction" : "admin", transaction ? "SET TRANSACTION" : "SET");
  if (facts.refusal !== undefined) {
    refuse(draft, facts.refusal);
    return { ...NONE, sessionOnly: true };
  }
  return {
    parse: "required",
    astType: "set",
    sessionOnly: true,
    implicitCommit: false,
    query: false,
  };
}

function load(w: Words, draft: StatementDraft): LeadResult {
  const what = wordAt(w, w.s + 1);
  if (what === "INDEX") {
    set(draft, "admin", "LOAD INDEX INTO CACHE");
    return { ...NONE, implicitCommit: true };
  }
  if (what !== "DATA" && what !== "XML") {
    throw new MysqlLeadError("the guardrails do not recognise this LOAD", w.toks[w.s]?.start ?? 0);
  }
  set(draft, "write", `LOAD ${what}`);
  if (hasWord(w, "LOCAL")) {
    refuse(
      draft,
      `LOAD ${what} LOCAL is refused: it makes the worker send a file from its own machine`,
    );
  } else {
    flag(draft, "admin_functions", `LOAD ${what} INFILE reads a file on the database server`);
  }
  return { ...NONE, parse: "optional", astType: "load_data" };
}

/** Statements of server administration: admin, flagged, committing implicitly. */
const SERVER_ADMIN: Record<string, string> = {
  KILL: "KILL ends another session or its query",
  SHUTDOWN: "SHUTDOWN stops the server",
  RESTART: "RESTART restarts the server",
  INSTALL: "INSTALL loads code into the server",
  UNINSTALL: "UNINSTALL removes code from the server",
  PURGE: "PURGE deletes the server's binary logs",
  RESET: "RESET clears the server's logs, caches or replication state",
  CHANGE: "CHANGE reconfigures replication",
  STOP: "STOP stops replication",
  BINLOG: "BINLOG replays binary log events",
  CLONE: "CLONE copies data between servers",
};

const TRANSACTION_WORDS: Record<string, string> = {
  COMMIT: "COMMIT",
  ROLLBACK: "ROLLBACK",
  SAVEPOINT: "SAVEPOINT",
  RELEASE: "RELEASE SAVEPOINT",
  XA: "XA",
};

function transactionStatement(w: Words, draft: StatementDraft, lead: string): LeadResult {
  let command = TRANSACTION_WORDS[lead] ?? lead;
  if (lead === "ROLLBACK" && hasWord(w, "TO")) command = "ROLLBACK TO SAVEPOINT";
  set(draft, "transaction", command);
  refuse(draft, transactionRefusal(command));
  return NONE;
}

function adminStatement(
  draft: StatementDraft,
  command: string,
  implicitCommit: boolean,
): LeadResult {
  set(draft, "admin", command);
  return { ...NONE, implicitCommit };
}

const QUERY: LeadResult = {
  parse: "required",
  astType: "select",
  sessionOnly: false,
  implicitCommit: false,
  query: true,
};

function query(draft: StatementDraft, command: string): LeadResult {
  set(draft, "read", command);
  return QUERY;
}

function dml(draft: StatementDraft, lead: string): LeadResult {
  set(draft, "write", lead);
  return { ...NONE, parse: "required", astType: lead.toLowerCase() };
}

function grant(draft: StatementDraft, lead: string): LeadResult {
  set(draft, "dcl", lead);
  flag(draft, "grant", `${lead} changes privileges`);
  return { ...NONE, implicitCommit: true };
}

function maintenance(draft: StatementDraft, lead: string): LeadResult {
  return adminStatement(draft, `${lead} TABLE`, lead !== "CHECKSUM");
}

function flush(w: Words, draft: StatementDraft): LeadResult {
  set(draft, "admin", "FLUSH");
  if (hasSequence(w, ["READ", "LOCK"]) || hasSequence(w, ["FOR", "EXPORT"])) {
    refuse(draft, lockRefusal("FLUSH TABLES … WITH READ LOCK / FOR EXPORT"));
    return NONE;
  }
  flag(draft, "admin_functions", "FLUSH changes server-wide caches, logs or privileges");
  return { ...NONE, implicitCommit: true };
}

function lock(w: Words, draft: StatementDraft, lead: string): LeadResult {
  const command = `${lead} ${wordAt(w, w.s + 1) ?? "TABLES"}`;
  set(draft, "admin", command);
  refuse(draft, lockRefusal(command));
  return NONE;
}

function start(w: Words, draft: StatementDraft): LeadResult {
  const next = wordAt(w, w.s + 1);
  if (next === "TRANSACTION") return transactionStatement(w, draft, "START TRANSACTION");
  set(draft, "admin", `START ${next ?? ""}`.trim());
  flag(draft, "admin_functions", "START starts replication");
  return { ...NONE, implicitCommit: true };
}

function begin(w: Words, draft: StatementDraft): LeadResult {
  if (wordAt(w, w.s + 1) === "NOT" && wordAt(w, w.s + 2) === "ATOMIC") {
    set(draft, "admin", "BEGIN NOT ATOMIC");
    flag(draft, "procedural", "BEGIN NOT ATOMIC runs a procedural block");
    return NONE;
  }
  return transactionStatement(w, draft, "BEGIN");
}

function rename(w: Words, draft: StatementDraft): LeadResult {
  if (wordAt(w, w.s + 1) === "USER") {
    set(draft, "dcl", "RENAME USER");
    return { ...NONE, implicitCommit: true };
  }
  set(draft, "ddl", "RENAME TABLE");
  return { ...NONE, parse: "optional", astType: "rename", implicitCommit: true };
}

function truncate(draft: StatementDraft): LeadResult {
  set(draft, "ddl", "TRUNCATE TABLE");
  flag(draft, "truncate", "TRUNCATE TABLE removes every row");
  return { ...NONE, parse: "optional", astType: "truncate", implicitCommit: true };
}

function simple(
  draft: StatementDraft,
  kind: "read" | "admin",
  command: string,
  extra: Partial<LeadResult> = {},
): LeadResult {
  set(draft, kind, command);
  return { ...NONE, ...extra };
}

function procedural(draft: StatementDraft, command: string, reason: string): LeadResult {
  set(draft, "admin", command);
  flag(draft, "procedural", reason);
  return NONE;
}

type LeadHandler = (w: Words, draft: StatementDraft, lead: string) => LeadResult;

const HANDLERS: Record<string, LeadHandler> = {
  SELECT: (_w, draft) => query(draft, "SELECT"),
  WITH: (_w, draft) => query(draft, "SELECT"),
  VALUES: (_w, draft) => query(draft, "VALUES"),
  TABLE: (_w, draft) => query(draft, "TABLE"),
  INSERT: (_w, draft, lead) => dml(draft, lead),
  REPLACE: (_w, draft, lead) => dml(draft, lead),
  UPDATE: (_w, draft, lead) => dml(draft, lead),
  DELETE: (_w, draft, lead) => dml(draft, lead),
  LOAD: load,
  CREATE: objectStatement,
  ALTER: objectStatement,
  DROP: objectStatement,
  RENAME: rename,
  TRUNCATE: (_w, draft) => truncate(draft),
  GRANT: (_w, draft, lead) => grant(draft, lead),
  REVOKE: (_w, draft, lead) => grant(draft, lead),
  SHOW: (_w, draft) => simple(draft, "read", "SHOW", { query: true }),
  HELP: (_w, draft) => simple(draft, "read", "HELP"),
  EXPLAIN: explain,
  DESCRIBE: explain,
  DESC: explain,
  ANALYZE: analyze,
  CALL: (_w, draft) => procedural(draft, "CALL", "CALL runs a stored procedure"),
  PREPARE: prepare,
  EXECUTE: execute,
  DEALLOCATE: (_w, draft) => simple(draft, "admin", "DEALLOCATE PREPARE", { sessionOnly: true }),
  HANDLER: (_w, draft) => adminStatement(draft, "HANDLER", false),
  DO: (_w, draft) => adminStatement(draft, "DO", false),
  USE: (_w, draft) => simple(draft, "admin", "USE", { sessionOnly: true }),
  OPTIMIZE: (_w, draft, lead) => maintenance(draft, lead),
  REPAIR: (_w, draft, lead) => maintenance(draft, lead),
  CHECK: (_w, draft, lead) => maintenance(draft, lead),
  CHECKSUM: (_w, draft, lead) => maintenance(draft, lead),
  CACHE: (_w, draft) => adminStatement(draft, "CACHE INDEX", true),
  FLUSH: flush,
  LOCK: lock,
  UNLOCK: lock,
  START: start,
  BEGIN: begin,
  COMMIT: transactionStatement,
  ROLLBACK: transactionStatement,
  SAVEPOINT: transactionStatement,
  RELEASE: transactionStatement,
  XA: transactionStatement,
  SET: setStatement,
  IMPORT: (_w, draft) => {
    set(draft, "ddl", "IMPORT TABLE");
    return { ...NONE, implicitCommit: true };
  },
};

/** Classifies the statement [s, e) by its leading words; throws MysqlLeadError if unknown. */
export function classifyLead(
  toks: MysqlToken[],
  s: number,
  e: number,
  draft: StatementDraft,
): LeadResult {
  const w: Words = { toks, s, e };
  const first = toks[s] as MysqlToken;
  if (first.type === "lparen") return query(draft, "SELECT");
  const lead = wordAt(w, s);
  const handler = lead === undefined ? undefined : HANDLERS[lead];
  if (lead !== undefined && handler !== undefined) return handler(w, draft, lead);
  const reason = lead === undefined ? undefined : SERVER_ADMIN[lead];
  if (lead !== undefined && reason !== undefined) {
    set(draft, "admin", lead);
    flag(draft, "admin_functions", reason);
    return { ...NONE, implicitCommit: true };
  }
  throw new MysqlLeadError(
    `the guardrails do not recognise a MySQL statement starting with ${first.text}`,
    first.start,
  );
}
