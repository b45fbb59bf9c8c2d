/** Small text helpers shared by the classifiers (positions, excerpts). */
import { STATEMENT_FLAGS, type StatementFlag, type StatementInfo } from "./types.js";
import type { StatementClass } from "../policy/config.js";

export const EXCERPT_MAX = 200;

export function excerpt(text: string, max = EXCERPT_MAX): string {
  const collapsed = text.replace(/\s+/g, " ").trim();
  if (collapsed.length <= max) return collapsed;
  return `${collapsed.slice(0, max - 1)}…`;
}

/**
 * Maps offsets to 1-based line/column. Statements are visited in order, so it walks
 * forward from the last answer instead of rescanning: a 1 MB script stays linear.
 */
export class LineCounter {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  at(position: number): { line: number; column: number } {
    if (position < this.offset) {
      this.offset = 0;
      this.line = 1;
      this.lineStart = 0;
    }
    const target = Math.min(position, this.text.length);
    let next = this.text.indexOf("\n", this.offset);
    while (next !== -1 && next < target) {
      this.line += 1;
      this.lineStart = next + 1;
      next = this.text.indexOf("\n", next + 1);
    }
    this.offset = target;
    return { line: this.line, column: target - this.lineStart + 1 };
  }
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

// ---------------------------------------------------------------------------------------
// Characters no command may contain (issue 12, classes 1 and 3)

/**
 * Characters that two readers may split differently (a lone CR ends a T-SQL comment for
 * SQL Server but not for every tool; U+2028 is a line break to some editors), that hide
 * text from the reviewer (bidi overrides: "Trojan Source"), or that no SQL needs: NUL and
 * the other C0/C1 controls except tab, line feed, CR-LF and form feed, lone surrogates,
 * and a byte-order mark anywhere but at the very start.
 */
const FORBIDDEN_CHARACTER =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\r(?!\n)|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const CHARACTER_NAMES: Record<number, string> = {
  0x00: "NUL",
  0x0b: "LINE TABULATION",
  0x0d: "CARRIAGE RETURN not followed by a line feed",
  0x85: "NEXT LINE",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "BYTE ORDER MARK",
};

function characterName(code: number): string {
  const name = CHARACTER_NAMES[code];
  if (name !== undefined) return name;
  if (code >= 0xd800 && code <= 0xdfff) return "an unpaired surrogate";
  return "a control character";
}

export interface ForbiddenCharacter {
  /** `U+202E`. */
  code: string;
  name: string;
  /** 0-based UTF-16 offset. */
  position: number;
}

/** The first character the command may not contain, or undefined. Linear in the text. */
export function findForbiddenCharacter(text: string): ForbiddenCharacter | undefined {
  FORBIDDEN_CHARACTER.lastIndex = 0;
  for (let match = FORBIDDEN_CHARACTER.exec(text); match !== null;) {
    const code = match[0].charCodeAt(0);
    if (!(code === 0xfeff && match.index === 0)) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0");
      return { code: `U+${hex}`, name: characterName(code), position: match.index };
    }
    match = FORBIDDEN_CHARACTER.exec(text);
  }
  return undefined;
}
