/**
 * Comment stripping for custom rules: comments become a single space, so DROP and TABLE
 * separated by an empty block comment read `DROP TABLE`, and a pattern cannot be dodged by
 * gluing words together with comments.
 * Strings, quoted names and dollar-quoted bodies are kept as written.
 */
import { closeBlockComment, lineCommentEnd, tokenizeTsql } from "./tsql-tokenize.js";
import { tokenizeMysql } from "./mysql-tokenize.js";
import type { Dialect } from "./types.js";

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

function skipQuoted(sql: string, at: number, close: string, backslashEscapes: boolean): number {
  let i = at + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === "\\") {
      i += 2;
      continue;
    }
    if (c === close) {
      if (sql[i + 1] === close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return sql.length;
}

function postgresCommentRanges(sql: string): [number, number][] {
  const ranges: [number, number][] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    const prev = i > 0 ? (sql[i - 1] as string) : "";
    if (c === "-" && next === "-") {
      // PostgreSQL's lexer also ends a -- comment at CR or LF.
      const end = lineCommentEnd(sql, i);
      ranges.push([i, end]);
      i = end;
    } else if (c === "/" && next === "*") {
      const close = closeBlockComment(sql, i);
      const end = close === -1 ? sql.length : close;
      ranges.push([i, end]);
      i = end;
    } else if (c === "'") {
      const escaped = /[eE]/.test(prev) && !IDENTIFIER_CHAR.test(sql[i - 2] ?? "");
      i = skipQuoted(sql, i, "'", escaped);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === "$" && !IDENTIFIER_CHAR.test(prev)) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (tag === null) {
        i += 1;
      } else {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? sql.length : close + tag[0].length;
      }
    } else {
      i += 1;
    }
  }
  return ranges;
}

export function stripComments(sql: string, dialect: Dialect): string {
  let ranges: [number, number][];
  if (dialect === "postgres") {
    ranges = postgresCommentRanges(sql);
  } else if (dialect === "mysql") {
    const tokens = tokenizeMysql(sql);
    // An unterminated string or comment: match against the raw text only.
    if (!tokens.ok) return sql;
    ranges = tokens.comments;
  } else {
    const tokens = tokenizeTsql(sql);
    // An unterminated string or comment: match against the raw text only.
    if (!tokens.ok) return sql;
    ranges = tokens.comments;
  }
  if (ranges.length === 0) return sql;
  let out = "";
  let at = 0;
  for (const [start, end] of ranges) {
    out += `${sql.slice(at, start)} `;
    at = end;
  }
  return out + sql.slice(at);
}
