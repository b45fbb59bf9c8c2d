/**
 * Reading libpg-query's JSON tree: node wrappers (`{ TypeName: body }`), name lists and the
 * quoting of identifiers. Shared by the PostgreSQL classifier's modules.
 */

export type JsonObject = { [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The single `{ TypeName: body }` entry of a node wrapper. */
export function unwrap(node: unknown): [string, JsonObject] | undefined {
  if (!isObject(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const type = keys[0] as string;
  const body = node[type];
  return isObject(body) && /^[A-Z]/.test(type) ? [type, body] : undefined;
}

/** The nodes of a list field (absent → empty). */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Thrown inside the walk when part of a statement cannot be analysed (fail closed). */
export class AnalysisError extends Error {}

// Unquoted identifiers are folded to lower case (ASCII only, as PostgreSQL does), so a
// name in this shape needs no quotes to mean the same thing.
const PLAIN_IDENTIFIER = /^[\p{Ll}\p{Lo}\p{Lm}_][\p{Ll}\p{Lo}\p{Lm}\p{M}\p{Nd}_$]*$/u;

export function quotePart(part: string): string {
  return PLAIN_IDENTIFIER.test(part) ? part : `"${part.replace(/"/g, '""')}"`;
}

export function qualifiedName(parts: (string | undefined)[]): string {
  return parts
    .filter((part): part is string => part !== undefined && part !== "")
    .map(quotePart)
    .join(".");
}

/** The `sval`s of a list of `String` nodes (a qualified name, an operator name). */
export function stringList(value: unknown): string[] {
  const out: string[] = [];
  for (const item of list(value)) {
    const node = unwrap(item);
    if (node?.[0] === "String") {
      const text = str(node[1].sval);
      if (text !== undefined) out.push(text);
    }
  }
  return out;
}

/** The value of a `DefElem` argument as text (`String`, `Boolean`, `Integer`, a name list). */
export function defElemText(arg: unknown): string | undefined {
  const node = unwrap(arg);
  if (node === undefined) return Array.isArray(arg) ? stringList(arg).join(".") : undefined;
  const [type, body] = node;
  if (type === "String") return str(body.sval);
  if (type === "Boolean") return String(body.boolval === true);
  if (type === "Integer") return String(body.ival ?? 0);
  if (type === "TypeName") return stringList(body.names).join(".");
  if (type === "List") return stringList(body.items).join(".");
  return undefined;
}

/** The `DefElem` bodies of an options list, by name. */
export function defElems(options: unknown): JsonObject[] {
  const out: JsonObject[] = [];
  for (const option of list(options)) {
    const node = unwrap(option);
    if (node?.[0] === "DefElem") out.push(node[1]);
  }
  return out;
}

/** Deeper than any real script nests block comments; the parser slows down past it. */
export const MAX_COMMENT_DEPTH = 64;

/**
 * Where block comments first nest deeper than MAX_COMMENT_DEPTH, or undefined. PostgreSQL
 * nests `/* … *\/`, and libpg-query's lexer takes time quadratic in the depth, so 64 KiB of
 * `/*` would hold the intake for seconds. Quotes and line comments are ignored: a quoted
 * `/*` can only make the count higher than the real depth, never lower.
 */
export function deepCommentAt(text: string): number | undefined {
  if (!text.includes("/*")) return undefined;
  let depth = 0;
  for (let i = 0; i < text.length - 1; i += 1) {
    const here = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (here === 0x2f && next === 0x2a) {
      depth += 1;
      if (depth > MAX_COMMENT_DEPTH) return i;
      i += 1; // "/*/" opens a comment: its "*" cannot also close one
    } else if (here === 0x2a && next === 0x2f && depth > 0) {
      // Outside a comment "*/" is no token: the "/" may still open one ("*/*").
      depth -= 1;
      i += 1;
    }
  }
  return undefined;
}
