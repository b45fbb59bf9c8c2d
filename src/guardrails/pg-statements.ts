/**
 * What each PostgreSQL statement node is (kind, command name) and the flags that follow
 * from the node itself; the walk in pg-walk.ts handles children. Called for top-level
 * statements and for every nested one (a DELETE in a CTE, the SET of an ALTER ROLE).
 */
import { ADMIN_FACTS } from "./pg-admin-facts.js";
import type { JsonObject } from "./pg-ast.js";
import type { Facts, FactsOf } from "./pg-facts.js";
import { OBJECT_FACTS } from "./pg-object-facts.js";
import { ROW_FACTS } from "./pg-row-facts.js";
import { flag, type StatementDraft } from "./statement-draft.js";

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
