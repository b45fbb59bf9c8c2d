/**
 * A T-SQL statement's kind and command, judged from its lead keyword, plus the flags and
 * refusals that only the lead can tell (UPDATE/DELETE/MERGE without WHERE, DROP of a
 * session table, a session SET, transaction control …).
 */
import { flag } from "./statement-draft.js";
import { mssqlReadProcedure } from "./tsql-danger.js";
import { onlySessionTables, wordAt, type Fail } from "./tsql-names.js";
import { WhereCheck } from "./tsql-where.js";
import { procedureAt, refuse, type Facts } from "./tsql-scan.js";
import { controlRefusal, sessionSetFacts } from "./tsql-session.js";
import type { TsqlToken } from "./tsql-tokenize.js";
import type { StatementFlag } from "./types.js";
import {
  DATABASE_STATES,
  DCL_OBJECTS,
  DML,
  INDEX_PREFIXES,
  LOCK_HINTS,
  READ_DBCC,
  ROUTINES,
  SIMPLE_LEADS,
  type Lead,
} from "./tsql-lead-data.js";

export type { Lead };

/** Judges the statement in `[s, e)` by its lead keyword. */
export function describeLead(
  toks: TsqlToken[],
  s: number,
  e: number,
  facts: Facts,
  fail: Fail,
): Lead {
  return new LeadReader(toks, s, e, facts, fail).describe();
}

class LeadReader {
  private readonly lead: string;

  constructor(
    private readonly toks: TsqlToken[],
    private readonly s: number,
    private readonly e: number,
    private readonly facts: Facts,
    private readonly fail: Fail,
  ) {
    this.lead = toks[s]?.type === "lparen" ? "SELECT" : (wordAt(toks, s, e) ?? "");
  }

  private word(k: number): string | undefined {
    return wordAt(this.toks, k, this.e);
  }

  private flag(name: StatementFlag, reason: string): void {
    flag(this.facts.draft, name, reason);
  }

  /** Index of `wanted` at parenthesis depth 0 after `from`, or -1. */
  private depthZero(wanted: string, from = this.s + 1): number {
    for (let k = from, depth = 0; k < this.e; k += 1) {
      const token = this.toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") depth -= 1;
      else if (depth === 0 && token.type === "word" && token.value === wanted) return k;
    }
    return -1;
  }

  /** The DML keyword a statement runs (`WITH … DELETE`), with its index. */
  private mainVerb(): { verb: string; at: number } {
    if (this.lead !== "WITH") return { verb: this.lead, at: this.s };
    for (let k = this.s + 1, depth = 0; k < this.e; k += 1) {
      const token = this.toks[k] as TsqlToken;
      if (token.type === "lparen") depth += 1;
      else if (token.type === "rparen") depth -= 1;
      else if (depth === 0 && token.type === "word" && DML.has(token.value)) {
        return { verb: token.value, at: k };
      }
    }
    return this.fail("WITH without a statement", this.toks[this.s]);
  }

  describe(): Lead {
    const refusal = controlRefusal(this.toks, this.s, this.e);
    if (refusal !== undefined) refuse(this.facts, refusal);
    const { verb, at } = this.mainVerb();
    if (DML.has(verb)) return this.dml(verb, at);
    const simple = SIMPLE_LEADS[this.lead];
    if (simple !== undefined) {
      if (simple.admin !== undefined) this.flag("admin_functions", simple.admin);
      if (simple.write !== undefined) this.flag("write", simple.write);
      return { kind: simple.kind, command: simple.command, sessionOnly: simple.sessionOnly };
    }
    return this.other();
  }

  private other(): Lead {
    switch (this.lead) {
      case "TRUNCATE":
        if (!onlySessionTables(this.toks, this.s, this.e)) {
          this.flag("truncate", "TRUNCATE TABLE removes every row");
        }
        return { kind: "ddl", command: "TRUNCATE TABLE" };
      case "DROP":
      case "CREATE":
      case "ALTER":
        return this.objectStatement();
      case "GRANT":
      case "REVOKE":
      case "DENY":
        this.flag("grant", `${this.lead} changes privileges`);
        return { kind: "dcl", command: this.lead };
      case "EXEC":
      case "EXECUTE":
        return this.exec();
      case "DECLARE":
        return {
          kind: "read",
          command: this.depthZero("CURSOR") === -1 ? "DECLARE" : "DECLARE CURSOR",
        };
      case "SET":
        return this.set();
      default:
        return this.rest();
    }
  }

  private rest(): Lead {
    switch (this.lead) {
      case "RAISERROR":
        return this.raiserror();
      case "OPEN":
      case "FETCH":
      case "CLOSE":
      case "DEALLOCATE":
        return this.cursor();
      case "WAITFOR":
        if (this.toks[this.s + 1]?.type === "lparen")
          return this.fail(
            "WAITFOR (RECEIVE …) is not supported by the guardrails",
            this.toks[this.s],
          );
        // Holds the transaction and its locks open: never read, but changes nothing.
        return { kind: "admin", command: "WAITFOR", sessionOnly: true };
      case "DBCC":
        return this.dbcc();
      case "ENABLE":
      case "DISABLE":
        return { kind: "ddl", command: `${this.lead} TRIGGER` };
      default:
        return this.fail(
          `unrecognised statement starting with ${this.toks[this.s]?.text ?? "?"}`,
          this.toks[this.s],
        );
    }
  }

  // -------------------------------------------------------------------------------------
  // DML

  private dml(verb: string, at: number): Lead {
    switch (verb) {
      case "SELECT":
        return this.select();
      case "INSERT":
        this.flag("write", "INSERT adds rows");
        return { kind: "write", command: "INSERT" };
      case "UPDATE":
        if (this.lead === "UPDATE" && this.word(this.s + 1) === "STATISTICS") {
          return { kind: "admin", command: "UPDATE STATISTICS" };
        }
        this.flag("write", "UPDATE changes rows");
        new WhereCheck(this.toks, this.e, this.facts).where("UPDATE", at);
        return { kind: "write", command: "UPDATE" };
      case "DELETE":
        this.flag("write", "DELETE removes rows");
        new WhereCheck(this.toks, this.e, this.facts).where("DELETE", at);
        return { kind: "write", command: "DELETE" };
      default:
        this.flag("write", "MERGE changes rows");
        new WhereCheck(this.toks, this.e, this.facts).merge(at);
        return { kind: "write", command: "MERGE" };
    }
  }

  private select(): Lead {
    if (this.depthZero("INTO", this.s) !== -1) {
      this.flag("write", "SELECT … INTO creates and fills a table");
      return { kind: "ddl", command: "SELECT INTO" };
    }
    for (let k = this.s; k < this.e; k += 1) {
      const token = this.toks[k] as TsqlToken;
      if (token.type === "word" && LOCK_HINTS.has(token.value)) {
        this.flag("write", `SELECT WITH (${token.value}) locks rows for writing`);
        return { kind: "write", command: `SELECT WITH (${token.value})` };
      }
    }
    return { kind: "read", command: "SELECT" };
  }

  // -------------------------------------------------------------------------------------
  // Objects, privileges, procedures, sessions

  private objectStatement(): Lead {
    let k = this.s + 1;
    if (this.lead === "CREATE" && this.word(k) === "OR" && this.word(k + 1) === "ALTER") k += 2;
    while (INDEX_PREFIXES.has(this.word(k) ?? "")) k += 1;
    const object = this.word(k);
    if (object === undefined) {
      return this.fail(`${this.lead} needs an object type`, this.toks[k] ?? this.toks[this.s]);
    }
    const objectName = this.objectName(object, k);
    const command = `${this.lead} ${objectName}`;
    const dropsSessionTable = object === "TABLE" && onlySessionTables(this.toks, this.s, this.e);
    if (this.lead === "DROP" && !dropsSessionTable) {
      this.flag("drop", `${command} destroys objects and their data`);
    }
    if (this.lead !== "DROP" && ROUTINES.has(object)) {
      this.flag("procedural", `${command}: the body is code the guardrails do not read`);
    }
    this.objectFlags(object, objectName, k);
    if (object === "AUTHORIZATION") {
      this.flag("grant", "ALTER AUTHORIZATION changes who owns an object, and all it may do");
      return { kind: "dcl", command };
    }
    if (DCL_OBJECTS.has(object) && objectName !== "SERVER CONFIGURATION") {
      if (this.lead === "ALTER" && objectName.endsWith("ROLE") && this.depthZero("MEMBER") !== -1) {
        this.flag("grant", `${command} … MEMBER changes role membership`);
        if (objectName === "SERVER ROLE") {
          this.flag("admin_functions", "ALTER SERVER ROLE … MEMBER changes server-wide privileges");
        }
      }
      return { kind: "dcl", command };
    }
    return { kind: "ddl", command };
  }

  private objectName(object: string, k: number): string {
    const next = this.word(k + 1);
    if ((object === "APPLICATION" || object === "SERVER") && next === "ROLE")
      return `${object} ROLE`;
    if (object === "SERVER" && next === "CONFIGURATION") return "SERVER CONFIGURATION";
    if (object === "DATABASE" && next === "SCOPED") return "DATABASE SCOPED CONFIGURATION";
    return object === "PROC" ? "PROCEDURE" : object;
  }

  /** Objects whose creation or change is server administration. */
  private objectFlags(object: string, objectName: string, k: number): void {
    if (object === "ASSEMBLY")
      this.flag("admin_functions", `${this.lead} ASSEMBLY loads CLR code into the server`);
    if (objectName === "SERVER CONFIGURATION") {
      this.flag("admin_functions", "ALTER SERVER CONFIGURATION changes the server");
    }
    if (objectName === "DATABASE SCOPED CONFIGURATION" && this.lead !== "DROP") {
      this.flag(
        "admin_functions",
        `${this.lead} DATABASE SCOPED CONFIGURATION changes every session`,
      );
    }
    const on = object === "TRIGGER" && this.lead !== "DROP" ? this.depthZero("ON", k) : -1;
    if (on !== -1 && this.word(on + 1) === "ALL") {
      this.flag("admin_functions", "a server-wide trigger runs on every login or server event");
    }
    if (object === "DATABASE" && this.lead === "ALTER" && objectName === "DATABASE") {
      const set = this.depthZero("SET", k);
      if (set === -1) return;
      const option = this.word(set + 1) ?? "";
      const reason = DATABASE_STATES.has(option)
        ? `ALTER DATABASE … SET ${option} takes the database away from its other users`
        : `ALTER DATABASE … SET ${option} changes the database for every session`;
      this.flag("admin_functions", reason);
    }
  }

  private exec(): Lead {
    if (this.word(this.s + 1) === "AS") {
      this.flag("admin_functions", "EXECUTE AS switches to another identity");
      return { kind: "admin", command: "EXECUTE AS" };
    }
    const called = procedureAt(this.toks, this.s + 1, this.e, this.facts);
    if (called !== undefined && mssqlReadProcedure(called) && this.facts.draft.reasons.size === 1) {
      // A reporting procedure: it changes nothing, but it is code, so never `read`.
      return { kind: "admin", command: "EXEC", sessionOnly: true, tolerates: "procedural" };
    }
    return { kind: "admin", command: "EXEC" };
  }

  private set(): Lead {
    if (this.toks[this.s + 1]?.type === "variable") return { kind: "read", command: "SET" };
    const facts = sessionSetFacts(this.toks, this.s, this.e);
    if (facts.refusal !== undefined) refuse(this.facts, facts.refusal);
    if (facts.admin !== undefined) this.flag("admin_functions", facts.admin);
    const option = facts.options[0] ?? "";
    if (option === "TRANSACTION") return { kind: "transaction", command: "SET TRANSACTION" };
    return { kind: "admin", command: `SET ${option}`.trim(), sessionOnly: true };
  }

  private raiserror(): Lead {
    const withAt = this.depthZero("WITH");
    for (let k = withAt + 1; withAt !== -1 && k < this.e; k += 1) {
      if (this.word(k) === "LOG") {
        this.flag("admin_functions", "RAISERROR … WITH LOG writes to the server's error log");
      }
    }
    return { kind: "read", command: "RAISERROR" };
  }

  private cursor(): Lead {
    const object = this.word(this.s + 1);
    if (object === "SYMMETRIC" || object === "MASTER") {
      return { kind: "admin", command: `${this.lead} ${object} KEY`, sessionOnly: true };
    }
    return { kind: "read", command: this.lead };
  }

  private dbcc(): Lead {
    const sub = this.word(this.s + 1) ?? "";
    // CHECKDB and friends only read, unless asked to repair.
    const repairs = this.toks
      .slice(this.s, this.e)
      .some((t) => t.type === "word" && t.value.startsWith("REPAIR_"));
    const reads = READ_DBCC.has(sub) && !repairs;
    if (!reads) this.flag("admin_functions", `DBCC ${sub} is a server maintenance command`);
    return { kind: "admin", command: `DBCC ${sub}`.trim(), sessionOnly: reads };
  }
}
