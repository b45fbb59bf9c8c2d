/**
 * Escaping for text that did not come from us (query output, notices, error messages, names)
 * before it lands in a GitHub comment. GitHub renders comments in two passes: cmark-gfm turns
 * Markdown into HTML, then filters turn text like `@alice`, `#12`, `acme/repo#3` and URLs into
 * mentions, issue links and cross-references. Backslash escapes only help with the first pass
 * (`\@alice` still pings alice), so references are broken with an invisible U+2060 WORD JOINER
 * instead; it is not a word character, so GitHub's patterns no longer match, and the text
 * looks the same. The same is done inside code, although GitHub does not link there, because
 * email replies quote the comment as plain text and GitHub reads mentions from those.
 */

/** Invisible, not a word character, and not a line-break opportunity (unlike U+200B). */
export const WORD_JOINER = "\u2060";

/** Shown where text was cut. */
export const ELLIPSIS = "…";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 controls except tab and line breaks, DEL, and bidirectional overrides/isolates, which can
// reorder what the reader sees ("Trojan Source") while the raw text says something else.
const INVISIBLE_CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

function visibleControl(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // ␀ … ␟
  if (code === 0x7f) return "\u2421"; // ␡
  return `⟨U+${code.toString(16).toUpperCase()}⟩`;
}

/**
 * Makes text safe to measure, cut and display: lone surrogates (which GitHub's JSON parser may
 * reject) become U+FFFD, invisible controls become visible, and line breaks become `\n`.
 */
export function sanitizeText(text: string): string {
  return text
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(/\r\n?/g, "\n")
    .replace(INVISIBLE_CONTROL, visibleControl);
}

/**
 * Breaks everything GitHub would turn into a notification or a backlink: user and team
 * mentions (every `@`, which also covers `owner/repo@sha` and e-mail autolinks), issue
 * references `#12`, `acme/repo#3` and `GH-12`, and URLs (`https://github.com/…/issues/3`
 * creates a cross-reference too; `www.` is autolinked like a URL).
 */
export function neutralizeReferences(text: string): string {
  return text
    .replace(/@/g, `@${WORD_JOINER}`)
    .replace(/#(?=\d)/g, `#${WORD_JOINER}`)
    .replace(/\b(GH-)(?=\d)/gi, `$1${WORD_JOINER}`)
    .replace(/:\/\//g, `:${WORD_JOINER}//`)
    .replace(/\b(www)\./gi, `$1${WORD_JOINER}.`);
}

const INLINE_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\n": "<br>",
  "\\": "\\\\",
  "`": "\\`",
  "*": "\\*",
  _: "\\_",
  "[": "\\[",
  "]": "\\]",
  "|": "\\|",
  "~": "\\~",
  // GitHub renders $…$ as math.
  $: "\\$",
};
const INLINE_SPECIAL = /[&<>\n\\`*_[\]|~$]/g;

/**
 * Text for a Markdown paragraph, heading or list item: renders literally, on one line, as
 * inert text. HTML-significant characters become entities (so `<script>` and `&lt;` show as
 * typed), Markdown punctuation is backslash-escaped (`|` too, so it is also safe in a table),
 * line breaks become `<br>`, and a leading `#`, `-`, `+`, `=` or `1.` that could start a
 * block is escaped.
 */
export function escapeInline(text: string): string {
  const escaped = neutralizeReferences(sanitizeText(text)).replace(
    INLINE_SPECIAL,
    (char) => INLINE_ESCAPES[char] ?? char,
  );
  return escaped.replace(/^([ \t]*)([-+=#])/, "$1\\$2").replace(/^([ \t]*\d{1,9})([.)])/, "$1\\$2");
}

/**
 * One GFM table cell. escapeInline already escapes pipes and turns line breaks into `<br>`;
 * GFM splits rows on pipes before it parses inlines, and `\|` is the one escape it honours
 * there, even inside code spans, which is why cells never use code spans.
 */
export function escapeTableCell(text: string): string {
  return escapeInline(text);
}

/** Longest run of `char` in `text`. */
function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

/**
 * An inline code span (outside tables: there `\|` would show its backslash). The delimiter is
 * longer than any backtick run inside, and padded with a space when the content starts or
 * ends with a backtick or a space, which CommonMark then strips. Line breaks become spaces.
 */
export function codeSpan(text: string): string {
  const content = neutralizeReferences(sanitizeText(text)).replace(/\n/g, " ");
  if (content === "") return "` `";
  const delimiter = "`".repeat(longestRun(content, "`") + 1);
  const pad = /^[` ]|[` ]$/.test(content) ? " " : "";
  return `${delimiter}${pad}${content}${pad}${delimiter}`;
}

export interface CodeFenceOptions {
  /**
   * Keep the text exactly as given (no U+2060 after `@` and `#`), for code someone will copy
   * and run, such as SQL with `@param` variables. GitHub does not link inside code blocks;
   * only plain-text email replies could still carry a mention.
   */
  verbatim?: boolean;
}

/**
 * A fenced code block: content shows literally (no entities, no Markdown). The fence is one
 * backtick longer than any backtick run in the content, so nothing inside can close it.
 * Ends without a newline, so templates put it on its own line.
 */
export function codeFence(text: string, language = "", options: CodeFenceOptions = {}): string {
  const clean = sanitizeText(text);
  const content = options.verbatim === true ? clean : neutralizeReferences(clean);
  const fence = "`".repeat(Math.max(3, longestRun(content, "`") + 1));
  // A backtick fence's info string may not contain backticks; keep language names plain.
  const info = language.replace(/[^A-Za-z0-9_+.#-]/g, "");
  const body = content === "" || content.endsWith("\n") ? content : `${content}\n`;
  return `${fence}${info}\n${body}${fence}`;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * The largest index ≤ `limit` where `text` can be cut without splitting a user-perceived
 * character (emoji sequences, combining marks), or at least a surrogate pair.
 */
export function safeCutIndex(text: string, limit: number): number {
  if (limit >= text.length) return text.length;
  if (limit <= 0) return 0;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  // Boundaries depend only on nearby characters, so segmenting a window around the limit is
  // enough and keeps this cheap on long text. The window starts just before an ASCII
  // character, where a boundary almost always is (no combining mark or ZWJ precedes it).
  let start = Math.max(0, limit - 32);
  const floor = Math.max(0, start - 256);
  while (start > floor && (text.charCodeAt(start) >= 0x80 || text[start - 1] === "\r")) {
    start -= 1;
  }
  if (start === floor && floor > 0) start = 0;
  const window = text.slice(start, Math.min(text.length, limit + 64));
  let best = 0;
  for (const { index } of segmenter.segment(window)) {
    if (start + index > limit) break;
    best = start + index;
  }
  // A cluster longer than the limit (e.g. a letter with hundreds of combining marks): fall
  // back to not splitting a surrogate pair.
  if (best === 0) {
    best = limit;
    const code = text.charCodeAt(best - 1);
    if (code >= 0xd800 && code <= 0xdbff) best -= 1;
  }
  return best;
}

/** At most `maxLength` UTF-16 units, ending in `…` when cut; never splits a character. */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  if (maxLength < ELLIPSIS.length) return "";
  return text.slice(0, safeCutIndex(text, maxLength - ELLIPSIS.length)) + ELLIPSIS;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

/** What is still open at the end of `markdown`: a code fence, and how many `<details>`. */
function openStructures(markdown: string): { fence: string | null; details: number } {
  let fence: string | null = null;
  let details = 0;
  for (const line of markdown.split("\n")) {
    const match = FENCE_LINE.exec(line);
    if (fence !== null) {
      const closes =
        match?.[1] !== undefined &&
        match[1][0] === fence[0] &&
        match[1].length >= fence.length &&
        line.trim() === match[1];
      if (closes) fence = null;
      continue;
    }
    if (match?.[1] !== undefined) {
      fence = match[1];
      continue;
    }
    details += (line.match(/<details\b/g) ?? []).length;
    details -= (line.match(/<\/details>/g) ?? []).length;
  }
  return { fence, details: Math.max(0, details) };
}

/** A table cut right after its header row would show as a stray line of pipes. */
function dropLoneTableHeader(head: string): string {
  const lines = head.split("\n");
  const last = lines.at(-1) ?? "";
  const before = lines.at(-2) ?? "";
  if (last.startsWith("|") && !before.startsWith("|")) return lines.slice(0, -1).join("\n");
  return head;
}

/**
 * Cuts rendered Markdown to at most `maxLength` characters, preferring a line boundary so no
 * table row is cut in half, closes any code fence and `<details>` left open, and appends
 * `note` (a Markdown paragraph). Assumes the Markdown came from our escapers, where raw `<`
 * and fences only come from templates.
 */
export function truncateMarkdown(markdown: string, maxLength: number, note: string): string {
  if (markdown.length <= maxLength) return markdown;
  const tail = `\n\n${note.trim()}\n`;
  let reserve = tail.length;
  for (;;) {
    const limit = maxLength - reserve;
    if (limit <= 0) return truncateText(note.trim(), maxLength);
    const cut = safeCutIndex(markdown, limit);
    const newline = markdown.lastIndexOf("\n", cut);
    const head = dropLoneTableHeader(markdown.slice(0, newline > 0 ? newline : cut).trimEnd());
    const open = openStructures(head);
    const closing =
      (open.fence !== null ? `\n${open.fence}` : "") + "\n\n</details>".repeat(open.details);
    const result = head + closing + tail;
    if (result.length <= maxLength) return result;
    reserve += closing.length;
  }
}
