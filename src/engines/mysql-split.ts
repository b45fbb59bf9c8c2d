/**
 * Splits a MySQL/MariaDB command into its statements, reading text as the server's lexer does
 * under the sql_mode the engine insists on (neither ANSI_QUOTES nor NO_BACKSLASH_ESCAPES, see
 * mysql-pins.ts): '…' and "…" strings with backslash escapes and doubled quotes, `…`
 * identifiers with doubled backticks, `# …` and `-- …` comments to the end of the line (`--`
 * only when a space or control character follows), and non-nested block comments.
 *
 * The connection never enables multipleStatements: each statement is sent alone, so a split
 * that disagreed with the server would be refused by it rather than run. What this reader could
 * read differently from the server is refused instead of guessed (fail closed): executable
 * comments (`/*! … *\/`, `/*M! … *\/`, whose content the server RUNS), an unterminated quote or
 * comment, and NUL characters. Pure, tested without a server.
 */

export type MysqlToken =
  /** An unquoted word (keyword, identifier, number), upper case. */
  | { type: "word"; value: string; start: number }
  /** A `quoted` identifier, its content unquoted (case kept). */
  | { type: "quoted"; value: string; start: number }
  /** A string literal; its content is never a keyword. */
  | { type: "string"; start: number }
  /** `@name`, `@'name'`: a user variable, never a system setting. */
  | { type: "uservar"; start: number }
  /** `@@`: what follows names a system variable. */
  | { type: "sysvar"; start: number }
  /** Any other character: ( ) , . = ; … */
  | { type: "punct"; value: string; start: number };

export interface MysqlStatement {
  /** The statement's source text, trimmed, without the separating semicolon. */
  text: string;
  /** 0-based offset of `text` in the whole command (UTF-16 code units). */
  offset: number;
  /** 1-based line of the command on which the statement starts. */
  line: number;
  tokens: MysqlToken[];
}

export type MysqlSplitResult =
  { ok: true; statements: MysqlStatement[] } | { ok: false; message: string; code: string };

const REFUSED = "COUNTERSIGN_REFUSED_STATEMENT";

class SplitRefusal extends Error {}

/** Characters of an unquoted MySQL word: letters, digits, `_`, `$` and anything past ASCII. */
function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
}

/** MySQL's `--` starts a comment only before whitespace or a control character (or the end). */
function startsDashComment(sql: string, i: number): boolean {
  if (sql[i] !== "-" || sql[i + 1] !== "-") return false;
  const next = sql.charCodeAt(i + 2);
  return Number.isNaN(next) || next <= 0x20 || next === 0x7f;
}

/** The index after a quoted region opened at `i` by `quote`; backslash escapes when `escapes`. */
function skipQuoted(sql: string, i: number, quote: string, escapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (escapes && c === "\\") {
      j += 2;
      continue;
    }
    if (c === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j += 1;
  }
  throw new SplitRefusal(
    `The command has an unterminated ${quote === "`" ? "quoted identifier" : "string"} (opened at character ${i + 1}); it cannot be split into statements safely.`,
  );
}

/** The index after a block comment opened at `i`; executable comments are refused. */
function skipBlockComment(sql: string, i: number): number {
  if (sql[i + 2] === "!" || (sql[i + 2] === "M" && sql[i + 3] === "!")) {
    throw new SplitRefusal(
      "Executable comments (/*! … */ and /*M! … */) are not allowed: the server runs their content, which Countersign and the reviewers read as a comment.",
    );
  }
  const end = sql.indexOf("*/", i + 2);
  if (end === -1)
    throw new SplitRefusal(
      `The command has an unterminated /* comment (opened at character ${i + 1}); it cannot be split into statements safely.`,
    );
  return end + 2;
}

function lineEnd(sql: string, i: number): number {
  const end = sql.indexOf("\n", i);
  return end === -1 ? sql.length : end + 1;
}

/** Every token of `sql`, comments and whitespace left out; throws SplitRefusal. */
export function tokenizeMysql(sql: string): MysqlToken[] {
  if (sql.includes("\u0000"))
    throw new SplitRefusal(
      "The command contains a NUL character, which the server may read differently; it is refused.",
    );
  const tokens: MysqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "#" || startsDashComment(sql, i)) {
      i = lineEnd(sql, i);
    } else if (c === "/" && sql[i + 1] === "*") {
      i = skipBlockComment(sql, i);
    } else if (c === "'" || c === '"') {
      tokens.push({ type: "string", start: i });
      i = skipQuoted(sql, i, c, true);
    } else if (c === "`") {
      const end = skipQuoted(sql, i, "`", false);
      tokens.push({
        type: "quoted",
        value: sql.slice(i + 1, end - 1).replace(/``/g, "`"),
        start: i,
      });
      i = end;
    } else if (c === "@" && sql[i + 1] === "@") {
      tokens.push({ type: "sysvar", start: i });
      i += 2;
    } else if (c === "@") {
      tokens.push({ type: "uservar", start: i });
      i = skipUserVariableName(sql, i + 1);
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < sql.length && isWordChar(sql[j] as string)) j += 1;
      tokens.push({ type: "word", value: sql.slice(i, j).toUpperCase(), start: i });
      i = j;
    } else {
      tokens.push({ type: "punct", value: c, start: i });
      i += 1;
    }
  }
  return tokens;
}

/** `@name`, `@'name'`, `@"name"`, `` @`name` ``: the index after the name. */
function skipUserVariableName(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"') return skipQuoted(sql, i, c, true);
  if (c === "`") return skipQuoted(sql, i, "`", false);
  let j = i;
  while (j < sql.length && (isWordChar(sql[j] as string) || sql[j] === ".")) j += 1;
  return j;
}

/** Line numbers of increasing offsets, counted once over the command (not once per statement). */
function lineCounter(sql: string): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset; at += 1) if (sql[at] === "\n") line += 1;
    return line;
  };
}

/**
 * `sql` → its statements, cut at every `;` outside quotes and comments. A statement made only
 * of comments is dropped; a command with none is refused as empty.
 */
export function splitMysqlStatements(sql: string): MysqlSplitResult {
  let tokens: MysqlToken[];
  try {
    tokens = tokenizeMysql(sql);
  } catch (error) {
    if (error instanceof SplitRefusal) return { ok: false, message: error.message, code: REFUSED };
    throw error;
  }
  const statements: MysqlStatement[] = [];
  const lineAt = lineCounter(sql);
  let from = 0;
  let current: MysqlToken[] = [];
  const close = (to: number): void => {
    if (current.length > 0) {
      const raw = sql.slice(from, to);
      const lead = raw.length - raw.trimStart().length;
      statements.push({
        text: raw.trim(),
        offset: from + lead,
        line: lineAt(from + lead),
        tokens: current,
      });
    }
    current = [];
  };
  for (const token of tokens) {
    if (token.type === "punct" && token.value === ";") {
      close(token.start);
      from = token.start + 1;
    } else {
      current.push(token);
    }
  }
  close(sql.length);
  if (statements.length === 0)
    return {
      ok: false,
      message: "The command contains no SQL statement.",
      code: "COUNTERSIGN_EMPTY",
    };
  return { ok: true, statements };
}
