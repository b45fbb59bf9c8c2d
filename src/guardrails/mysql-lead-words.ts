/**
 * The shared vocabulary of the MySQL lead classifier (mysql-lead.ts and
 * mysql-lead-objects.ts): what a statement's leading words decide, and how to read them.
 */
import type { StatementClass } from "../policy/config.js";
import type { StatementDraft } from "./statement-draft.js";
import type { MysqlToken } from "./mysql-tokenize.js";

export interface LeadResult {
  /** `required`: unparsed when the parser fails; `optional`: only for the tables it names. */
  parse: "required" | "optional" | "none";
  /** The statement type the parser must report (`select`, `delete` …). */
  astType?: string;
  sessionOnly: boolean;
  /** MySQL commits the transaction before (and after) running it. */
  implicitCommit: boolean;
  /** EXPLAIN/ANALYZE of a statement: where it starts, and whether the server runs it. */
  inner?: { at: number; runs: boolean };
  /** PREPARE … FROM 'text': the text, judged as the statement it prepares. */
  prepared?: string;
  /** A read whose tokens get the read cross-check (INTO, locking clauses, `:=`). */
  query: boolean;
}

export class MysqlLeadError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export interface Words {
  toks: MysqlToken[];
  s: number;
  e: number;
}

export function wordAt(w: Words, k: number): string | undefined {
  const token = k < w.e ? w.toks[k] : undefined;
  return token?.type === "word" ? token.value : undefined;
}

export function hasWord(w: Words, name: string, from = w.s): boolean {
  for (let k = from; k < w.e; k += 1) if (wordAt(w, k) === name) return true;
  return false;
}

export function hasSequence(w: Words, names: readonly string[]): boolean {
  for (let k = w.s; k < w.e; k += 1) {
    if (names.every((name, i) => wordAt(w, k + i) === name)) return true;
  }
  return false;
}

export function set(draft: StatementDraft, kind: StatementClass, command: string): void {
  draft.kind = kind;
  draft.command = command;
}

export const NONE: LeadResult = {
  parse: "none",
  sessionOnly: false,
  implicitCommit: false,
  query: false,
};
