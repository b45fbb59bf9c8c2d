/**
 * A T-SQL tokenizer: enough of SQL Server's lexical rules that nothing can hide from the
 * classifier. Line comments, block comments (which nest in T-SQL), 'strings' with ''
 * escapes, N'unicode strings', [bracketed] names with ]] escapes and "quoted" names are
 * recognised; comments are dropped from the token stream but reported, so the verdict can
 * match custom rules against comment-free text.
 */

export type TsqlTokenType =
  | "word"
  | "qident"
  | "variable"
  | "string"
  | "number"
  | "op"
  | "lparen"
  | "rparen"
  | "comma"
  | "dot"
  | "semicolon";

export interface TsqlToken {
  type: TsqlTokenType;
  /** The token as written. */
  text: string;
  /** word: upper case; qident / string: the unescaped content; otherwise as written. */
  value: string;
  /** UTF-16 offsets in the text passed to the tokenizer, plus the base offset. */
  start: number;
  end: number;
}

export type TsqlTokenizeResult =
  | { ok: true; tokens: TsqlToken[]; comments: [number, number][] }
  | { ok: false; message: string; position: number };

const WORD = /[\p{L}\p{M}_#][\p{L}\p{M}\p{N}_@#$]*/uy;
const VARIABLE = /@@?[\p{L}\p{M}\p{N}_@#$]*/uy;
const NUMBER = /0x[0-9a-f]*|(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/iy;
const MULTI_OPS = [
  "<=",
  ">=",
  "<>",
  "!=",
  "!<",
  "!>",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "::",
];

function sticky(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  return match === null ? undefined : match[0];
}

/** End of a quoted run starting at `at` (the opening char), or -1 when unterminated. */
function closeQuoted(text: string, at: number, close: string): number {
  let i = at + 1;
  for (;;) {
    const next = text.indexOf(close, i);
    if (next === -1) return -1;
    if (text[next + 1] === close) {
      i = next + 2;
      continue;
    }
    return next + 1;
  }
}

const LINE_BREAK = /[\r\n]/g;

/**
 * End of a `--` comment starting at `at`: SQL Server ends it at a line feed *or* a carriage
 * return (a lone CR included), so a comment never swallows a statement on a CR-only line.
 */
export function lineCommentEnd(text: string, at: number): number {
  LINE_BREAK.lastIndex = at;
  const match = LINE_BREAK.exec(text);
  return match === null ? text.length : match.index;
}

const COMMENT_MARK = /\/\*|\*\//g;

/**
 * End of a (nested) block comment starting at `at`, or -1 when unterminated. One pass over
 * the text (a marker search per step, never a rescan to the end), so a long run of `/*`
 * stays linear.
 */
export function closeBlockComment(text: string, at: number): number {
  let depth = 0;
  COMMENT_MARK.lastIndex = at;
  for (let match = COMMENT_MARK.exec(text); match !== null; match = COMMENT_MARK.exec(text)) {
    depth += match[0] === "/*" ? 1 : -1;
    if (depth === 0) return COMMENT_MARK.lastIndex;
  }
  return -1;
}

const QUOTES: Readonly<Record<string, { close: string; type: TsqlTokenType; what: string }>> = {
  "'": { close: "'", type: "string", what: "string" },
  "[": { close: "]", type: "qident", what: "[name]" },
  '"': { close: '"', type: "qident", what: '"name"' },
};

/** A quoted run at `i` ('string', N'string', [name], "name") with its unescaped value. */
function quoted(
  text: string,
  i: number,
): { type: TsqlTokenType; end: number; value: string } | { error: string } | undefined {
  const unicode = (text[i] === "N" || text[i] === "n") && text[i + 1] === "'";
  const open = unicode ? i + 1 : i;
  const quote = QUOTES[text[open] as string];
  if (quote === undefined) return undefined;
  const end = closeQuoted(text, open, quote.close);
  if (end === -1) return { error: `unterminated ${quote.what}` };
  const value = text
    .slice(open + 1, end - 1)
    .split(quote.close + quote.close)
    .join(quote.close);
  return { type: quote.type, end, value };
}

export function tokenizeTsql(text: string, base = 0): TsqlTokenizeResult {
  const tokens: TsqlToken[] = [];
  const comments: [number, number][] = [];
  const push = (type: TsqlTokenType, start: number, end: number, value?: string): void => {
    const raw = text.slice(start, end);
    tokens.push({ type, text: raw, value: value ?? raw, start: start + base, end: end + base });
  };
  // SQL Server and JavaScript may disagree on where text ends at a NUL: refuse it outright.
  const nul = text.indexOf("\0");
  if (nul !== -1)
    return { ok: false, message: "the command contains a NUL character", position: nul + base };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === "-" && next === "-") {
      const end = lineCommentEnd(text, i);
      comments.push([i + base, end + base]);
      i = end;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = closeBlockComment(text, i);
      if (end === -1) return { ok: false, message: "unterminated /* comment", position: i + base };
      comments.push([i + base, end + base]);
      i = end;
      continue;
    }
    const quotedRun = quoted(text, i);
    if (quotedRun !== undefined) {
      if ("error" in quotedRun) return { ok: false, message: quotedRun.error, position: i + base };
      push(quotedRun.type, i, quotedRun.end, quotedRun.value);
      i = quotedRun.end;
      continue;
    }
    if (c === "@") {
      const variable = sticky(VARIABLE, text, i) as string;
      push("variable", i, i + variable.length, variable.toLowerCase());
      i += variable.length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && next !== undefined && /[0-9]/.test(next))) {
      const number = sticky(NUMBER, text, i) as string;
      push("number", i, i + number.length);
      i += number.length;
      continue;
    }
    const word = sticky(WORD, text, i);
    if (word !== undefined) {
      push("word", i, i + word.length, word.toUpperCase());
      i += word.length;
      continue;
    }
    if (c === "(") push("lparen", i, i + 1);
    else if (c === ")") push("rparen", i, i + 1);
    else if (c === ",") push("comma", i, i + 1);
    else if (c === ".") push("dot", i, i + 1);
    else if (c === ";") push("semicolon", i, i + 1);
    else {
      const two = text.slice(i, i + 2);
      if (MULTI_OPS.includes(two)) {
        push("op", i, i + 2);
        i += 2;
        continue;
      }
      // Whole code point, so a stray emoji is one token and not two lone surrogates.
      const width = (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
      push("op", i, i + width);
      i += width;
      continue;
    }
    i += 1;
  }
  return { ok: true, tokens, comments };
}
