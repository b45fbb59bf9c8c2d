/**
 * CREATE / ALTER / DROP of objects, and EXPLAIN / DESCRIBE / ANALYZE, by their leading
 * words (see mysql-lead.ts).
 */
import { flag, type StatementDraft } from "./statement-draft.js";
import type { MysqlToken } from "./mysql-tokenize.js";
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

// ---------------------------------------------------------------------------------------
// CREATE / ALTER / DROP / RENAME / TRUNCATE

/** Words that may stand between CREATE/ALTER/DROP and the object type. */
const OBJECT_HEADER = new Set([
  "OR",
  "REPLACE",
  "TEMPORARY",
  "UNIQUE",
  "FULLTEXT",
  "SPATIAL",
  "ONLINE",
  "OFFLINE",
  "IGNORE",
  "AGGREGATE",
  "UNDO",
  "ALGORITHM",
  "DEFINER",
  "SQL",
  "SECURITY",
  "INVOKER",
  "MERGE",
  "TEMPTABLE",
  "UNDEFINED",
  "CURRENT_USER",
  "EXTERNAL",
  "NONBLOCKING",
]);

const OBJECTS = new Set([
  "TABLE",
  "TABLES",
  "VIEW",
  "INDEX",
  "DATABASE",
  "SCHEMA",
  "PROCEDURE",
  "FUNCTION",
  "TRIGGER",
  "EVENT",
  "USER",
  "ROLE",
  "SERVER",
  "TABLESPACE",
  "SEQUENCE",
  "SPATIAL",
  "RESOURCE",
  "LOGFILE",
  "INSTANCE",
  "PREPARE",
  "PACKAGE",
  "KEY",
]);

/** The object type after CREATE/ALTER/DROP, skipping OR REPLACE, DEFINER = … and the like. */
function objectOf(w: Words): { object: string | undefined; temporary: boolean } {
  let temporary = false;
  for (let k = w.s + 1; k < w.e; k += 1) {
    const token = w.toks[k] as MysqlToken;
    const name = wordAt(w, k);
    if (name === "TEMPORARY") temporary = true;
    if (
      name !== undefined &&
      OBJECTS.has(name) &&
      !(name === "SPATIAL" && wordAt(w, k + 1) === "INDEX")
    ) {
      return { object: name === "SPATIAL" ? "SPATIAL REFERENCE SYSTEM" : name, temporary };
    }
    const headerWord = name !== undefined && OBJECT_HEADER.has(name);
    // DEFINER = 'user'@'host': strings, variables and `=` belong to the header too.
    const headerValue = token.type === "string" || token.type === "variable" || token.type === "op";
    const headerParens = token.type === "lparen" || token.type === "rparen";
    if (!headerWord && !headerValue && !headerParens && token.type !== "quoted") break;
  }
  return { object: undefined, temporary };
}

function alterTableFlags(w: Words, draft: StatementDraft): void {
  if (hasWord(w, "DROP"))
    flag(draft, "drop", "ALTER TABLE … DROP removes columns, keys or partitions");
  if (hasWord(w, "DISCARD"))
    flag(draft, "drop", "ALTER TABLE … DISCARD removes the table's data file");
  if (hasSequence(w, ["TRUNCATE", "PARTITION"])) {
    flag(draft, "truncate", "ALTER TABLE … TRUNCATE PARTITION empties partitions");
  }
  for (let k = w.s; k < w.e; k += 1) {
    if (wordAt(w, k) !== "ENGINE") continue;
    const value = w.toks[k + 1]?.type === "op" ? w.toks[k + 2] : w.toks[k + 1];
    if (value?.value.toUpperCase() === "BLACKHOLE") {
      flag(draft, "drop", "ALTER TABLE … ENGINE=BLACKHOLE throws away every row");
    }
  }
}

export function objectStatement(w: Words, draft: StatementDraft, verb: string): LeadResult {
  const { object, temporary } = objectOf(w);
  if (object === undefined) {
    const at = w.toks[w.s + 1] ?? w.toks[w.s];
    throw new MysqlLeadError(
      `the guardrails do not recognise ${verb} ${at?.text ?? ""}`.trim(),
      at?.start ?? 0,
    );
  }
  const command = `${verb} ${object === "TABLES" ? "TABLE" : object}`;
  const optional: LeadResult = {
    parse: "optional",
    astType: verb.toLowerCase(),
    sessionOnly: false,
    implicitCommit: !(temporary && object === "TABLE"),
    query: false,
  };
  if (object === "PREPARE") {
    set(draft, "admin", "DEALLOCATE PREPARE");
    return { ...NONE, sessionOnly: true };
  }
  if (object === "USER" || object === "ROLE") {
    set(draft, "dcl", command);
    return { ...optional, parse: "none" };
  }
  if (object === "INSTANCE" || object === "RESOURCE") {
    set(draft, "admin", command);
    flag(draft, "admin_functions", `${command} changes how the server runs`);
    return { ...optional, parse: "none" };
  }
  set(draft, "ddl", command);
  if (verb === "DROP") flag(draft, "drop", `${command} destroys objects`);
  if (verb === "ALTER" && object === "TABLE") alterTableFlags(w, draft);
  const program = ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE"].includes(object);
  if (program && verb !== "DROP")
    flag(draft, "procedural", `${command} stores code that runs later`);
  if (object === "FUNCTION" && hasWord(w, "SONAME")) {
    flag(draft, "admin_functions", `${command} … SONAME loads a shared library into the server`);
  }
  if (object === "SERVER") flag(draft, "admin_functions", `${command} connects to another server`);
  return { ...optional, parse: program ? "none" : "optional" };
}

// ---------------------------------------------------------------------------------------
// EXPLAIN / DESCRIBE / ANALYZE

const EXPLAINABLE = new Set([
  "SELECT",
  "WITH",
  "INSERT",
  "REPLACE",
  "UPDATE",
  "DELETE",
  "TABLE",
  "VALUES",
]);

/** Index of the explained statement after EXPLAIN [ANALYZE] [FORMAT = x] [EXTENDED …]. */
function explainedAt(w: Words, from: number): number | undefined {
  let k = from;
  for (;;) {
    const name = wordAt(w, k);
    if (name === "EXTENDED" || name === "PARTITIONS" || name === "ANALYZE") k += 1;
    else if (name === "FORMAT" && w.toks[k + 1]?.type === "op") k += 3;
    else break;
  }
  const token = w.toks[k];
  if (k >= w.e || token === undefined) return undefined;
  if (token.type === "lparen") return k;
  const name = wordAt(w, k);
  return name !== undefined && EXPLAINABLE.has(name) ? k : undefined;
}

export function explain(w: Words, draft: StatementDraft): LeadResult {
  const runs = wordAt(w, w.s + 1) === "ANALYZE";
  const at = explainedAt(w, w.s + 1);
  if (at === undefined) {
    // EXPLAIN t, DESCRIBE t [col], EXPLAIN FOR CONNECTION n: descriptions only.
    set(draft, "read", "DESCRIBE");
    return { ...NONE, query: true };
  }
  set(draft, "read", runs ? "EXPLAIN ANALYZE" : "EXPLAIN");
  return { ...NONE, inner: { at, runs } };
}

/** MySQL's ANALYZE TABLE, or MariaDB's ANALYZE <statement> (which runs it). */
export function analyze(w: Words, draft: StatementDraft): LeadResult {
  const next = wordAt(w, w.s + 1);
  if (next === "TABLE" || next === "TABLES" || next === "NO_WRITE_TO_BINLOG" || next === "LOCAL") {
    set(draft, "admin", "ANALYZE TABLE");
    return { ...NONE, implicitCommit: true };
  }
  const at = explainedAt(w, w.s + 1);
  if (at === undefined) {
    const token = w.toks[w.s + 1] ?? w.toks[w.s];
    throw new MysqlLeadError("the guardrails do not recognise this ANALYZE", token?.start ?? 0);
  }
  set(draft, "read", "ANALYZE");
  return { ...NONE, inner: { at, runs: true } };
}
