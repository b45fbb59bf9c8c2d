/**
 * The statement being classified, as both dialects build it: a mutable draft that the
 * classifiers flag and refuse as they find things, then `finishStatement` settles into the
 * public StatementInfo, so the rules that derive kinds and flags live in one place.
 */
import { STATEMENT_FLAGS, type StatementFlag, type StatementInfo } from "./types.js";
import type { StatementClass } from "../policy/config.js";

export const EXCERPT_MAX = 200;

export function excerpt(text: string, max = EXCERPT_MAX): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  if (collapsed.length <= max) return collapsed;
  return `${collapsed.slice(0, max - 1)}…`;
}

export interface StatementDraft {
  kind: StatementClass;
  command: string;
  tables: Set<string>;
  functions: Set<string>;
  reasons: Map<StatementFlag, string>;
  /** Why no resource may run it (see StatementInfo.refusal); the first reason wins. */
  refusal?: string;
}

export function newDraft(kind: StatementClass, command: string): StatementDraft {
  return { kind, command, tables: new Set(), functions: new Set(), reasons: new Map() };
}

/** Adds a flag, keeping the first (most specific) reason given for it. */
export function flag(draft: StatementDraft, name: StatementFlag, reason: string): void {
  if (!draft.reasons.has(name)) draft.reasons.set(name, reason);
}

/** Marks a statement as never runnable, keeping the first reason given. */
export function refuse(draft: StatementDraft, reason: string): void {
  draft.refusal ??= reason;
}

export function mergeDraft(into: StatementDraft, from: StatementDraft): void {
  for (const table of from.tables) into.tables.add(table);
  for (const fn of from.functions) into.functions.add(fn);
  for (const [name, reason] of from.reasons) flag(into, name, reason);
  if (from.refusal !== undefined) refuse(into, from.refusal);
}

/**
 * "Read" means provably read-only (DESIGN §1.4): a statement that carries any flag or a
 * refusal is not a read, whatever its command. Server administration becomes `admin`,
 * anything else `write`, so that kinds and `isReadOnly` can never disagree.
 */
function settleKind(draft: StatementDraft): void {
  if (draft.kind !== "read") return;
  if (draft.reasons.has("admin_functions") || draft.refusal !== undefined) draft.kind = "admin";
  else if (draft.reasons.size > 0) draft.kind = "write";
}

/**
 * Finalises a draft. The kind-derived flags are added here so that every classifier
 * agrees: `ddl`/`dcl` follow the kind, and `write` marks everything that is neither a
 * read, a transaction-control statement, nor a session-only admin statement.
 */
export function finishStatement(
  draft: StatementDraft,
  where: {
    index: number;
    start: number;
    end: number;
    line: number;
    column: number;
    source: string;
    batch?: number;
  },
  sessionOnly: boolean,
): StatementInfo {
  settleKind(draft);
  if (draft.kind === "ddl") flag(draft, "ddl", `${draft.command} changes the schema`);
  if (draft.kind === "dcl") flag(draft, "dcl", `${draft.command} changes privileges or roles`);
  const writes =
    draft.kind === "write" ||
    draft.kind === "ddl" ||
    draft.kind === "dcl" ||
    (draft.kind === "admin" && !sessionOnly);
  if (writes) flag(draft, "write", `${draft.command} can modify the database`);
  const flags = STATEMENT_FLAGS.filter((name) => draft.reasons.has(name));
  const reasons: Partial<Record<StatementFlag, string>> = {};
  for (const name of flags) reasons[name] = draft.reasons.get(name);
  const info: StatementInfo = {
    index: where.index,
    kind: draft.kind,
    command: draft.command,
    tables: [...draft.tables],
    functions: [...draft.functions],
    flags,
    reasons,
    text: excerpt(where.source.slice(where.start, where.end)),
    start: where.start,
    end: where.end,
    line: where.line,
    column: where.column,
  };
  if (draft.refusal !== undefined) info.refusal = draft.refusal;
  if (where.batch !== undefined) info.batch = where.batch;
  return info;
}

const KIND_RANK: Record<StatementClass, number> = {
  read: 0,
  transaction: 1,
  admin: 2,
  write: 3,
  ddl: 4,
  dcl: 5,
};

/** The more significant of two kinds (used when a read statement nests a write). */
export function strongerKind(a: StatementClass, b: StatementClass): StatementClass {
  return KIND_RANK[b] > KIND_RANK[a] ? b : a;
}
