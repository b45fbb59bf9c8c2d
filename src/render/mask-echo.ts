/**
 * Stored values a database quotes back in an error or a notice (issue 17 item 3, as a class).
 * With a column masked, its values can still reach the reader through the server's own words
 * rather than a result: PostgreSQL's `Key (ssn)=(123-45-6789) already exists.`,
 * `Failing row contains (…)` and `invalid input syntax for type integer: "…"`; MySQL's
 * `Duplicate entry '…' for key 'ssn'` and `Truncated incorrect DOUBLE value: '…'`; SQL Server's
 * `The duplicate key value is (…)` and `converting the varchar value '…' to data type int`.
 *
 * A message names no column for the value it quotes, so this fails closed. It keeps what the
 * reader already has or what names an object, and masks the rest:
 * - a value tuple (`=(`, `contains (`, `value is (`) is masked with all that follows it;
 * - a quoted piece right after a word that names an object (`relation "users"`,
 *   `for key 'ssn'`, `Invalid column name 'x'`) is kept: servers quote identifiers there;
 * - a quoted piece whose text the command itself holds as a token is kept (`syntax error at
 *   or near "FORM"`, a literal of the command the server could not read);
 * - any other quoted piece is masked with all that follows it: a stored value may itself hold
 *   the quote character, so nothing after its opening quote can be trusted to be the server's.
 * Pure.
 */

/** What replaces a quoted value and the rest of the message after it. */
export const ECHO_MASKED = "[masked]";

/** Words after which PostgreSQL, MySQL and SQL Server quote an identifier, not a value. */
const OBJECT_WORDS = new Set([
  "table",
  "relation",
  "constraint",
  "index",
  "key",
  "column",
  "columns",
  "object",
  "name",
  "schema",
  "database",
  "type",
  "function",
  "procedure",
  "trigger",
  "view",
  "sequence",
  "role",
  "user",
  "statement",
  "cursor",
  "savepoint",
  "extension",
  "collation",
  "operator",
  "domain",
  "encoding",
  "near",
  "in",
  "on",
]);

const TUPLE_OPENER = /(?:=|\bcontains |\bvalue is )\(/i;
const QUOTES = new Set(["'", '"', "`"]);

function wordBefore(text: string, at: number): string {
  const match = /([A-Za-z_]+)\W*$/.exec(text.slice(Math.max(0, at - 40), at));
  return (match?.[1] ?? "").toLowerCase();
}

/** Whether `command` holds `piece` with no word character joined on either side. */
function commandHoldsToken(command: string, piece: string): boolean {
  if (piece === "") return true;
  for (let at = command.indexOf(piece); at !== -1; at = command.indexOf(piece, at + 1)) {
    const before = command[at - 1] ?? " ";
    const after = command[at + piece.length] ?? " ";
    if (!/\w/.test(before) && !/\w/.test(after)) return true;
  }
  return false;
}

/** Where the first quoted value (not an identifier, not the command's own text) opens. */
function firstQuotedValue(text: string, command: string): number | undefined {
  for (let at = 0; at < text.length; at += 1) {
    const quote = text[at] ?? "";
    // An apostrophe inside a word (`doesn't`) is English, not a quote: a server opens a quoted
    // value after a space, a colon or a parenthesis.
    if (!QUOTES.has(quote) || /\w/.test(text[at - 1] ?? " ")) continue;
    const close = text.indexOf(quote, at + 1);
    if (close === -1) return at;
    const piece = text.slice(at + 1, close);
    if (!OBJECT_WORDS.has(wordBefore(text, at)) && !commandHoldsToken(command, piece)) return at;
    at = close;
  }
  return undefined;
}

export interface EchoMask {
  text: string;
  masked: boolean;
}

/** `text` with every value the server may have quoted from stored rows masked. */
export function maskEchoedValues(text: string, command: string): EchoMask {
  const tuple = TUPLE_OPENER.exec(text);
  const tupleAt = tuple === null ? undefined : tuple.index + tuple[0].length;
  const quoteAt = firstQuotedValue(tupleAt === undefined ? text : text.slice(0, tupleAt), command);
  if (quoteAt !== undefined) {
    const quote = text[quoteAt] ?? "'";
    return { text: `${text.slice(0, quoteAt)}${quote}${ECHO_MASKED}${quote}`, masked: true };
  }
  if (tupleAt !== undefined)
    return { text: `${text.slice(0, tupleAt)}${ECHO_MASKED})`, masked: true };
  return { text, masked: false };
}
