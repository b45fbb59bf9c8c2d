/**
 * What a parsed MySQL statement touches, read from node-sql-parser's tree: tables,
 * function calls, `SELECT … INTO`, locking reads, `:=` assignments. The walk is generic (it
 * visits every object and array), so a clause the walk does not name is still searched.
 */
import { isObject, list, str, type JsonObject } from "./pg-ast.js";

export interface CallFact {
  /** As written, schema-qualified when it was (`db.f`). */
  name: string;
  argumentCount: number | undefined;
  /** Called by a quoted name: never taken for a built-in (mysql-scan.ts says why). */
  quoted?: boolean;
}

export interface WalkFacts {
  tables: Set<string>;
  calls: CallFact[];
  /** `SELECT … INTO OUTFILE/DUMPFILE` (file) or `INTO @var` (variable). */
  into?: "file" | "variable";
  /** `FOR UPDATE`, `LOCK IN SHARE MODE` … */
  locking?: string;
  /** A `:=` assignment to a user variable inside an expression. */
  assigns: boolean;
  /** The parser read a `GO` separator: more than one statement. */
  separator: boolean;
}

export class MysqlWalkError extends Error {}

const MAX_DEPTH = 2000;

function functionName(node: JsonObject): string | undefined {
  if (typeof node.name === "string") return node.name;
  if (!isObject(node.name)) return undefined;
  const parts = list(node.name.name)
    .map((part) => (isObject(part) ? str(part.value) : undefined))
    .filter((part): part is string => part !== undefined);
  const schema = isObject(node.name.schema) ? str(node.name.schema.value) : undefined;
  if (parts.length === 0) return undefined;
  return [schema, ...parts].filter((part) => part !== undefined).join(".");
}

function argumentCount(node: JsonObject): number | undefined {
  if (!isObject(node.args)) return undefined;
  if (node.args.type === "expr_list") return list(node.args.value).length;
  return undefined;
}

/** `{ db, table }` objects name relations (a column_ref's `table` is its qualifier). */
function tableName(node: JsonObject): string | undefined {
  if (!("db" in node) || typeof node.table !== "string" || node.type === "column_ref")
    return undefined;
  const db = str(node.db);
  return db === undefined || db === "" ? node.table : `${db}.${node.table}`;
}

function cteNames(node: JsonObject, into: Set<string>): void {
  for (const item of list(node.with)) {
    if (isObject(item) && isObject(item.name)) {
      const name = str(item.name.value);
      if (name !== undefined) into.add(name);
    }
  }
}

/** Walks a statement tree. Throws MysqlWalkError when it nests beyond what is analysed. */
export function walkMysql(root: JsonObject): WalkFacts {
  const facts: WalkFacts = { tables: new Set(), calls: [], assigns: false, separator: false };
  const ctes = new Set<string>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) throw new MysqlWalkError("the statement nests too deeply to analyse");
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    if (!isObject(node)) return;
    if ("go_next" in node || node.go !== undefined) facts.separator = true;
    cteNames(node, ctes);
    if (node.type === "function" || node.type === "aggr_func") {
      const name = functionName(node);
      if (name !== undefined) facts.calls.push({ name, argumentCount: argumentCount(node) });
    }
    if (node.type === "assign" && node.symbol === ":=") facts.assigns = true;
    if (node.type === "select") {
      const into = isObject(node.into) ? node.into : undefined;
      if (into !== undefined && into.position !== null && into.position !== undefined) {
        facts.into = into.keyword === "var" ? "variable" : "file";
      }
      const locking = str(node.locking_read);
      if (locking !== undefined && locking !== "") facts.locking = locking;
    }
    const table = tableName(node);
    if (table !== undefined) facts.tables.add(table);
    for (const value of Object.values(node)) visit(value, depth + 1);
  };
  visit(root, 0);
  for (const name of ctes) facts.tables.delete(name);
  return facts;
}
