/**
 * The lead keywords' data: which objects and commands mean what. Data rather than code so
 * that a reviewer can add a case without reading the classifier.
 */
import type { StatementClass } from "../policy/config.js";
import type { StatementFlag } from "./types.js";

export interface Lead {
  kind: StatementClass;
  command: string;
  /** Only changes the session: no implied `write` flag. */
  sessionOnly?: boolean;
  /** A flag that does not stop the statement from being session-only. */
  tolerates?: StatementFlag;
}

export const DML = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]);

export const DCL_OBJECTS = new Set([
  "LOGIN",
  "USER",
  "ROLE",
  "APPLICATION",
  "SERVER",
  "CREDENTIAL",
]);

export const ROUTINES = new Set(["PROC", "PROCEDURE", "FUNCTION", "TRIGGER"]);

export const INDEX_PREFIXES = new Set([
  "UNIQUE",
  "CLUSTERED",
  "NONCLUSTERED",
  "COLUMNSTORE",
  "XML",
  "SPATIAL",
  "PRIMARY",
]);

export const READ_DBCC = new Set([
  "SHOW_STATISTICS",
  "SQLPERF",
  "INPUTBUFFER",
  "OUTPUTBUFFER",
  "OPENTRAN",
  "USEROPTIONS",
  "TRACESTATUS",
  "PROCCACHE",
  "SHOWCONTIG",
  "SHOWFILESTATS",
  "HELP",
  "CHECKDB",
  "CHECKTABLE",
  "CHECKALLOC",
  "CHECKCATALOG",
  "CHECKCONSTRAINTS",
  "CHECKFILEGROUP",
]);

export const LOCK_HINTS = new Set(["UPDLOCK", "XLOCK", "TABLOCKX"]);

/** Database states that take the database away from everyone else. */
export const DATABASE_STATES = new Set([
  "SINGLE_USER",
  "RESTRICTED_USER",
  "OFFLINE",
  "EMERGENCY",
  "READ_ONLY",
]);

/** Leads whose whole story is a kind, maybe a fixed flag. */
export const SIMPLE_LEADS: Readonly<Record<string, Lead & { admin?: string; write?: string }>> = {
  PRINT: { kind: "read", command: "PRINT" },
  THROW: { kind: "read", command: "THROW" },
  IF: { kind: "read", command: "IF" },
  WHILE: { kind: "read", command: "WHILE" },
  RETURN: { kind: "read", command: "RETURN" },
  READTEXT: { kind: "read", command: "READTEXT" },
  USE: { kind: "admin", command: "USE", sessionOnly: true },
  REVERT: { kind: "admin", command: "REVERT", sessionOnly: true },
  CHECKPOINT: { kind: "admin", command: "CHECKPOINT" },
  KILL: { kind: "admin", command: "KILL", admin: "KILL ends another session" },
  SHUTDOWN: { kind: "admin", command: "SHUTDOWN", admin: "SHUTDOWN stops the server" },
  RECONFIGURE: {
    kind: "admin",
    command: "RECONFIGURE",
    admin: "RECONFIGURE applies server configuration",
  },
  SETUSER: { kind: "admin", command: "SETUSER", admin: "SETUSER switches to another identity" },
  BACKUP: { kind: "admin", command: "BACKUP", admin: "BACKUP writes files on the server" },
  RESTORE: {
    kind: "admin",
    command: "RESTORE",
    admin: "RESTORE replaces a database from files on the server",
  },
  BULK: { kind: "write", command: "BULK INSERT", admin: "BULK INSERT reads a file on the server" },
  WRITETEXT: { kind: "write", command: "WRITETEXT", write: "WRITETEXT changes rows" },
  UPDATETEXT: { kind: "write", command: "UPDATETEXT", write: "UPDATETEXT changes rows" },
  BEGIN: { kind: "transaction", command: "BEGIN TRANSACTION" },
  COMMIT: { kind: "transaction", command: "COMMIT" },
  ROLLBACK: { kind: "transaction", command: "ROLLBACK" },
  SAVE: { kind: "transaction", command: "SAVE TRANSACTION" },
};
