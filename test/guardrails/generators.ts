/**
 * fast-check generators for the guardrail property test (issue 12, "Tests that must
 * exist"): nested input, random token streams and harmless commands with a denied
 * statement spliced in, for PostgreSQL and T-SQL.
 *
 * The harmless and splice generators only produce text whose lexical reading is certain:
 * every literal, quoted name and comment is closed the way the server closes it, so a
 * statement spliced in at a boundary is one the server would really run. Anything odd
 * (unterminated quotes, lone CR, U+2028, NUL …) goes only into the token streams, where
 * the property is "a verdict always comes back", not a particular verdict.
 */
import fc from "fast-check";
import type { Dialect } from "../../src/guardrails/index.js";

/** Every generated command stays under this many UTF-8 bytes (issue 12: "under 64 KiB"). */
export const MAX_BYTES = 64 * 1024;

export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cuts `text` to at most `MAX_BYTES` UTF-8 bytes without splitting a surrogate pair. */
export function capBytes(text: string, max = MAX_BYTES): string {
  if (byteLength(text) <= max) return text;
  let out = text.slice(0, max);
  while (byteLength(out) > max) out = out.slice(0, Math.floor(out.length * 0.9));
  const last = out.charCodeAt(out.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? out.slice(0, -1) : out;
}

// ---------------------------------------------------------------------------------------
// Literal and comment content

/**
 * Pieces of text that look like the start or end of a comment, a literal or a batch
 * separator. They only ever appear inside a properly closed literal, quoted name or
 * comment, so for the server they are data.
 */
const CONTENT_UNITS = [
  "a",
  "x",
  "1",
  " ",
  "\t",
  "\n",
  "\r\n",
  "'",
  "''",
  "'--",
  "--'",
  '"',
  "\\",
  "\\'",
  "-",
  "--",
  "-- ",
  "/",
  "*",
  "/*",
  "*/",
  ";",
  "; ",
  "$",
  "$$",
  "$a$",
  "[",
  "]",
  "]]",
  "E'",
  "N'",
  "GO",
  "go",
  "DROP TABLE users",
  "; DROP TABLE users; --",
  "é",
  "日本",
  "😀",
  "\u00a0",
];

/** Comment or quote openers a naive reader might mistake for the real thing. */
const LOOKALIKES = ["--", "-- ", "/*", "/* '", "'", "--'", "\\", "$$", "[", '"', "*/", "N'", "E'"];

const content = (maxLength = 8): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...CONTENT_UNITS), { maxLength }).map((units) => units.join(""));

/** Content that is sure to hold a comment or quote lookalike. */
const lookalikeContent: fc.Arbitrary<string> = fc
  .tuple(content(3), fc.constantFrom(...LOOKALIKES), content(3))
  .map(([before, lookalike, after]) => before + lookalike + after);

const anyContent = fc.oneof(content(), lookalikeContent);

/** T-SQL: never let a line inside a literal or comment read `GO` (a batch separator for sqlcmd). */
function noGoLine(text: string): string {
  return text.replace(/(^|\n)([ \t]*)(go)/gi, "$1$2x$3");
}

/** Line comment content: no line break (a lone CR ends a `--` comment for both servers). */
function lineCommentBody(text: string): string {
  return text.replace(/[\r\n\u2028\u2029\u0085]/g, " ");
}

/** Block comment content: no `/` or `*`, so nothing can open or close a comment early. */
function blockCommentBody(text: string): string {
  return text.replace(/[/*]/g, "-");
}

/** Smallest dollar quote whose tag does not occur in `body` (PostgreSQL). */
function dollarQuote(body: string, preferred: string): string {
  for (let n = 0; ; n += 1) {
    const tag = n === 0 ? preferred : `${preferred === "" ? "q" : preferred}${n}`;
    const delimiter = `$${tag}$`;
    // The first occurrence of the delimiter must be the closing one.
    if ((body + delimiter).indexOf(delimiter) === body.length) {
      return `${delimiter}${body}${delimiter}`;
    }
  }
}

const dollarTag = fc.constantFrom("", "", "a", "tag", "_x1", "q");

function pgLiteral(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    // Standard string: only '' escapes (standard_conforming_strings is pinned on).
    body.map((text) => `'${text.replace(/'/g, "''")}'`),
    // Escape string: backslashes escaped, quotes escaped either way.
    fc
      .tuple(body, fc.boolean())
      .map(
        ([text, doubled]) =>
          `E'${text.replace(/\\/g, "\\\\").replace(/'/g, doubled ? "''" : "\\'")}'`,
      ),
    fc.tuple(body, dollarTag).map(([text, tag]) => dollarQuote(text, tag)),
    // Unicode escape string: '' and \\ escapes.
    body.map((text) => `U&'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`),
  );
}

/** A quoted name's content: never empty, at most 60 code points (both servers limit names). */
function nameText(text: string): string {
  return text === "" ? "x" : Array.from(text).slice(0, 60).join("");
}

function pgQuotedName(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return body.map((text) => `"${nameText(text).replace(/"/g, '""')}"`);
}

function tsqlLiteral(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(body, fc.constantFrom("", "N", "n"))
    .map(([text, prefix]) => `${prefix}'${noGoLine(text).replace(/'/g, "''")}'`);
}

function tsqlQuotedName(body: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(body, fc.boolean()).map(([raw, bracket]) => {
    const text = noGoLine(nameText(raw));
    return bracket ? `[${text.replace(/\]/g, "]]")}]` : `"${text.replace(/"/g, '""')}"`;
  });
}

function literal(dialect: Dialect, body: fc.Arbitrary<string> = anyContent): fc.Arbitrary<string> {
  return dialect === "postgres" ? pgLiteral(body) : tsqlLiteral(body);
}

function quotedName(dialect: Dialect, body: fc.Arbitrary<string> = anyContent) {
  return dialect === "postgres" ? pgQuotedName(body) : tsqlQuotedName(body);
}

const lineEnd = fc.constantFrom("\n", "\r\n");

function lineComment(dialect: Dialect): fc.Arbitrary<string> {
  return fc.tuple(anyContent, lineEnd).map(([text, end]) => {
    const body = lineCommentBody(text);
    return `--${dialect === "mssql" ? noGoLine(body) : body}${end}`;
  });
}

/** Block comments, nested up to three deep (both servers nest them). */
function blockComment(dialect: Dialect): fc.Arbitrary<string> {
  const body = anyContent.map((text) => {
    const clean = blockCommentBody(text);
    return dialect === "mssql" ? noGoLine(clean) : clean;
  });
  const { comment } = fc.letrec<{ comment: string }>((tie) => ({
    comment: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      body.map((text) => `/* ${text} */`),
      fc
        .tuple(body, tie("comment"), body)
        .map(([before, inner, after]) => `/* ${before} ${inner} ${after} */`),
    ),
  }));
  return comment;
}

const plainSpace = fc.constantFrom(" ", "  ", "\n", "\t", "\r\n", " \n\t", "\n\n");

/** Whitespace and comments between tokens; may be empty. */
function gap(dialect: Dialect): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: plainSpace },
        { weight: 1, arbitrary: lineComment(dialect) },
        { weight: 1, arbitrary: blockComment(dialect) },
      ),
      { maxLength: 3 },
    )
    .map((parts) => parts.join(""));
}

/** Whitespace and comments that separate two tokens (never empty). */
function spacing(dialect: Dialect): fc.Arbitrary<string> {
  return gap(dialect).map((text) => ` ${text} `);
}

// ---------------------------------------------------------------------------------------
// Harmless statements

interface Statement {
  sql: string;
  /** T-SQL: must follow a `;`, a GO line or the start of the command (a CTE). */
  needsTerminator?: boolean;
  /** T-SQL: only valid as the first statement of a batch (a procedure call without EXEC). */
  batchStart?: boolean;
}

const number = fc.integer({ min: 0, max: 99999 }).map(String);

function harmlessStatement(dialect: Dialect, lit: fc.Arbitrary<string>): fc.Arbitrary<Statement> {
  const s = spacing(dialect);
  // PostgreSQL allows `$` inside names: `a$$` is a name, not the start of a dollar quote.
  const plainNames =
    dialect === "postgres" ? ["x", "total", "a1", "a$$", "t$x$"] : ["x", "total", "a1"];
  const name = fc.oneof(fc.constantFrom(...plainNames), quotedName(dialect));
  const templates: fc.Arbitrary<Statement>[] =
    dialect === "postgres"
      ? [
          fc.tuple(s, lit).map(([g, l]) => ({ sql: `SELECT${g}${l}` })),
          fc.tuple(s, lit, s, name).map(([g, l, h, n]) => ({ sql: `SELECT${g}${l}${h}AS ${n}` })),
          fc.tuple(lit, number, lit).map(([l, n, m]) => ({ sql: `SELECT ${l}, ${n}, ${m}` })),
          fc.tuple(s, number).map(([g, n]) => ({ sql: `SELECT a, b FROM t${g}WHERE id = ${n}` })),
          fc
            .tuple(lit, number)
            .map(([l, n]) => ({ sql: `SELECT * FROM t WHERE name = ${l} ORDER BY 1 LIMIT ${n}` })),
          fc.tuple(lit, s).map(([l, g]) => ({
            sql: `WITH c AS (SELECT ${l} AS x)${g}SELECT x FROM c`,
          })),
          fc.tuple(lit, number).map(([l, n]) => ({ sql: `VALUES (${l}, ${n})` })),
          fc.tuple(lit, lit).map(([l, m]) => ({
            sql: `SELECT x FROM (SELECT ${l} AS x) AS s WHERE x <> ${m}`,
          })),
          fc.tuple(number, lit, lit).map(([n, l, m]) => ({
            sql: `SELECT CASE WHEN id > ${n} THEN ${l} ELSE ${m} END FROM t`,
          })),
          name.map((n) => ({ sql: `SELECT * FROM t AS ${n}` })),
        ]
      : [
          fc.tuple(s, lit).map(([g, l]) => ({ sql: `SELECT${g}${l}` })),
          fc.tuple(s, lit, s, name).map(([g, l, h, n]) => ({ sql: `SELECT${g}${l}${h}AS ${n}` })),
          fc.tuple(lit, number, lit).map(([l, n, m]) => ({ sql: `SELECT ${l}, ${n}, ${m}` })),
          fc.tuple(s, number).map(([g, n]) => ({ sql: `SELECT a, b FROM t${g}WHERE id = ${n}` })),
          fc.tuple(number, lit).map(([n, l]) => ({
            sql: `SELECT TOP (${n}) * FROM dbo.t WHERE name = ${l} ORDER BY 1`,
          })),
          fc.tuple(lit, lit).map(([l, m]) => ({
            sql: `SELECT x FROM (SELECT ${l} AS x) AS s WHERE x <> ${m}`,
          })),
          fc.tuple(number, lit, lit).map(([n, l, m]) => ({
            sql: `SELECT CASE WHEN id > ${n} THEN ${l} ELSE ${m} END FROM t`,
          })),
          fc.tuple(lit, s).map(([l, g]) => ({
            sql: `WITH c AS (SELECT ${l} AS x)${g}SELECT x FROM c`,
            needsTerminator: true,
          })),
          lit.map((l) => ({ sql: `PRINT ${l}` })),
          fc.tuple(number, lit).map(([n, l]) => ({ sql: `DECLARE @v${n} nvarchar(100) = ${l}` })),
          fc.tuple(number, s, number).map(([n, g, m]) => ({
            sql: `DECLARE @w${n} int;${g}SET @w${n} = ${m}`,
          })),
          lit.map((l) => ({ sql: `RAISERROR(${l}, 0, 1)` })),
          number.map((n) => ({ sql: `SELECT * FROM t WITH (NOLOCK) WHERE id = ${n}` })),
          name.map((n) => ({ sql: `SELECT * FROM t AS ${n}` })),
        ];
  return fc.oneof(...templates);
}

function harmless(dialect: Dialect): fc.Arbitrary<Statement> {
  return harmlessStatement(dialect, literal(dialect));
}

/**
 * Statements the default guardrails allow without being reads (reporting procedures):
 * only around a splice, where their parameter lists must not swallow the next statement.
 */
function allowedNeighbour(dialect: Dialect): fc.Arbitrary<Statement> {
  if (dialect === "postgres") return harmless(dialect);
  const lit = literal(dialect);
  return fc.oneof(
    { weight: 4, arbitrary: harmless(dialect) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        lit.map((l) => ({ sql: `EXEC sp_help ${l}` })),
        lit.map((l) => ({ sql: `EXEC sp_help @objname = ${l}` })),
        fc.constant({ sql: "EXEC sp_who" }),
        lit.map((l) => ({ sql: `sp_helptext ${l}`, batchStart: true })),
      ),
    },
  );
}

/** A harmless read ending in a literal or quoted name full of comment and quote lookalikes. */
function lookalikeTail(dialect: Dialect): fc.Arbitrary<Statement> {
  return fc.oneof(
    literal(dialect, lookalikeContent).map((token) => ({ sql: `SELECT ${token}` })),
    quotedName(dialect, lookalikeContent).map((token) => ({ sql: `SELECT 1 AS ${token}` })),
  );
}

// ---------------------------------------------------------------------------------------
// Statement boundaries

interface Separator {
  text: string;
  /** Ends with `;`-termination or a GO line, so a CTE may follow (T-SQL). */
  terminated: boolean;
  /** Starts a new T-SQL batch. */
  batch: boolean;
}

function separator(
  dialect: Dialect,
  unusualLineEnds: boolean,
  goLines = true,
): fc.Arbitrary<Separator> {
  const g = gap(dialect);
  const semicolon = fc
    .tuple(g, g)
    .map(([before, after]) => ({ text: `${before};${after}`, terminated: true, batch: false }));
  // A line comment ended by a lone CR: both servers end `--` there.
  const loneCr = fc
    .tuple(g, anyContent)
    .map(([before, text]) => `${before}-- ${noGoLine(lineCommentBody(text))}\r`);
  if (dialect === "postgres") {
    if (!unusualLineEnds) return semicolon;
    return fc.oneof(
      { weight: 4, arbitrary: semicolon },
      {
        weight: 1,
        arbitrary: fc
          .tuple(g, loneCr)
          .map(([before, cr]) => ({ text: `${before};${cr}`, terminated: true, batch: false })),
      },
    );
  }
  const whitespace = fc.oneof(
    spacing(dialect).map((text) => ({ text, terminated: false, batch: false })),
    // Nothing at all: `SELECT 'a'DROP TABLE users` is two statements (see join).
    fc.constant({ text: "", terminated: false, batch: false }),
  );
  const goLine = fc
    .tuple(g, fc.constantFrom("GO", "go", "Go", "GO 1", "GO -- next batch", "  GO  "), lineEnd, g)
    .map(([before, go, end, after]) => ({
      text: `${before}\n${go}${end}${after}`,
      terminated: true,
      batch: true,
    }));
  const arbitraries: fc.WeightedArbitrary<Separator>[] = [
    { weight: 3, arbitrary: semicolon },
    { weight: 2, arbitrary: whitespace },
  ];
  if (goLines) arbitraries.push({ weight: 2, arbitrary: goLine });
  if (unusualLineEnds) {
    arbitraries.push({
      weight: 1,
      arbitrary: loneCr.map((text) => ({ text, terminated: false, batch: false })),
    });
  }
  return fc.oneof(...arbitraries);
}

/** Joins statements, fixing separators a T-SQL statement cannot follow. */
function join(
  dialect: Dialect,
  statements: Statement[],
  separators: Separator[],
  fallback: Separator,
): string {
  let out = "";
  statements.forEach((statement, i) => {
    if (i > 0) {
      let sep = separators[i - 1] ?? fallback;
      if (dialect === "mssql") {
        if (statement.needsTerminator === true && !sep.terminated) sep = fallback;
        if (statement.batchStart === true && !sep.batch) sep = fallback;
        // Two statements may touch only after a closing quote, bracket or parenthesis.
        if (sep.text === "" && !/['"\])]$/.test(out)) sep = { ...sep, text: " " };
      }
      out += sep.text;
    }
    out += statement.sql;
  });
  return out;
}

const SEMICOLON: Separator = { text: ";\n", terminated: true, batch: false };
const GO_LINE: Separator = { text: "\nGO\n", terminated: true, batch: true };

/** A command of harmless reads only: the guardrails must allow it (sanity check of the generator). */
export function harmlessCommand(dialect: Dialect): fc.Arbitrary<string> {
  return fc
    .tuple(
      gap(dialect),
      fc.array(harmless(dialect), { minLength: 1, maxLength: 4 }),
      fc.array(separator(dialect, false), { minLength: 3, maxLength: 3 }),
      gap(dialect),
      fc.boolean(),
    )
    .map(([lead, statements, separators, trail, semi]) => {
      const body = join(dialect, statements, separators, SEMICOLON);
      return `${lead}${body}${semi ? ";" : ""}${trail}`;
    });
}

// ---------------------------------------------------------------------------------------
// Denied statements

/** One statement the default guardrails (DEFAULT_DENY) deny on its own. */
export interface DeniedStatement {
  sql: string;
  /** T-SQL: only a statement when first in its batch. */
  batchStart?: boolean;
  /** PostgreSQL: the same statement as PL/pgSQL runs it in a DO block (none: not usable there). */
  plpgsql?: string;
}

export const DENIED: Record<Dialect, DeniedStatement[]> = {
  postgres: [
    { sql: "DROP TABLE users", plpgsql: "DROP TABLE users" },
    {
      sql: "drop table if exists public.users cascade",
      plpgsql: "drop table if exists public.users cascade",
    },
    { sql: "DROP SCHEMA app CASCADE", plpgsql: "DROP SCHEMA app CASCADE" },
    { sql: "TRUNCATE users", plpgsql: "TRUNCATE users" },
    { sql: "TRUNCATE TABLE users, orders", plpgsql: "TRUNCATE TABLE users, orders" },
    { sql: "DELETE FROM users", plpgsql: "DELETE FROM users" },
    { sql: "DELETE FROM users WHERE 1 = 1", plpgsql: "DELETE FROM users WHERE 1 = 1" },
    { sql: "UPDATE users SET a = 1", plpgsql: "UPDATE users SET a = 1" },
    { sql: "UPDATE users SET a = 1 WHERE true", plpgsql: "UPDATE users SET a = 1 WHERE true" },
    { sql: "COPY t TO PROGRAM 'x'", plpgsql: "COPY t TO PROGRAM 'x'" },
    { sql: "COPY (SELECT 1) TO PROGRAM 'curl http://example.com'" },
    { sql: "SELECT pg_terminate_backend(1)", plpgsql: "PERFORM pg_terminate_backend(1)" },
    {
      sql: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
      plpgsql: "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity",
    },
    { sql: "SELECT pg_reload_conf()", plpgsql: "PERFORM pg_reload_conf()" },
    {
      sql: "SELECT dblink_exec('host=x', 'DROP TABLE users')",
      plpgsql: "PERFORM dblink_exec('host=x', 'DROP TABLE users')",
    },
    { sql: "COPY users FROM PROGRAM 'x'", plpgsql: "COPY users FROM PROGRAM 'x'" },
    {
      sql: "MERGE INTO users u USING src s ON true WHEN MATCHED THEN DELETE",
      plpgsql: "MERGE INTO users u USING src s ON true WHEN MATCHED THEN DELETE",
    },
    { sql: "PREPARE p AS DELETE FROM users" },
    // Refused whatever the deny list says (issue 12, class 1).
    {
      sql: "SET standard_conforming_strings = off",
      plpgsql: "SET standard_conforming_strings = off",
    },
    {
      sql: "SELECT set_config('standard_conforming_strings', 'off', false)",
      plpgsql: "PERFORM set_config('standard_conforming_strings', 'off', false)",
    },
    { sql: "SET ROLE postgres" },
    { sql: "COMMIT" },
    { sql: "WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d" },
    { sql: "EXPLAIN ANALYZE DELETE FROM users" },
  ],
  mssql: [
    { sql: "DROP TABLE users" },
    { sql: "DROP TABLE IF EXISTS [dbo].[users]" },
    { sql: "TRUNCATE TABLE users" },
    { sql: "DELETE FROM users" },
    { sql: "DELETE users" },
    { sql: "DELETE FROM dbo.users WHERE 1 = 1" },
    { sql: "UPDATE users SET a = 1" },
    { sql: "UPDATE u SET a = 1 FROM users AS u" },
    { sql: "EXEC xp_cmdshell 'dir'" },
    { sql: "EXEC master..xp_cmdshell 'dir'" },
    { sql: "EXECUTE master.dbo.xp_cmdshell N'dir'" },
    { sql: "exec xp_cmdshell 'dir'" },
    { sql: "EXEC sp_configure 'xp_cmdshell', 1" },
    { sql: "SHUTDOWN" },
    { sql: "SHUTDOWN WITH NOWAIT" },
    { sql: "KILL 52" },
    { sql: "EXEC @rc = xp_cmdshell 'dir'" },
    { sql: "EXEC [master].[dbo].[xp_cmdshell] 'dir'" },
    { sql: "DROP TABLE [users]" },
    { sql: "TRUNCATE TABLE [dbo].[users]" },
    { sql: "DELETE TOP (10) FROM users" },
    { sql: "UPDATE TOP (1) users SET a = 1" },
    { sql: "MERGE users AS t USING src AS s ON 1 = 1 WHEN MATCHED THEN DELETE;" },
    { sql: "ALTER DATABASE app SET SINGLE_USER" },
    // Refused whatever the deny list says (issue 12, class 1).
    { sql: "SET IMPLICIT_TRANSACTIONS ON" },
    { sql: "COMMIT" },
    { sql: "xp_cmdshell 'dir'", batchStart: true },
  ],
  mysql: [
    { sql: "DROP TABLE users" },
    { sql: "DELETE FROM users" },
    { sql: "UPDATE users SET a = 1" },
    { sql: "TRUNCATE users" },
    { sql: "KILL 1" },
  ],
};

export interface Spliced {
  sql: string;
  denied: string;
}

/** The denied statement, bare or inside a construct the server runs it in. */
function deniedUnit(dialect: Dialect): fc.Arbitrary<Statement & { denied: string }> {
  const bare = fc
    .constantFrom(...DENIED[dialect])
    .map((d) => ({ sql: d.sql, batchStart: d.batchStart, denied: d.sql }));
  return dialect === "postgres"
    ? fc.oneof({ weight: 4, arbitrary: bare }, { weight: 2, arbitrary: pgDoBlock() })
    : fc.oneof({ weight: 4, arbitrary: bare }, { weight: 2, arbitrary: tsqlBlock() });
}

/** T-SQL: harmless reads and one denied statement inside BEGIN … END, IF, TRY or EXEC('…'). */
function tsqlBlock(): fc.Arbitrary<Statement & { denied: string }> {
  const innerHarmless = harmless("mssql").filter((statement) => statement.needsTerminator !== true);
  const wrappers: ((body: string) => string)[] = [
    (body) => `BEGIN ${body} END`,
    (body) => `BEGIN\n${body};\nEND`,
    (body) => `IF 1 = 1 BEGIN ${body} END`,
    (body) => `IF 1 = 0 SELECT 1 ELSE BEGIN ${body} END`,
    (body) => `WHILE 1 = 1 BEGIN ${body}; BREAK END`,
    (body) => `BEGIN TRY ${body} END TRY BEGIN CATCH SELECT 1 END CATCH`,
    (body) => `EXEC('${body.replace(/'/g, "''")}')`,
    (body) => `EXECUTE (N'${body.replace(/'/g, "''")}')`,
    (body) => `EXEC sp_executesql N'${body.replace(/'/g, "''")}'`,
  ];
  return fc
    .tuple(
      fc.array(innerHarmless, { maxLength: 2 }),
      fc.array(separator("mssql", true, false), { minLength: 4, maxLength: 4 }),
      fc.constantFrom(...DENIED.mssql.filter((d) => d.batchStart !== true)),
      fc.array(innerHarmless, { maxLength: 2 }),
      fc.constantFrom(...wrappers),
    )
    .map(([before, separators, denied, after, wrapper]) => {
      const body = join("mssql", [...before, { sql: denied.sql }, ...after], separators, SEMICOLON);
      return { sql: wrapper(body), denied: denied.sql };
    });
}

/** PostgreSQL: harmless PL/pgSQL and one denied statement (or EXECUTE of one) in a DO block. */
function pgDoBlock(): fc.Arbitrary<Statement & { denied: string }> {
  const lit = literal("postgres");
  const innerHarmless = fc.oneof(
    lit.map((l) => `PERFORM ${l}`),
    number.map((n) => `PERFORM a FROM t WHERE id = ${n}`),
    lit.map((l) => `RAISE NOTICE '%', ${l}`),
    fc.constant("NULL"),
  );
  const usable = DENIED.postgres.filter((d) => d.plpgsql !== undefined);
  const deniedInBlock = fc.oneof(
    fc.constantFrom(...usable).map((d) => ({ text: d.plpgsql as string, denied: d.sql })),
    // Dynamic SQL: the statement is a literal for the parser and code for the server.
    fc.tuple(fc.constantFrom(...DENIED.postgres), fc.boolean()).chain(([d, spaced]) =>
      pgLiteral(fc.constant(d.sql)).map((l) => ({
        text: `EXECUTE${spaced ? " " : "  "}${l}`,
        denied: `EXECUTE ${d.sql}`,
      })),
    ),
  );
  return fc
    .tuple(
      fc.array(innerHarmless, { maxLength: 2 }),
      fc.array(separator("postgres", true), { minLength: 4, maxLength: 4 }),
      deniedInBlock,
      fc.array(innerHarmless, { maxLength: 2 }),
      dollarTag,
      fc.boolean(),
    )
    .map(([before, separators, denied, after, tag, language]) => {
      const statements = [...before, denied.text, ...after].map((sql) => ({ sql }));
      const body = `BEGIN ${join("postgres", statements, separators, SEMICOLON)}; END`;
      const block = dollarQuote(body, tag);
      return { sql: `DO ${language ? "LANGUAGE plpgsql " : ""}${block}`, denied: denied.denied };
    });
}

/**
 * Harmless reads, then one denied statement at a statement boundary, then harmless reads.
 * The statement just before the denied one often ends in a literal or quoted name full of
 * comment and quote lookalikes, and the boundary may be a line comment ended by a lone CR.
 */
export function splicedCommand(dialect: Dialect): fc.Arbitrary<Spliced> {
  const fallbackBefore = dialect === "postgres" ? SEMICOLON : GO_LINE;
  return fc
    .tuple(
      gap(dialect),
      fc.array(allowedNeighbour(dialect), { maxLength: 3 }),
      fc.option(lookalikeTail(dialect), { freq: 2 }),
      fc.array(separator(dialect, false), { minLength: 3, maxLength: 3 }),
      separator(dialect, true),
      deniedUnit(dialect),
      separator(dialect, false),
      fc.array(allowedNeighbour(dialect), { maxLength: 3 }),
      fc.array(separator(dialect, false), { minLength: 2, maxLength: 2 }),
      gap(dialect),
      fc.boolean(),
    )
    .map(
      ([lead, before, tail, beforeSeps, sepIn, denied, sepOut, after, afterSeps, trail, semi]) => {
        const prefix = [...before, ...(tail === null ? [] : [tail])];
        const deniedStatement: Statement = { sql: denied.sql, batchStart: denied.batchStart };

        const statements = [...prefix, deniedStatement, ...after];
        const separators = [...beforeSeps.slice(0, Math.max(0, prefix.length - 1))];
        if (prefix.length > 0) separators.push(sepIn);
        separators.push(sepOut, ...afterSeps);
        const body = join(dialect, statements, separators, fallbackBefore);
        // A trailing line comment may end the command without a line break.
        return { sql: `${lead}${body}${semi ? ";" : ""}${trail}`, denied: denied.denied };
      },
    );
}

// ---------------------------------------------------------------------------------------
// Nested input

interface Layer {
  open: string;
  close: string;
}

const PG_EXPRESSION_LAYERS: Layer[] = [
  { open: "(", close: ")" },
  { open: "(SELECT ", close: ")" },
  { open: "CASE WHEN true THEN ", close: " END" },
  { open: "CASE WHEN x = 1 THEN 1 ELSE ", close: " END" },
  { open: "ARRAY[", close: "]" },
  { open: "NOT ", close: "" },
  { open: "- ", close: "" },
  { open: "coalesce(", close: ", 1)" },
  { open: "/* ", close: " */ 1" },
];

const PG_QUERY_LAYERS: Layer[] = [
  { open: "WITH c AS (", close: ") SELECT * FROM c" },
  { open: "SELECT * FROM (", close: ") AS s" },
  { open: "SELECT 1 WHERE EXISTS (", close: ")" },
  { open: "(", close: ")" },
  { open: "/* ", close: " */ SELECT 1" },
];

const TSQL_EXPRESSION_LAYERS: Layer[] = [
  { open: "(", close: ")" },
  { open: "(SELECT ", close: ")" },
  { open: "CASE WHEN 1 = 1 THEN ", close: " END" },
  { open: "ISNULL(", close: ", 1)" },
  { open: "- ", close: "" },
  { open: "/* ", close: " */ 1" },
];

const TSQL_QUERY_LAYERS: Layer[] = [
  { open: "SELECT * FROM (", close: ") AS s" },
  { open: "SELECT 1 WHERE EXISTS (", close: ")" },
];

const TSQL_BLOCK_LAYERS: Layer[] = [
  { open: "BEGIN ", close: " END" },
  { open: "BEGIN\n", close: ";\nEND" },
  { open: "IF 1 = 1 ", close: "" },
  { open: "IF 1 = 1 BEGIN ", close: " END" },
  { open: "IF 1 = 0 SELECT 1 ELSE ", close: "" },
  { open: "WHILE 1 = 0 ", close: "" },
  { open: "BEGIN TRY ", close: " END TRY BEGIN CATCH SELECT 1 END CATCH" },
  { open: "/* ", close: " */ SELECT 1" },
];

const PG_STATEMENT_LAYERS: Layer[] = [
  { open: "/* ", close: " */ SELECT 1" },
  { open: "DO $$BEGIN PERFORM ", close: "; END$$" },
];

function layers(pool: Layer[], maxDepth: number): fc.Arbitrary<{ layer: Layer; count: number }[]> {
  return fc.array(
    fc.record({
      layer: fc.constantFrom(...pool),
      count: fc.integer({ min: 1, max: maxDepth }),
    }),
    { maxLength: 3 },
  );
}

/** Wraps `core` in the layers (innermost first), scaled down to fit in `budget` bytes. */
function wrap(core: string, stack: { layer: Layer; count: number }[], budget: number): string {
  const size = stack.reduce(
    (sum, { layer, count }) => sum + (layer.open.length + layer.close.length) * count,
    0,
  );
  const scale = size > budget ? budget / size : 1;
  let text = core;
  for (const { layer, count } of stack) {
    const n = Math.max(1, Math.floor(count * scale));
    text = layer.open.repeat(n) + text + layer.close.repeat(n);
  }
  return text;
}

/**
 * Deeply nested commands (parentheses, CASE, subqueries, CTEs, BEGIN … END, IF, block
 * comments; up to a few thousand levels), sometimes cut short so they never close.
 */
export function nestedCommand(dialect: Dialect): fc.Arbitrary<string> {
  const depth = 4200;
  const expression =
    dialect === "postgres"
      ? layers(PG_EXPRESSION_LAYERS, depth)
      : layers(TSQL_EXPRESSION_LAYERS, depth);
  const query =
    dialect === "postgres" ? layers(PG_QUERY_LAYERS, depth) : layers(TSQL_QUERY_LAYERS, depth);
  const block =
    dialect === "postgres" ? layers(PG_STATEMENT_LAYERS, depth) : layers(TSQL_BLOCK_LAYERS, depth);
  return fc
    .tuple(
      expression,
      query,
      block,
      // Mostly whole; sometimes cut short (1‰ to 99.9% of the text) so it never closes.
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 999 }).map((n) => n / 1000) },
      ),
    )
    .map(([e, q, b, cut]) => {
      // Leave room under 64 KiB; each stage gets a share of the budget.
      const budget = MAX_BYTES - 64;
      const inner = wrap("1", e, budget / 3);
      const select = wrap(`SELECT ${inner}`, q, budget / 3);
      const whole = wrap(select, b, budget / 3);
      return cut === null ? whole : whole.slice(0, Math.floor(whole.length * cut));
    });
}

// ---------------------------------------------------------------------------------------
// Random token streams

const KEYWORDS = [
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "IN",
  "EXISTS",
  "AS",
  "ON",
  "JOIN",
  "UNION",
  "INTO",
  "VALUES",
  "INSERT",
  "UPDATE",
  "DELETE",
  "SET",
  "DROP",
  "TRUNCATE",
  "TABLE",
  "CREATE",
  "ALTER",
  "FUNCTION",
  "PROCEDURE",
  "TRIGGER",
  "RETURNS",
  "LANGUAGE",
  "plpgsql",
  "BEGIN",
  "END",
  "IF",
  "ELSE",
  "WHILE",
  "CASE",
  "WHEN",
  "THEN",
  "WITH",
  "RECURSIVE",
  "DO",
  "EXEC",
  "EXECUTE",
  "CALL",
  "COPY",
  "TO",
  "PROGRAM",
  "GRANT",
  "REVOKE",
  "COMMIT",
  "ROLLBACK",
  "TRAN",
  "TRANSACTION",
  "SAVEPOINT",
  "DECLARE",
  "CURSOR",
  "TRY",
  "CATCH",
  "MERGE",
  "USING",
  "MATCHED",
  "OUTPUT",
  "RETURNING",
  "EXPLAIN",
  "ANALYZE",
  "GO",
  "TOP",
  "LIMIT",
  "ORDER",
  "BY",
  "GROUP",
  "NULL",
  "TRUE",
  "PRINT",
  "RAISERROR",
  "WAITFOR",
  "OPENQUERY",
  "xp_cmdshell",
  "sp_executesql",
  "pg_terminate_backend",
  "set_config",
  "standard_conforming_strings",
];

const IDENTIFIERS = ["t", "users", "dbo", "x", "a1", "_y", "#tmp", "@v", "@@rowcount", "é", "t$1"];

const PUNCTUATION = [
  "(",
  ")",
  ",",
  ".",
  ";",
  ";",
  "*",
  "=",
  "<>",
  "+",
  "-",
  "/",
  "::",
  ":=",
  "||",
  "[",
  "]",
  "$1",
  "?",
  "%",
  "@",
  "\\",
];

/** Whitespace the two readers might disagree on, as well as the ordinary kinds. */
const ODD_SPACE = [
  " ",
  "\n",
  "\r\n",
  "\r",
  "\t",
  "\f",
  "\v",
  "\u00a0",
  "\u0085",
  "\u2028",
  "\u2029",
  "\u3000",
  "\u200b",
  "\ufeff",
  "\u0000",
];

function streamToken(dialect: Dialect): fc.Arbitrary<string> {
  const other: Dialect = dialect === "postgres" ? "mssql" : "postgres";
  return fc.oneof(
    { weight: 6, arbitrary: fc.mixedCase(fc.constantFrom(...KEYWORDS)) },
    { weight: 3, arbitrary: fc.constantFrom(...IDENTIFIERS) },
    {
      weight: 2,
      arbitrary: fc.oneof(number, fc.constantFrom("0x1F", "1e5", ".5", "1.", "B'01'", "X'ff'")),
    },
    { weight: 4, arbitrary: fc.constantFrom(...PUNCTUATION) },
    { weight: 6, arbitrary: fc.constantFrom(...ODD_SPACE) },
    // Closed literals and names of both dialects ('x', E'x', $$x$$, $tag$x$tag$, N'x', [x], "x").
    { weight: 3, arbitrary: literal(dialect) },
    { weight: 1, arbitrary: literal(other) },
    { weight: 2, arbitrary: quotedName(dialect) },
    { weight: 1, arbitrary: quotedName(other) },
    { weight: 2, arbitrary: lineComment(dialect) },
    { weight: 2, arbitrary: blockComment(dialect) },
    // Openers on their own: unterminated strings, names, comments, dollar quotes.
    {
      weight: 2,
      arbitrary: fc.constantFrom("'", "E'", "N'", '"', "[", "]", "$$", "$a$", "/*", "*/", "--"),
    },
    { weight: 1, arbitrary: fc.constantFrom("\nGO\n", "\nGO 3\n", "\ngo", "GO\r\n") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 3 }) },
  );
}

/** Random token streams: mostly SQL-shaped nonsense, a few hundred tokens. */
export function tokenStream(dialect: Dialect): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(streamToken(dialect), fc.constantFrom("", " ", " ", " ", "\n")), {
      maxLength: 300,
    })
    .map((tokens) => capBytes(tokens.map(([token, space]) => token + space).join("")));
}

/**
 * Large inputs for the time bound: a random stream or a harmless command repeated up to
 * 64 KiB, or a run of one construct known to be costly for a scanner (many statements,
 * many comments, open parentheses, nested comment openers).
 */
export function largeCommand(dialect: Dialect): fc.Arbitrary<string> {
  const repeated = (unit: fc.Arbitrary<string>, max: number): fc.Arbitrary<string> =>
    fc
      .tuple(unit, fc.integer({ min: 1, max }))
      .map(([text, times]) => capBytes(text.repeat(Math.max(1, times))));
  const constructs = fc.constantFrom(
    "SELECT 1; ",
    "SELECT 1\n",
    "/* c */ ",
    "-- c\n",
    "(",
    "/*",
    "/**/",
    "/* ",
    "*/",
    "+-",
    "'a', ",
    "BEGIN ",
    "IF 1=1 ",
    "SELECT 'x' AS [y] ",
    "\nGO\n",
    "$a$",
    "CASE WHEN ",
    "@v, ",
  );
  return fc.oneof(
    repeated(
      tokenStream(dialect).map((text) => (text === "" ? "SELECT 1 " : text)),
      4000,
    ),
    repeated(
      harmlessCommand(dialect).map((text) => `${text};\n`),
      4000,
    ),
    // Up to 64 KiB of one construct, then one closer: a scanner that looks ahead for the
    // closer from every opener turns quadratic.
    fc
      .tuple(
        fc.constantFrom("", "SELECT 1 ", "SELECT "),
        repeated(constructs, 40_000),
        fc.constantFrom("", "*/", " */ SELECT 1", ")", " END", "'", "$a$", "\n"),
      )
      .map(
        ([lead, text, tail]) => lead + capBytes(text, MAX_BYTES - lead.length - tail.length) + tail,
      ),
  );
}
