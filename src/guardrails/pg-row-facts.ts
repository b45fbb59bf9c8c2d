/**
 * Facts of the statements that read or change rows (SELECT, INSERT, UPDATE, DELETE, MERGE,
 * FETCH): an UPDATE or DELETE that reaches every row, and writes to pg_settings.
 */
import { isObject, list, unwrap, type JsonObject } from "./pg-ast.js";
import type { Facts, FactsOf } from "./pg-facts.js";
import { truthValue, unrestricted } from "./pg-fold.js";
import { targetsPgSettings } from "./pg-settings.js";
import { flag, refuse, type StatementDraft } from "./statement-draft.js";

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

export const ROW_FACTS: Record<string, FactsOf> = {
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
