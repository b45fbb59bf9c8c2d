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

/** End of a (nested) block comment starting at `at`, or -1 when unterminated. */
export function closeBlockComment(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const open = text.indexOf("/*", i);
    const close = text.indexOf("*/", i);
    if (close === -1) return -1;
    if (open !== -1 && open < close) {
      depth += 1;
      i = open + 2;
    } else {
      depth -= 1;
      i = close + 2;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export function tokenizeTsql(text: string, base = 0): TsqlTokenizeResult {
  const tokens: TsqlToken[] = [];
  const comments: [number, number][] = [];
  const push = (type: TsqlTokenType, start: number, end: number, value?: string): void => {
    const raw = text.slice(start, end);
    tokens.push({ type, text: raw, value: value ?? raw, start: start + base, end: end + base });
  };
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
      const newline = text.indexOf("\n", i);
      const end = newline === -1 ? n : newline;
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
    if (c === "'" || ((c === "N" || c === "n") && next === "'")) {
      const quote = c === "'" ? i : i + 1;
      const end = closeQuoted(text, quote, "'");
      if (end === -1) return { ok: false, message: "unterminated string", position: i + base };
      push("string", i, end, text.slice(quote + 1, end - 1).replace(/''/g, "'"));
      i = end;
      continue;
    }
    if (c === "[") {
      const end = closeQuoted(text, i, "]");
      if (end === -1) return { ok: false, message: "unterminated [name]", position: i + base };
      push("qident", i, end, text.slice(i + 1, end - 1).replace(/\]\]/g, "]"));
      i = end;
      continue;
    }
    if (c === '"') {
      const end = closeQuoted(text, i, '"');
      if (end === -1) return { ok: false, message: 'unterminated "name"', position: i + base };
      push("qident", i, end, text.slice(i + 1, end - 1).replace(/""/g, '"'));
      i = end;
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
