/**
 * What the undo backups of a command will be, decided from its parse trees before anything
 * connects: for each top-level single-table UPDATE/DELETE, the relation, ONLY, alias and the
 * exact WHERE text (pg-undo-where.ts). A command whose changes the backups could not copy
 * exactly is refused as a whole, so nothing of it runs: UPDATE … FROM, DELETE … USING, a WITH
 * clause on an UPDATE/DELETE, a data-modifying WITH anywhere, WHERE CURRENT OF, MERGE,
 * TRUNCATE, INSERT … ON CONFLICT DO UPDATE, DO and CALL (procedural code whose writes nothing
 * can see), a write to the backup schema itself, and a command the parser could not read.
 * Functions called by a statement that write elsewhere are not visible here; the backups
 * cover the rows of the UPDATE/DELETE statements.
 */
import { parse } from "libpg-query";
import type { RawStmt } from "libpg-query";
import type { PgStatement } from "./pg-split.js";
import { UNDO_SCHEMA } from "./pg-undo-sql.js";
import type { TargetRelation } from "./pg-undo-sql.js";
import { whereCondition } from "./pg-undo-where.js";

/** One UPDATE/DELETE to back up. */
export interface BackupPlan {
  /** 1-based number of the statement in the command. */
  statement: number;
  kind: "UPDATE" | "DELETE";
  target: TargetRelation;
  /** The columns an UPDATE assigns (a primary key among them cannot be restored by key). */
  assigned: string[];
}

export type UndoPlans =
  { ok: true; plans: Map<PgStatement, BackupPlan> } | { ok: false; message: string; code: string };

export const UNDO_UNSUPPORTED_CODE = "COUNTERSIGN_UNDO_UNSUPPORTED";

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every object in a tree, depth first, without recursion (a deep tree must not overflow). */
function* treeNodes(root: unknown): Generator<Node> {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...(value as unknown[]));
    else if (isNode(value)) {
      yield value;
      for (const child of Object.values(value)) if (typeof child === "object") stack.push(child);
    }
  }
}

const WRITES = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

const REFUSED_KINDS: Record<string, string> = {
  MergeStmt: "MERGE",
  TruncateStmt: "TRUNCATE",
  DoStmt: "a DO block",
  CallStmt: "CALL",
};

const UNREADABLE = "part of a command PostgreSQL's parser could not read";

/** Refusals found anywhere in a statement's tree. */
function nestedRefusal(tree: unknown): string | null {
  for (const node of treeNodes(tree)) {
    const cte = node.CommonTableExpr;
    if (isNode(cte) && isNode(cte.ctequery)) {
      const kind = Object.keys(cte.ctequery)[0] ?? "";
      if (WRITES.has(kind)) return "a data-modifying WITH query";
    }
    for (const kind of WRITES) {
      const write = node[kind];
      if (!isNode(write) || !isNode(write.relation)) continue;
      if (String(write.relation.schemaname ?? "").toLowerCase() === UNDO_SCHEMA)
        return `a write to the ${UNDO_SCHEMA} schema, which holds the backups`;
    }
    const conflict = node.onConflictClause;
    if (isNode(conflict) && conflict.action === "ONCONFLICT_UPDATE")
      return "INSERT … ON CONFLICT DO UPDATE (the rows it updates cannot be copied first)";
  }
  return null;
}

function nameParts(relation: Node): string[] {
  return [relation.catalogname, relation.schemaname, relation.relname].filter(
    (part): part is string => typeof part === "string" && part !== "",
  );
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** The shape refusals of a top-level UPDATE/DELETE; null when it is one the backup can copy. */
function shapeRefusal(write: Node, kind: "UPDATE" | "DELETE"): string | null {
  if (write.withClause !== undefined) return `${kind} with a WITH clause`;
  if (hasItems(write.fromClause)) return "UPDATE … FROM";
  if (hasItems(write.usingClause)) return "DELETE … USING";
  if (isNode(write.whereClause) && write.whereClause.CurrentOfExpr !== undefined)
    return `${kind} … WHERE CURRENT OF`;
  if (!isNode(write.relation) || typeof write.relation.relname !== "string")
    return `${kind} without a table the parser could name`;
  return null;
}

function assignedColumns(write: Node): string[] {
  const targets = Array.isArray(write.targetList) ? (write.targetList as unknown[]) : [];
  return targets.flatMap((target) =>
    isNode(target) && isNode(target.ResTarget) && typeof target.ResTarget.name === "string"
      ? [target.ResTarget.name]
      : [],
  );
}

async function planOne(
  statement: PgStatement,
  number: number,
  write: Node,
  kind: "UPDATE" | "DELETE",
): Promise<BackupPlan | string> {
  const refused = shapeRefusal(write, kind);
  if (refused !== null) return refused;
  const relation = write.relation as Node;
  const found = await whereCondition(
    statement.text,
    write.whereClause !== undefined,
    write.returningClause !== undefined || hasItems(write.returningList),
  );
  if (!found.ok) return `this ${kind}: ${found.reason}`;
  const alias = isNode(relation.alias) ? relation.alias.aliasname : undefined;
  return {
    statement: number,
    kind,
    target: {
      names: nameParts(relation),
      // The tree leaves out `inh` when it is false, which is exactly ONLY.
      only: relation.inh !== true,
      alias: typeof alias === "string" ? alias : null,
      condition: found.condition,
    },
    assigned: kind === "UPDATE" ? assignedColumns(write) : [],
  };
}

function refusedWith(statement: number, what: string): UndoPlans {
  return {
    ok: false,
    code: UNDO_UNSUPPORTED_CODE,
    message:
      `Statement ${statement} is ${what}, which Countersign cannot back up exactly for undo ` +
      "(this resource keeps a copy of every row an UPDATE or DELETE changes). Nothing was run. " +
      "Write it as single-table UPDATE/DELETE statements with a plain WHERE.",
  };
}

/**
 * The backups of a command that pg-split.ts has split into `statements`; `sql` is parsed again
 * here for the trees, and must give the same statements (fail closed otherwise).
 */
export async function planBackups(sql: string, statements: PgStatement[]): Promise<UndoPlans> {
  const unparsed = statements.findIndex((s) => s.kind === "unparsed");
  if (unparsed >= 0) return refusedWith(unparsed + 1, UNREADABLE);
  let raws: RawStmt[];
  try {
    raws = (await parse(sql)).stmts ?? [];
  } catch {
    return refusedWith(1, UNREADABLE);
  }
  if (raws.length !== statements.length) return refusedWith(1, UNREADABLE);
  const plans = new Map<PgStatement, BackupPlan>();
  for (const [index, statement] of statements.entries()) {
    const tree = (raws[index]?.stmt ?? {}) as Node;
    const kind = Object.keys(tree)[0] ?? "unknown";
    if (kind !== statement.kind) return refusedWith(index + 1, UNREADABLE);
    const refusedKind = REFUSED_KINDS[kind];
    if (refusedKind !== undefined) return refusedWith(index + 1, refusedKind);
    const nested = nestedRefusal(tree);
    if (nested !== null) return refusedWith(index + 1, nested);
    if (kind !== "UpdateStmt" && kind !== "DeleteStmt") continue;
    const write = tree[kind];
    if (!isNode(write)) return refusedWith(index + 1, UNREADABLE);
    const plan = await planOne(
      statement,
      index + 1,
      write,
      kind === "UpdateStmt" ? "UPDATE" : "DELETE",
    );
    if (typeof plan === "string") return refusedWith(index + 1, plan);
    plans.set(statement, plan);
  }
  return { ok: true, plans };
}
