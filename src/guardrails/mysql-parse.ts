/**
 * node-sql-parser, used the way the guardrails can trust it: one statement at a time (the
 * tokenizer splits the command), with its comments blanked out (the tokenizer decides what
 * a comment is), read first with the MySQL grammar and then with MariaDB's. A statement
 * neither grammar reads, or one they read as something other than its leading words say
 * (`SELECT 1 GO SELECT 2` read as two statements), is a parse error.
 */
import { createRequire } from "node:module";
import type { AST, Parser as ParserClass } from "node-sql-parser";
import { isObject } from "./pg-ast.js";

// The package ships one CommonJS bundle per dialect; loading only these two keeps the
// other ten grammars out of memory.
const require = createRequire(import.meta.url);

interface ParserModule {
  Parser: typeof ParserClass;
}

let parsers: { database: string; parser: ParserClass }[] | undefined;

function loadParsers(): { database: string; parser: ParserClass }[] {
  if (parsers === undefined) {
    const mysql = require("node-sql-parser/build/mysql.js") as ParserModule;
    const mariadb = require("node-sql-parser/build/mariadb.js") as ParserModule;
    parsers = [
      { database: "mysql", parser: new mysql.Parser() },
      { database: "mariadb", parser: new mariadb.Parser() },
    ];
  }
  return parsers;
}

export type ParseResult =
  { ok: true; ast: Record<string, unknown> } | { ok: false; message: string; offset?: number };

function errorOffset(error: unknown): number | undefined {
  if (!isObject(error)) return undefined;
  const location = error.location;
  if (!isObject(location) || !isObject(location.start)) return undefined;
  const offset = location.start.offset;
  return typeof offset === "number" ? offset : undefined;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0] ?? text;
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** Parses one statement's text (comments already blanked). Never throws on bad input. */
export function parseMysqlStatement(text: string): ParseResult {
  let first: ParseResult | undefined;
  for (const { database, parser } of loadParsers()) {
    let ast: AST | AST[];
    try {
      ast = parser.astify(text, { database });
    } catch (error) {
      if (error instanceof RangeError) throw error;
      const offset = errorOffset(error);
      first ??= {
        ok: false,
        message: firstLine(error),
        ...(offset === undefined ? {} : { offset }),
      };
      continue;
    }
    const list = Array.isArray(ast) ? ast : [ast];
    if (list.length !== 1 || !isObject(list[0])) {
      return {
        ok: false,
        message: "the parser read more than one statement where MySQL reads one",
      };
    }
    return { ok: true, ast: list[0] };
  }
  return first ?? { ok: false, message: "the parser could not read the statement" };
}
