/**
 * Facts of the statements that create, drop or own objects and roles: destruction, handing
 * out privileges, settings made permanent, and names that shadow a built-in.
 */
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
import { objectTypeName, type Facts, type FactsOf } from "./pg-facts.js";
import { PG_READ_FUNCTIONS } from "./pg-read-functions.js";
import { nestedPinnedSetting, settingsChanged } from "./pg-settings.js";
import { flag, type StatementDraft } from "./statement-draft.js";

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

export const OBJECT_FACTS: Record<string, FactsOf> = {
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
