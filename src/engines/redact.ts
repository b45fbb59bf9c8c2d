/**
 * Credential redaction for everything that leaves an engine (DESIGN §1.5: credentials never
 * appear in output, logs or errors). Drivers sometimes echo the connection string, the user
 * name ("password authentication failed for user …", "role … does not exist") or, in rare
 * cases, the password itself, so every error message and notice goes through here.
 */

export const REDACTED = "[redacted]";

/** Query parameters whose values are secrets (or identify the secret's owner). */
const SECRET_PARAMS = new Set([
  "password",
  "pwd",
  "pass",
  "user",
  "username",
  "uid",
  "sslpassword",
  "sslkey",
  "token",
  "accesstoken",
]);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Every spelling of a secret that could show up in a message: as written in the URL
 * (percent-encoded) and decoded.
 */
function spellings(raw: string): string[] {
  const out = new Set<string>();
  if (raw !== "") out.add(raw);
  const decoded = safeDecode(raw);
  if (decoded !== "") out.add(decoded);
  return [...out];
}

interface Secrets {
  /** Replaced wherever they occur, even inside other words: a password is never innocent. */
  anywhere: string[];
  /** Replaced only as whole words, so a user named "postgres" does not mangle "postgres_logs". */
  words: string[];
}

function secretsOf(url: string): Secrets {
  const anywhere: string[] = [];
  const words: string[] = [];
  if (url === "") return { anywhere, words };
  // The whole URL first: it contains everything else.
  anywhere.push(url);
  // Parse by hand as well as with URL: a malformed URL (which URL rejects) can still hold a
  // password that a driver might echo.
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(url)?.[1];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const password = colon === -1 ? "" : userinfo.slice(colon + 1);
    anywhere.push(...spellings(password));
    words.push(...spellings(user));
  }
  const query = url.indexOf("?");
  if (query !== -1) {
    for (const pair of url.slice(query + 1).split(/[&;]/)) {
      const eq = pair.indexOf("=");
      if (eq === -1) continue;
      const key = safeDecode(pair.slice(0, eq)).toLowerCase();
      if (!SECRET_PARAMS.has(key)) continue;
      const value = pair.slice(eq + 1).split("#")[0] ?? "";
      if (key === "user" || key === "username" || key === "uid") words.push(...spellings(value));
      else anywhere.push(...spellings(value));
    }
  }
  return { anywhere, words };
}

/** Removes credentials from a piece of text; built once per URL by credentialRedactor. */
export type Redactor = (text: string) => string;

const ANY_URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s@/?#"']*@/gi;
const PASSWORD_PAIR = /\b(password|pwd)\s*=\s*[^;&\s"']+/gi;

/**
 * A redactor for `url`: removes the credentials of `url` (the whole URL, its password and
 * user name, secret query parameters) from any text, and any other `scheme://user:password@`
 * userinfo and `Password=…` pair it finds. The secrets are worked out once, because the
 * renderer scrubs every cell and column name with it.
 *
 * It must see raw text: after Markdown escaping a password holding `_`, `$`, `|`, a backtick
 * or `@` is spelled differently (`\_`, `@⁠`) and no longer matches.
 */
export function credentialRedactor(url: string): Redactor {
  const { anywhere, words } = secretsOf(url);
  // Longest first, so a secret that contains another is replaced whole.
  const longestFirst = (a: string, b: string) => b.length - a.length;
  const secrets = [...new Set(anywhere)].sort(longestFirst);
  const wordPattern =
    words.length === 0
      ? null
      : new RegExp(
          `(?<![A-Za-z0-9_$])(?:${[...new Set(words)].sort(longestFirst).map(escapeRegExp).join("|")})(?![A-Za-z0-9_$])`,
          "g",
        );
  return (text) => {
    let out = text;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    if (wordPattern !== null) out = out.replace(wordPattern, REDACTED);
    // Any connection URL with userinfo, whichever resource it belongs to.
    out = out.replace(ANY_URL_USERINFO, `$1${REDACTED}@`);
    // key=value secrets in connection-string form ("Password=…;").
    return out.replace(PASSWORD_PAIR, `$1=${REDACTED}`);
  };
}

/** One-off form of credentialRedactor. */
export function redactCredentials(text: string, url: string): string {
  return credentialRedactor(url)(text);
}
