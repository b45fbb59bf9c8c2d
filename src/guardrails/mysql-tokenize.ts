/**
 * MySQL/MariaDB lexical rules, read the way the server reads them with its default
 * settings. The tokenizer is the authority on where comments, strings and statements begin
 * and end: the parser only ever sees the text with every comment blanked out.
 *
 * Some text is read differently by the server and by other readers (a parser, an editor,
 * the reviewer). That text is a `hazard`, and a command with a hazard is refused whole:
 *
 * - `/*! … *\/` and `/*M! … *\/` are not comments to MySQL/MariaDB: the server runs them;
 *   `/*+ … *\/` are optimizer hints, and `SET_VAR` in a hint changes settings (sql_mode,
 *   foreign_key_checks) for the statement;
 * - `#` starts a comment for the server but not for most SQL tools and highlighters;
 * - `--` starts a comment only when a space or control character follows (`1--1` is
 *   `1 - -1`), a rule few other readers know;
 * - a backslash: in a string its meaning depends on the session's sql_mode
 *   (NO_BACKSLASH_ESCAPES decides whether `'\'` ends the string, and so where the next
 *   statement starts); outside strings `\N` is NULL and `\G`, `\g`, `\d` are client
 *   commands. Refusing every backslash outside comments means no reading of the command
 *   depends on sql_mode;
 * - `||`: OR in the default sql_mode, string concatenation under PIPES_AS_CONCAT, and
 *   node-sql-parser binds it like concatenation (`a = 1 || 1` is `a = (1 || 1)` to it,
 *   `(a = 1) OR 1` to the server): a WHERE could look narrow and match every row;
 * - a block comment opened inside another: MySQL and MariaDB have handled nesting
 *   differently across versions.
 */

export type MysqlTokenType =
  | "word"
  | "quoted"
  | "string"
  | "number"
  | "variable"
  | "op"
  | "lparen"
  | "rparen"
  | "comma"
  | "dot"
  | "semicolon";

export interface MysqlToken {
  type: MysqlTokenType;
  /** The text as written. */
  text: string;
  /**
   * `word`: upper case. `quoted` (backticks) and `string`: the content with doubled quotes
   * undone. `variable`: as written, with its `@` or `@@`.
   */
  value: string;
  /** UTF-16 offsets in the whole command. */
  start: number;
  end: number;
}

export interface MysqlHazard {
  position: number;
  reason: string;
}

export type MysqlTokens =
  | {
      ok: true;
      tokens: MysqlToken[];
      /** Comment ranges [start, end) in the command. */
      comments: [number, number][];
      /** The first text two readers might read differently; the command is refused. */
      hazard?: MysqlHazard;
    }
  | { ok: false; message: string; position: number; hazard?: MysqlHazard };

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const WHITESPACE = /[ \t\n\r\f]/;
const NUMBER = /^(?:0x[0-9A-Fa-f]+|0b[01]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$/;
const MULTI_CHAR_OPS = ["<=>", "->>", ":=", "<=", ">=", "<>", "!=", "||", "&&", "<<", ">>", "->"];
const PUNCTUATION: Record<string, MysqlTokenType> = {
  "(": "lparen",
  ")": "rparen",
  ",": "comma",
  ".": "dot",
  ";": "semicolon",
};

/** MySQL: `--` opens a comment only before whitespace, a control character or the end. */
function dashDashComment(sql: string, at: number): boolean {
  const after = sql.charCodeAt(at + 2);
  return Number.isNaN(after) || after <= 0x20 || after === 0x7f;
}

class Lexer {
  readonly tokens: MysqlToken[] = [];
  readonly comments: [number, number][] = [];
  hazard: MysqlHazard | undefined;
  private i = 0;

  constructor(
    private readonly sql: string,
    private readonly base: number,
  ) {}

  private hazardAt(position: number, reason: string): void {
    this.hazard ??= { position: this.base + position, reason };
  }

  private push(type: MysqlTokenType, start: number, end: number, value?: string): void {
    const text = this.sql.slice(start, end);
    this.tokens.push({
      type,
      text,
      value: value ?? (type === "word" ? text.toUpperCase() : text),
      start: this.base + start,
      end: this.base + end,
    });
  }

  /** Reads a quoted run closed by `quote` (doubled to escape); undefined when unterminated. */
  private quoted(quote: string): { end: number; value: string } | undefined {
    const { sql } = this;
    let value = "";
    let k = this.i + 1;
    while (k < sql.length) {
      const c = sql[k] as string;
      if (c === "\\") {
        this.hazardAt(
          k,
          "a backslash in quotes: whether it escapes the next character depends on sql_mode",
        );
      }
      if (c === quote) {
        if (sql[k + 1] === quote) {
          value += quote;
          k += 2;
          continue;
        }
        return { end: k + 1, value };
      }
      value += c;
      k += 1;
    }
    return undefined;
  }

  private blockComment(): string | undefined {
    const { sql, i } = this;
    const lead = sql.slice(i + 2, i + 4);
    if (lead.startsWith("!")) {
      this.hazardAt(i, "an executable comment /*! … */, which MySQL runs as SQL");
    } else if (/^[mM]!/.test(lead)) {
      this.hazardAt(i, "an executable comment /*M! … */, which MariaDB runs as SQL");
    } else if (lead.startsWith("+")) {
      this.hazardAt(i, "an optimizer hint /*+ … */, which can change settings for the statement");
    }
    const close = sql.indexOf("*/", i + 2);
    if (close === -1) return "the command has a block comment without its closing */";
    const inner = sql.indexOf("/*", i + 2);
    if (inner !== -1 && inner < close) {
      this.hazardAt(inner, "a block comment opened inside another one");
    }
    this.comments.push([this.base + i, this.base + close + 2]);
    this.i = close + 2;
    return undefined;
  }

  private lineComment(): void {
    const newline = this.sql.indexOf("\n", this.i);
    const end = newline === -1 ? this.sql.length : newline;
    this.comments.push([this.base + this.i, this.base + end]);
    this.i = end;
  }

  private variable(): void {
    const { sql } = this;
    const start = this.i;
    let k = start + 1;
    if (sql[k] === "@") k += 1;
    const quote = sql[k];
    if (quote === "'" || quote === '"' || quote === "`") {
      this.i = k;
      const read = this.quoted(quote);
      k = read === undefined ? sql.length : read.end;
    } else {
      while (k < sql.length && IDENTIFIER_CHAR.test(sql[k] as string)) k += 1;
    }
    this.push("variable", start, k);
    this.i = k;
  }

  private wordOrNumber(): void {
    const { sql } = this;
    const start = this.i;
    let k = start;
    while (k < sql.length && IDENTIFIER_CHAR.test(sql[k] as string)) k += 1;
    // A decimal part or a signed exponent continues a number (`1.5`, `1e-3`).
    if (/^\d+$/.test(sql.slice(start, k)) && sql[k] === ".") {
      k += 1;
      while (k < sql.length && IDENTIFIER_CHAR.test(sql[k] as string)) k += 1;
    }
    if (/^[\d.]+[eE]$/.test(sql.slice(start, k)) && /[+-]/.test(sql[k] ?? "")) {
      k += 1;
      while (k < sql.length && /\d/.test(sql[k] as string)) k += 1;
    }
    const text = sql.slice(start, k);
    this.push(NUMBER.test(text) ? "number" : "word", start, k);
    this.i = k;
  }

  private operator(): void {
    const { sql, i } = this;
    const multi = MULTI_CHAR_OPS.find((op) => sql.startsWith(op, i));
    if (multi === "||")
      this.hazardAt(i, "||, which means OR or string concatenation depending on sql_mode");
    const end = i + (multi?.length ?? 1);
    this.push("op", i, end);
    this.i = end;
  }

  /** Runs to the end; returns an error message for text that cannot be tokenized. */
  run(): string | undefined {
    const { sql } = this;
    while (this.i < sql.length) {
      const c = sql[this.i] as string;
      const next = sql[this.i + 1];
      if (WHITESPACE.test(c)) {
        this.i += 1;
      } else if (c === "#") {
        this.hazardAt(this.i, "a # comment, which SQL tools other than the server read as text");
        this.lineComment();
      } else if (c === "-" && next === "-") {
        if (dashDashComment(sql, this.i)) {
          this.lineComment();
        } else {
          this.hazardAt(this.i, "-- not followed by a space, which MySQL reads as two minus signs");
          this.operator();
        }
      } else if (c === "/" && next === "*") {
        const error = this.blockComment();
        if (error !== undefined) return error;
      } else if (c === "\\") {
        this.hazardAt(this.i, "a backslash (\\N, \\G … mean something to the server or client)");
        this.operator();
      } else if (c === "'" || c === '"' || c === "`") {
        const read = this.quoted(c);
        if (read === undefined) {
          return c === "`"
            ? "the command has a `quoted name` without its closing backtick"
            : `the command has a string without its closing ${c}`;
        }
        this.push(c === "`" ? "quoted" : "string", this.i, read.end, read.value);
        this.i = read.end;
      } else if (c === "@") {
        this.variable();
      } else if (c === "." && /\d/.test(next ?? "") && !this.afterName()) {
        this.wordOrNumber();
      } else if (PUNCTUATION[c] !== undefined) {
        this.push(PUNCTUATION[c], this.i, this.i + 1);
        this.i += 1;
      } else if (IDENTIFIER_CHAR.test(c)) {
        this.wordOrNumber();
      } else {
        this.operator();
      }
    }
    return undefined;
  }

  /** `t.1col`: a dot right after a name qualifies it, it does not start a number. */
  private afterName(): boolean {
    const last = this.tokens[this.tokens.length - 1];
    return last !== undefined && last.end === this.base + this.i && last.type !== "op";
  }

  position(): number {
    return this.base + this.i;
  }
}

/**
 * Tokenizes MySQL text. `base` is added to every offset (for text cut from a larger
 * command). Never throws; linear in the text.
 */
export function tokenizeMysql(sql: string, base = 0): MysqlTokens {
  const lexer = new Lexer(sql, base);
  const error = lexer.run();
  if (error !== undefined) {
    const failed: MysqlTokens = { ok: false, message: error, position: lexer.position() };
    if (lexer.hazard !== undefined) failed.hazard = lexer.hazard;
    return failed;
  }
  const result: MysqlTokens = { ok: true, tokens: lexer.tokens, comments: lexer.comments };
  if (lexer.hazard !== undefined) result.hazard = lexer.hazard;
  return result;
}

/**
 * The text with every comment replaced by spaces of the same length (line feeds kept), so
 * that offsets still match and the parser never applies its own comment rules.
 */
export function blankComments(
  sql: string,
  comments: readonly [number, number][],
  base = 0,
): string {
  let out = "";
  let at = 0;
  for (const [start, end] of comments) {
    const from = start - base;
    const to = end - base;
    if (to <= 0 || from >= sql.length) continue;
    out += sql.slice(at, from) + sql.slice(from, to).replace(/[^\n]/g, " ");
    at = to;
  }
  return out + sql.slice(at);
}
