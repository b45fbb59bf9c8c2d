/**
 * What the statement tables (pg-row-facts.ts, pg-object-facts.ts, pg-admin-facts.ts) say
 * about one PostgreSQL statement node, and the names they give object types.
 */
import { str, type JsonObject } from "./pg-ast.js";
import type { StatementClass } from "../policy/config.js";
import type { StatementDraft } from "./statement-draft.js";

export interface Facts {
  kind: StatementClass;
  command: string;
  /** Admin statements that only change this session (SET, DISCARD …): no `write` flag. */
  sessionOnly?: boolean;
}

/** Reads a node into its facts, flagging or refusing the draft on the way. */
export type FactsOf = (body: JsonObject, draft: StatementDraft, top: boolean) => Facts;

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
