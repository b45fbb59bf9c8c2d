/**
 * GO batch splitting, exactly as sqlcmd and SSMS do it: `GO` (any case) alone on its
 * line, optionally followed by a repeat count and a `--` comment. A GO inside a string, a
 * [name], a "name" or a (nested) block comment is not a separator. The SQL Server engine
 * executes the batches this returns one by one, so classification and execution always
 * agree on where batches start and end.
 */
import { closeBlockComment, lineCommentEnd } from "./tsql-tokenize.js";

export interface TsqlBatch {
  /** The batch text, without the GO line. */
  text: string;
  /** 1-based line of the command on which the batch text starts. */
  startLine: number;
  /** How many times to run it: `GO 5` → 5; plain `GO` or end of text → 1. */
  repeat: number;
  /** UTF-16 offset of the batch text in the command. */
  start: number;
}

const GO_LINE = /[ \t]*go(?:[ \t]+(\d+))?[ \t]*(?:--[^\r\n]*)?(?:\r?\n|$)/iy;

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) {
    count += 1;
  }
  return count;
}

/** End offset of a quoted run opened at `at`, or the text's end when unterminated. */
function skipQuoted(text: string, at: number, close: string): number {
  let i = at + 1;
  for (;;) {
    const next = text.indexOf(close, i);
    if (next === -1) return text.length;
    if (text[next + 1] === close) {
      i = next + 2;
      continue;
    }
    return next + 1;
  }
}

/**
 * Splits a T-SQL script into GO batches. Batches holding only whitespace are dropped (a
 * trailing GO leaves one); everything else, comments included, is kept verbatim.
 */
export function splitTsqlBatches(sql: string): TsqlBatch[] {
  const batches: TsqlBatch[] = [];
  const n = sql.length;
  let batchStart = 0;
  let batchLine = 1;
  let line = 1;
  let i = 0;
  let lineStart = true;
  const finish = (end: number, repeat: number): void => {
    const text = sql.slice(batchStart, end);
    if (text.trim() !== "") batches.push({ text, startLine: batchLine, repeat, start: batchStart });
  };
  while (i < n) {
    if (lineStart) {
      lineStart = false;
      GO_LINE.lastIndex = i;
      const match = GO_LINE.exec(sql);
      if (match !== null) {
        finish(i, match[1] === undefined ? 1 : Number(match[1]));
        const end = i + match[0].length;
        const endsWithNewline = match[0].endsWith("\n");
        i = end;
        if (endsWithNewline) line += 1;
        batchStart = end;
        batchLine = line;
        lineStart = true;
        continue;
      }
    }
    const c = sql[i];
    if (c === "\n") {
      line += 1;
      i += 1;
      lineStart = true;
      continue;
    }
    let end = i + 1;
    if (c === "-" && sql[i + 1] === "-") {
      end = lineCommentEnd(sql, i);
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = closeBlockComment(sql, i);
      end = close === -1 ? n : close;
    } else if (c === "'") {
      end = skipQuoted(sql, i, "'");
    } else if (c === "[") {
      end = skipQuoted(sql, i, "]");
    } else if (c === '"') {
      end = skipQuoted(sql, i, '"');
    }
    line += end - i > 1 ? countNewlines(sql, i, end) : 0;
    i = end;
  }
  if (batchStart < n || batches.length === 0) finish(n, 1);
  return batches;
}
