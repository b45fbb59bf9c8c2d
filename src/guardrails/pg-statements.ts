/**
 * What each PostgreSQL statement node is (kind, command name) and the flags that follow
 * from the node itself; the walk in postgres.ts handles children. Called for top-level
 * statements and for every nested one (a DELETE in a CTE, the SET of an ALTER ROLE).
 */
import type { StatementClass } from "../policy/config.js";
import { pgDangerousSetting } from "./danger.js";
import {
  defElemText,
  defElems,
  isObject,
  list,
  qualifiedName,
  str,
  stringList,
  unwrap,
  type JsonObject,
} from "./pg-ast.js";
import { truthValue, unrestricted } from "./pg-fold.js";
import { PG_READ_FUNCTIONS } from "./pg-read-functions.js";
import {
  discardRefusal,
  nestedPinnedSetting,
  settingRefusal,
  settingsChanged,
  targetsPgSettings,
  transactionRefusal,
} from "./pg-settings.js";
import { flag, refuse, type StatementDraft } from "./text.js";

export interface Facts {
  kind: StatementClass;
  command: string;
  /** Admin statements that only change this session (SET, DISCARD …): no `write` flag. */
  sessionOnly?: boolean;
}

type FactsOf = (body: JsonObject, draft: StatementDraft, top: boolean) => Facts;

export function objectTypeName(objtype: unknown): string {
  const raw = str(objtype) ?? "OBJECT";
  const name = raw.replace(/^OBJECT_/, "");
  const special: Record<string, string> = {
    MATVIEW: "MATERIALIZED VIEW",
    FOREIGN_TABLE: "FOREIGN TABLE",
    FDW: "FOREIGN DATA WRAPPER",
    FOREIGN_SERVER: "SERVER",
    EVENT_TRIGGER: "EVENT TRIGGER",
    ACCESS_METHOD: "ACCESS METHOD",
    OPCLASS: "OPERATOR CLASS",
    OPFAMILY: "OPERATOR FAMILY",
    TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
    TSDICTIONARY: "TEXT SEARCH DICTIONARY",
    TSPARSER: "TEXT SEARCH PARSER",
    TSTEMPLATE: "TEXT SEARCH TEMPLATE",
    STATISTIC_EXT: "STATISTICS",
    USER_MAPPING: "USER MAPPING",
    LARGEOBJECT: "LARGE OBJECT",
  };
  return special[name] ?? name.replace(/_/g, " ");
}

/** `CreateForeignServerStmt` → `CREATE FOREIGN SERVER`, for node types without a name. */
export function commandFromType(type: string): string {
  return type
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
}

/** Statements whose facts are their node type alone. */
const SIMPLE: Record<string, Facts> = {
  ReassignOwnedStmt: { kind: "dcl", command: "REASSIGN OWNED" },
  ConstraintsSetStmt: { kind: "transaction", command: "SET CONSTRAINTS" },
  CreateStmt: { kind: "ddl", command: "CREATE TABLE" },
  IndexStmt: { kind: "ddl", command: "CREATE INDEX" },
  ViewStmt: { kind: "ddl", command: "CREATE VIEW" },
  CreatedbStmt: { kind: "ddl", command: "CREATE DATABASE" },
  RefreshMatViewStmt: { kind: "write", command: "REFRESH MATERIALIZED VIEW" },
  ClusterStmt: { kind: "admin", command: "CLUSTER" },
  ReindexStmt: { kind: "admin", command: "REINDEX" },
  CheckPointStmt: { kind: "admin", command: "CHECKPOINT" },
  LockStmt: { kind: "admin", command: "LOCK TABLE" },
  NotifyStmt: { kind: "admin", command: "NOTIFY" },
  VariableShowStmt: { kind: "read", command: "SHOW" },
  ListenStmt: { kind: "admin", command: "LISTEN", sessionOnly: true },
  UnlistenStmt: { kind: "admin", command: "UNLISTEN", sessionOnly: true },
  DeallocateStmt: { kind: "admin", command: "DEALLOCATE", sessionOnly: true },
  ClosePortalStmt: { kind: "read", command: "CLOSE" },
};

const TRANSACTION_COMMANDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

const DANGEROUS_EXTENSIONS = new Set([
  "dblink",
  "adminpack",
  "file_fdw",
  "postgres_fdw",
  "pg_background",
  "aws_s3",
  "http",
  "plpythonu",
  "plpython2u",
  "plpython3u",
  "plperlu",
  "pltclu",
]);

/** Role attributes that hand out more power than the role that grants them should. */
const ESCALATING_ROLE_OPTIONS: Record<string, string> = {
  superuser: "SUPERUSER",
  createrole: "CREATEROLE",
  isreplication: "REPLICATION",
  bypassrls: "BYPASSRLS",
  addroleto: "IN ROLE",
  rolemembers: "ROLE",
  adminmembers: "ADMIN",
};

// ---------------------------------------------------------------------------------------
// Rows

function writeTarget(body: JsonObject, draft: StatementDraft, command: string): void {
  if (targetsPgSettings(body)) {
    refuse(draft, `${command} on pg_settings changes settings Countersign pins for the command`);
  }
}

function rowFilter(draft: StatementDraft, command: "UPDATE" | "DELETE", where: unknown): void {
  const problem = unrestricted(where);
  if (problem === undefined) return;
  if (command === "UPDATE") {
    flag(draft, "update_without_where", `UPDATE ${problem}: it changes every row`);
  } else flag(draft, "delete_without_where", `DELETE ${problem}: it removes every row`);
}

/**
 * MERGE: a WHEN MATCHED clause touches every joined row, so it is as broad as its ON
 * condition (and its own AND condition); WHEN NOT MATCHED BY SOURCE touches every target
 * row the source lacks, which no ON condition narrows.
 */
function mergeFacts(body: JsonObject, draft: StatementDraft): Facts {
  flag(draft, "write", "MERGE changes rows");
  writeTarget(body, draft, "MERGE");
  const onAlwaysTrue = truthValue(body.joinCondition) === true;
  for (const item of list(body.mergeWhenClauses)) {
    const clause = unwrap(item);
    if (clause?.[0] !== "MergeWhenClause") continue;
    const { matchKind, commandType, condition } = clause[1];
    const command =
      commandType === "CMD_DELETE" ? "DELETE" : commandType === "CMD_UPDATE" ? "UPDATE" : undefined;
    if (command === undefined || unrestricted(condition) === undefined) continue;
    const bySource = matchKind === "MERGE_WHEN_NOT_MATCHED_BY_SOURCE";
    if (matchKind !== "MERGE_WHEN_MATCHED" && !bySource) continue;
    if (!bySource && !onAlwaysTrue) continue;
    const why = bySource
      ? `MERGE … WHEN NOT MATCHED BY SOURCE THEN ${command} touches every target row missing from the source`
      : `MERGE … ON a condition that is always true … WHEN MATCHED THEN ${command} touches every row`;
    flag(draft, command === "DELETE" ? "delete_without_where" : "update_without_where", why);
  }
  return { kind: "write", command: "MERGE" };
}

const ROW_FACTS: Record<string, FactsOf> = {
  SelectStmt: (body, draft) => {
    if (!isObject(body.intoClause)) return { kind: "read", command: "SELECT" };
    flag(draft, "write", "SELECT … INTO creates and fills a table");
    return { kind: "ddl", command: "SELECT INTO" };
  },
  InsertStmt: (body, draft) => {
    flag(draft, "write", "INSERT adds rows");
    writeTarget(body, draft, "INSERT");
    return { kind: "write", command: "INSERT" };
  },
  UpdateStmt: (body, draft) => {
    flag(draft, "write", "UPDATE changes rows");
    writeTarget(body, draft, "UPDATE");
    rowFilter(draft, "UPDATE", body.whereClause);
    return { kind: "write", command: "UPDATE" };
  },
  DeleteStmt: (body, draft) => {
    flag(draft, "write", "DELETE removes rows");
    writeTarget(body, draft, "DELETE");
    rowFilter(draft, "DELETE", body.whereClause);
    return { kind: "write", command: "DELETE" };
  },
  MergeStmt: (body, draft) => mergeFacts(body, draft),
  FetchStmt: (body) => ({ kind: "read", command: body.ismove === true ? "MOVE" : "FETCH" }),
};

// ---------------------------------------------------------------------------------------
// Objects and roles

function escalation(options: unknown): string | undefined {
  for (const option of defElems(options)) {
    const name = ESCALATING_ROLE_OPTIONS[str(option.defname) ?? ""];
    if (name !== undefined && defElemText(option.arg) !== "false") return name;
  }
  return undefined;
}

const ROUTINE_TYPES = ["OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE", "OBJECT_AGGREGATE"];

/**
 * A user function named like an allowlisted built-in can win overload resolution (an exact
 * argument type beats pg_catalog's), so a later "read" that looks like `lower(1)` would
 * run it: server administration, not a schema change to wave through.
 */
function shadowsBuiltin(draft: StatementDraft, command: string, name: string | undefined): void {
  if (name === undefined || !PG_READ_FUNCTIONS.has(name)) return;
  flag(
    draft,
    "admin_functions",
    `${command} defines ${name}, the name of a built-in that reads rely on`,
  );
}

function dropFacts(body: JsonObject, draft: StatementDraft): Facts {
  const command = `DROP ${objectTypeName(body.removeType)}`;
  flag(draft, "drop", `${command} destroys objects and their data`);
  const relationTypes = ["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"];
  if (relationTypes.includes(str(body.removeType) ?? "")) {
    for (const object of list(body.objects)) {
      const names = unwrap(object);
      if (names?.[0] === "List") draft.tables.add(qualifiedName(stringList(names[1].items)));
    }
  }
  return { kind: "ddl", command };
}

/** ALTER ROLE|DATABASE … SET: a setting made permanent for every later session. */
function permanentSetting(body: JsonObject, draft: StatementDraft, command: string): Facts {
  const set = isObject(body.setstmt) ? body.setstmt : undefined;
  const pinned = set === undefined ? undefined : nestedPinnedSetting(set);
  const dangerous = set === undefined ? [] : settingsChanged(set).filter(pgDangerousSetting);
  const name = pinned ?? dangerous[0];
  if (name !== undefined) {
    flag(draft, "admin_functions", `${command} … SET ${name} makes a protected setting permanent`);
  }
  if (command === "ALTER ROLE") return { kind: "dcl", command };
  return { kind: "ddl", command: `${command} SET` };
}

function roleFacts(body: JsonObject, draft: StatementDraft, command: string): Facts {
  const power = escalation(body.options);
  if (power !== undefined) flag(draft, "grant", `${command} … ${power} hands out privileges`);
  return { kind: "dcl", command };
}

const OBJECT_FACTS: Record<string, FactsOf> = {
  TruncateStmt: (_body, draft) => {
    flag(draft, "truncate", "TRUNCATE removes every row");
    return { kind: "ddl", command: "TRUNCATE" };
  },
  DropStmt: (body, draft) => dropFacts(body, draft),
  DropRoleStmt: (_body, draft) => {
    flag(draft, "drop", "DROP ROLE removes roles");
    return { kind: "dcl", command: "DROP ROLE" };
  },
  DropOwnedStmt: (_body, draft) => {
    flag(draft, "drop", "DROP OWNED drops every object the roles own");
    return { kind: "dcl", command: "DROP OWNED" };
  },
  DropdbStmt: (_body, draft) => {
    flag(draft, "drop", "DROP DATABASE destroys a database");
    return { kind: "ddl", command: "DROP DATABASE" };
  },
  GrantStmt: (body, draft) => {
    const command = body.is_grant === true ? "GRANT" : "REVOKE";
    flag(draft, "grant", `${command} changes privileges`);
    return { kind: "dcl", command };
  },
  GrantRoleStmt: (body, draft) => {
    const command = body.is_grant === true ? "GRANT ROLE" : "REVOKE ROLE";
    flag(draft, "grant", `${command} changes role membership`);
    return { kind: "dcl", command };
  },
  AlterDefaultPrivilegesStmt: (_body, draft) => {
    flag(draft, "grant", "ALTER DEFAULT PRIVILEGES changes future privileges");
    return { kind: "dcl", command: "ALTER DEFAULT PRIVILEGES" };
  },
  CreateRoleStmt: (body, draft) => {
    const what = body.stmt_type === "ROLESTMT_USER" ? "USER" : "ROLE";
    return roleFacts(body, draft, `CREATE ${body.stmt_type === "ROLESTMT_GROUP" ? "GROUP" : what}`);
  },
  AlterRoleStmt: (body, draft) => roleFacts(body, draft, "ALTER ROLE"),
  AlterRoleSetStmt: (body, draft) => permanentSetting(body, draft, "ALTER ROLE"),
  AlterDatabaseSetStmt: (body, draft) => permanentSetting(body, draft, "ALTER DATABASE"),
  AlterOwnerStmt: (body) => ({
    kind: "dcl",
    command: `ALTER ${objectTypeName(body.objectType)} OWNER`,
  }),
  CreateTableAsStmt: (body, draft) => {
    flag(draft, "write", "creates and fills a table");
    const matview = body.objtype === "OBJECT_MATVIEW";
    return { kind: "ddl", command: matview ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS" };
  },
  AlterTableStmt: (body) => ({ kind: "ddl", command: `ALTER ${objectTypeName(body.objtype)}` }),
  RenameStmt: (body, draft) => {
    const command = `ALTER ${objectTypeName(body.renameType)} RENAME`;
    if (ROUTINE_TYPES.includes(str(body.renameType) ?? "")) {
      shadowsBuiltin(draft, command, str(body.newname));
    }
    return { kind: "ddl", command };
  },
  CreateFunctionStmt: (body, draft) => {
    const command = body.is_procedure === true ? "CREATE PROCEDURE" : "CREATE FUNCTION";
    flag(draft, "procedural", `${command} stores code that runs whenever it is called`);
    shadowsBuiltin(draft, command, stringList(body.funcname).pop());
    return { kind: "ddl", command };
  },
  DefineStmt: (body, draft) => {
    // CREATE AGGREGATE / OPERATOR / TYPE / COLLATION …
    const command = `CREATE ${objectTypeName(body.kind)}`;
    if (body.kind === "OBJECT_AGGREGATE") {
      shadowsBuiltin(draft, command, stringList(body.defnames).pop());
    }
    return { kind: "ddl", command };
  },
  CreateTrigStmt: (body, draft) => {
    const fn = qualifiedName(stringList(body.funcname));
    flag(draft, "procedural", `CREATE TRIGGER makes ${fn} run on every matching change`);
    return { kind: "ddl", command: "CREATE TRIGGER" };
  },
  CreateEventTrigStmt: (body, draft) => {
    const fn = qualifiedName(stringList(body.funcname));
    flag(draft, "procedural", `CREATE EVENT TRIGGER makes ${fn} run on schema changes`);
    return { kind: "ddl", command: "CREATE EVENT TRIGGER" };
  },
  CreateExtensionStmt: (body, draft) => {
    const name = str(body.extname) ?? "";
    if (DANGEROUS_EXTENSIONS.has(name.toLowerCase())) {
      flag(draft, "admin_functions", `CREATE EXTENSION ${name} enables server-level access`);
    }
    return { kind: "ddl", command: "CREATE EXTENSION" };
  },
};

// ---------------------------------------------------------------------------------------
// Procedures, maintenance and the session

function copyFacts(body: JsonObject, draft: StatementDraft): Facts {
  const direction = body.is_from === true ? "FROM" : "TO";
  if (body.is_program === true) {
    flag(draft, "copy_program", `COPY … ${direction} PROGRAM runs a shell command on the server`);
  } else if (str(body.filename) !== undefined) {
    flag(draft, "admin_functions", `COPY … ${direction} a file accesses the server's file system`);
  }
  return { kind: "admin", command: "COPY" };
}

/**
 * SET / RESET. At the top level (or in a DO block) it runs now: a pinned setting is
 * refused. Nested (a function's SET clause) it applies later: flagged for the reviewers.
 */
function setFacts(body: JsonObject, draft: StatementDraft, top: boolean): Facts {
  const command = str(body.kind)?.startsWith("VAR_RESET") === true ? "RESET" : "SET";
  const changed = settingsChanged(body);
  const refusal = settingRefusal(body);
  if (top && refusal !== undefined) refuse(draft, refusal);
  // A function's own `SET search_path` (best practice for SECURITY DEFINER) binds only
  // the names inside that function; every other pinned setting would leak into the
  // statement that calls it (a timeout switched off, strings read differently).
  const pinned = nestedPinnedSetting(body);
  const relevant = top || pinned !== "search_path" ? pinned : undefined;
  const protectedName = relevant ?? changed.find(pgDangerousSetting);
  if (protectedName !== undefined) {
    const what = protectedName === "*" ? "every setting" : protectedName;
    flag(draft, "admin_functions", `${command} changes ${what}, a protected setting`);
  }
  return { kind: "admin", command, sessionOnly: true };
}

const ADMIN_FACTS: Record<string, FactsOf> = {
  TransactionStmt: (body, draft, top) => {
    const command = TRANSACTION_COMMANDS[str(body.kind) ?? ""] ?? "TRANSACTION";
    if (top) refuse(draft, transactionRefusal(command));
    return { kind: "transaction", command };
  },
  DoStmt: (_body, draft) => {
    flag(draft, "procedural", "DO runs a procedural block");
    return { kind: "admin", command: "DO" };
  },
  CallStmt: (_body, draft) => {
    // The procedure's name is judged by the walk, like any other call.
    flag(draft, "procedural", "CALL runs a procedure");
    return { kind: "admin", command: "CALL" };
  },
  ExecuteStmt: (_body, draft) => {
    flag(draft, "procedural", "EXECUTE runs a prepared statement");
    return { kind: "admin", command: "EXECUTE" };
  },
  CopyStmt: (body, draft) => copyFacts(body, draft),
  VacuumStmt: (body) => ({
    kind: "admin",
    command: body.is_vacuumcmd === true ? "VACUUM" : "ANALYZE",
  }),
  LoadStmt: (_body, draft) => {
    flag(draft, "admin_functions", "LOAD loads a shared library into the server");
    return { kind: "admin", command: "LOAD" };
  },
  AlterSystemStmt: (_body, draft) => {
    flag(draft, "admin_functions", "ALTER SYSTEM changes the server configuration");
    return { kind: "admin", command: "ALTER SYSTEM" };
  },
  VariableSetStmt: (body, draft, top) => setFacts(body, draft, top),
  DiscardStmt: (body, draft, top) => {
    const refusal = discardRefusal(body);
    if (top && refusal !== undefined) refuse(draft, refusal);
    return { kind: "admin", command: "DISCARD", sessionOnly: true };
  },
};

const FACTS: Record<string, FactsOf> = { ...ROW_FACTS, ...OBJECT_FACTS, ...ADMIN_FACTS };

/**
 * The facts of a statement node. `top` is true when the statement runs now as written (a
 * top-level statement, or one inside a DO block), false when it is part of another one.
 */
export function statementFacts(
  type: string,
  body: JsonObject,
  draft: StatementDraft,
  top: boolean,
): Facts {
  const simple = SIMPLE[type];
  if (simple !== undefined) return { ...simple };
  const handler = FACTS[type];
  if (handler !== undefined) return handler(body, draft, top);
  const command = commandFromType(type);
  if (type.startsWith("Drop")) {
    flag(draft, "drop", `${command} destroys objects`);
    return { kind: "ddl", command };
  }
  if (/^(Create|Alter|Define|Rename|Comment|Import|SecLabel|Composite|Rule)/.test(type)) {
    return { kind: "ddl", command: command.replace(/^DEFINE /, "CREATE ") };
  }
  // Unknown to this table: not read-only, not harmless.
  return { kind: "admin", command };
}
