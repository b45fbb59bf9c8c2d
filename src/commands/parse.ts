/**
 * Slash-command parsing (pure). A comment becomes a typed command early; everything
 * downstream works on that object, never on the raw text (the Atlantis habit).
 *
 *   /run prod-db                       /run prod-db SELECT count(*) FROM users
 *   ```sql                             /run prod-db --reason "ticket 42" SELECT 1
 *   UPDATE users SET … WHERE id = 1;   /jit prod-db 30m --reason "incident 123"
 *   ```                                /revoke prod-db      /cancel
 *   Reason: ticket 42                  /schedule 2026-12-07T09:00+01:00
 *
 * Only the first slash command of a comment counts; slash commands inside code blocks or
 * quotes are examples, not commands, and slash commands inside HTML comments (`<!-- … -->`)
 * are invisible on GitHub, so nobody could see what they would approve: never acted on.
 */
import { parseDuration } from "../policy/duration.js";

/** Longer than any ISO 8601 time `/schedule` takes. */
const MAX_TIME = 64;

/** GitHub-wide limit for a command's text (bytes of UTF-8). */
export const MAX_COMMAND_BYTES = 64 * 1024;

type Verb = "run" | "jit" | "revoke" | "cancel" | "undo" | "schedule";

const RESOURCE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
// Up to three spaces, as CommonMark allows; a tab is four columns, so a tab-indented line
// is code (an example), not a command.
const SLASH_LINE = /^ {0,3}\/(run|jit|revoke|cancel|undo|schedule)(?=\s|$)(.*)$/i;
const FENCE_OPEN = /^[ \t]{0,3}(`{3,}|~{3,})(.*)$/;
const REASON_LINE = /^[ \t]*reason[ \t]*:[ \t]*(.*)$/i;

export type ParsedCommand =
  | { kind: "none" }
  | {
      kind: "run";
      resource: string;
      command: string;
      reason: string | null;
      /** `--break-glass`: one approval from the server's break-glass group (issue 17). */
      breakGlass?: true;
    }
  | {
      kind: "jit";
      resource: string;
      durationMs: number;
      durationText: string;
      reason: string | null;
    }
  | { kind: "revoke"; resource: string | null }
  | { kind: "cancel" }
  /** On a request PR: open a new request that restores the rows the command changed. */
  | { kind: "undo" }
  /**
   * On a request PR, by an approver (issue 17): the command runs at this time at the earliest.
   * The time is checked (ISO 8601 with an offset, ahead, inside the window) where the clock
   * and the request are known: `commands/schedule.ts`.
   */
  | { kind: "schedule"; time: string }
  | { kind: "invalid"; verb: Verb; problem: string };

interface Fence {
  marker: string;
  startLine: number;
}

function isFenceClose(line: string, fence: Fence): boolean {
  // CommonMark: a closing fence is indented by at most three spaces, like an opening one.
  if (/^ {4,}|^\t/.test(line)) return false;
  const trimmed = line.trim();
  return (
    trimmed.length >= fence.marker.length &&
    trimmed[0] === fence.marker[0] &&
    /^(`+|~+)$/.test(trimmed) &&
    trimmed.split("").every((char) => char === fence.marker[0])
  );
}

/** What a line of the comment is, as GitHub shows it. */
type LineRole = "text" | "fence-open" | "fence-body" | "fence-close" | "hidden";

interface ScannedLine {
  role: LineRole;
  /** The line as written. */
  raw: string;
  /** Text lines: the line without its HTML-comment parts, i.e. what GitHub shows. */
  visible: string;
  /** Some of the line is inside an HTML comment. */
  partlyHidden: boolean;
  /** The line begins inside an HTML comment opened on an earlier line. */
  startsHidden: boolean;
}

/**
 * Removes the HTML-comment parts of one line. `inside` says whether the line starts inside a
 * comment; the result says whether it ends inside one. An unterminated `<!--` hides the rest
 * of the comment, as an HTML block does on GitHub: for a command, hiding too much only means
 * not acting, hiding too little means acting on text nobody could see.
 */
function stripHtmlComments(
  line: string,
  inside: boolean,
): { visible: string; inside: boolean; touched: boolean } {
  let visible = "";
  let touched = inside;
  let position = 0;
  while (position < line.length) {
    if (inside) {
      const end = line.indexOf("-->", position);
      if (end === -1) return { visible, inside: true, touched };
      inside = false;
      position = end + 3;
      continue;
    }
    const start = line.indexOf("<!--", position);
    if (start === -1) {
      visible += line.slice(position);
      break;
    }
    visible += line.slice(position, start);
    touched = true;
    inside = true;
    position = start + 4;
  }
  return { visible, inside, touched };
}

/**
 * Classifies every line: fenced code (where `/run` and `<!--` are literal text), HTML
 * comments (which GitHub does not show, so nothing in them may be acted on), and text.
 */
function scanLines(lines: string[]): ScannedLine[] {
  const scanned: ScannedLine[] = [];
  let fence: Fence | null = null;
  let inComment = false;
  for (const [index, raw] of lines.entries()) {
    const plain = { raw, visible: "", partlyHidden: false, startsHidden: false };
    if (fence !== null) {
      const closes = isFenceClose(raw, fence);
      if (closes) fence = null;
      scanned.push({ ...plain, role: closes ? "fence-close" : "fence-body" });
      continue;
    }
    const open = inComment ? null : FENCE_OPEN.exec(raw);
    if (open !== null) {
      fence = { marker: open[1] as string, startLine: index };
      scanned.push({ ...plain, role: "fence-open" });
      continue;
    }
    const startsHidden = inComment;
    const stripped = stripHtmlComments(raw, inComment);
    inComment = stripped.inside;
    const role = stripped.touched && stripped.visible.trim() === "" ? "hidden" : "text";
    scanned.push({
      role,
      raw,
      visible: stripped.visible,
      partlyHidden: stripped.touched,
      startsHidden,
    });
  }
  return scanned;
}

interface SlashLine {
  index: number;
  verb: Verb;
  rest: string;
  /** The slash line itself carries an HTML comment: part of the command would be invisible. */
  hidesText: boolean;
}

/** Finds the first visible slash-command line outside code blocks, quotes and HTML comments. */
function findSlashLine(scanned: ScannedLine[]): SlashLine | null {
  for (const [index, line] of scanned.entries()) {
    if (line.role !== "text" || line.startsHidden) continue;
    const slash = SLASH_LINE.exec(line.raw);
    if (slash !== null) {
      return {
        index,
        verb: (slash[1] as string).toLowerCase() as Verb,
        rest: slash[2] ?? "",
        hidesText: line.partlyHidden,
      };
    }
  }
  return null;
}

/**
 * A reason as given, or null when it says nothing a reader could follow up: no letter or digit
 * in it (`**`, `-`, a zero-width space), which would satisfy a required reason (break-glass)
 * while showing nothing in the PR, the audit commit or the notification.
 */
function meaningfulReason(text: string): string | null {
  const reason = text.trim();
  return /[\p{L}\p{N}]/u.test(reason) ? reason : null;
}

/** Takes a `--reason "…"` (or '…', or one word) off the front or the end of `text`. */
function takeReason(text: string): { rest: string; reason: string | null; problem?: string } {
  const quoted = String.raw`--reason(?:\s+|=)(?:"([^"]*)"|'([^']*)'|(\S+))`;
  const leading = new RegExp(`^\\s*${quoted}`).exec(text);
  const match = leading ?? new RegExp(`\\s*${quoted}\\s*$`).exec(text);
  if (match === null) {
    if (/^--reason\b/.test(text.trimStart())) {
      return { rest: text, reason: null, problem: 'write the reason as --reason "…"' };
    }
    return { rest: text, reason: null };
  }
  const rest = text.slice(0, match.index) + text.slice(match.index + match[0].length);
  return { rest, reason: meaningfulReason(match[1] ?? match[2] ?? match[3] ?? "") };
}

function splitFirstWord(text: string): [string, string] {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  return space === -1 ? [trimmed, ""] : [trimmed.slice(0, space), trimmed.slice(space + 1)];
}

function invalid(verb: Verb, problem: string): ParsedCommand {
  return { kind: "invalid", verb, problem };
}

/** The fenced block that follows the slash line, and a `Reason:` line around it. */
function readBlock(
  scanned: ScannedLine[],
  from: number,
): { command: string | null; reason: string | null; problem?: string } {
  let reason: string | null = null;
  let command: string | null = null;
  let body: string[] | null = null;
  for (let index = from; index < scanned.length; index += 1) {
    const line = scanned[index] as ScannedLine;
    if (line.role === "fence-open" && command === null && body === null) {
      body = [];
      continue;
    }
    if (body !== null && command === null) {
      if (line.role === "fence-close") command = body.join("\n");
      else body.push(line.raw);
      continue;
    }
    // Hidden lines and other code blocks hold neither a reason nor a further command.
    if (line.role !== "text") continue;
    const reasonLine = REASON_LINE.exec(line.visible);
    if (reasonLine !== null && reason === null) {
      reason = meaningfulReason(reasonLine[1] ?? "");
      continue;
    }
    // Another slash command ends this one: only the first counts.
    if (!line.startsHidden && SLASH_LINE.test(line.raw)) break;
  }
  if (body !== null && command === null)
    return { command: null, reason, problem: "the code block is not closed" };
  return { command, reason };
}

export function parseComment(body: string | null | undefined): ParsedCommand {
  if (!body) return { kind: "none" };
  const scanned = scanLines(body.replace(/\r\n?/g, "\n").split("\n"));
  const slash = findSlashLine(scanned);
  if (slash === null) return { kind: "none" };
  const { verb } = slash;
  if (slash.hidesText) {
    return invalid(
      verb,
      "the /run line contains an HTML comment (<!-- … -->), which GitHub does not show: remove it so that what runs is what everyone sees (a `<!--` that belongs to the SQL can go in a ```sql block below the /run line)",
    );
  }

  if (verb === "cancel") return { kind: "cancel" };
  if (verb === "undo") return { kind: "undo" };
  // An ISO time is short: anything longer is not one, and is never echoed back.
  if (verb === "schedule") return { kind: "schedule", time: slash.rest.trim().slice(0, MAX_TIME) };

  const [resource, afterResource] = splitFirstWord(slash.rest);
  if (verb === "revoke") {
    if (resource !== "" && !RESOURCE.test(resource)) {
      return invalid(verb, `"${resource}" is not a resource name`);
    }
    return { kind: "revoke", resource: resource === "" ? null : resource };
  }
  if (resource === "" || resource.startsWith("--")) {
    return invalid(verb, `name the resource: /${verb} <resource> …`);
  }
  if (!RESOURCE.test(resource)) {
    return invalid(verb, `"${resource}" is not a resource name (letters, digits, - and _)`);
  }

  const inline = takeFlags(afterResource);
  if (inline.problem) return invalid(verb, inline.problem);
  const { breakGlass } = inline;
  if (breakGlass && verb === "jit") {
    return invalid(verb, "--break-glass is for /run: a grant always needs the usual approvals");
  }

  if (verb === "jit") {
    const [durationText, extra] = splitFirstWord(inline.rest);
    if (durationText === "") return invalid(verb, "give a duration: /jit <resource> 30m");
    const durationMs = parseDuration(durationText);
    if (durationMs === null) {
      return invalid(verb, `"${durationText}" is not a duration (examples: 15m, 2h, 1h30m)`);
    }
    if (extra.trim() !== "") {
      return invalid(verb, `unexpected "${extra.trim()}" after the duration; use --reason "…"`);
    }
    const block = readBlock(scanned, slash.index + 1);
    return {
      kind: "jit",
      resource,
      durationMs,
      durationText,
      reason: inline.reason ?? block.reason,
    };
  }

  const lineCommand = inline.rest.trim();
  const block = readBlock(scanned, slash.index + 1);
  if (block.problem) return invalid(verb, block.problem);
  if (lineCommand !== "" && block.command !== null) {
    return invalid(verb, "give the command either on the /run line or in a code block, not both");
  }
  const command = (lineCommand !== "" ? lineCommand : (block.command ?? "")).trim();
  const problem = commandProblem(command);
  if (problem !== null) return invalid(verb, problem);
  const reason = inline.reason ?? block.reason;
  if (breakGlass && reason === null) {
    return invalid(
      verb,
      'a break-glass run needs a reason with words or a ticket number: --reason "INC-123"',
    );
  }
  return { kind: "run", resource, command, reason, ...(breakGlass ? { breakGlass: true } : {}) };
}

/** Why a command cannot be taken as it is (empty, too large), or null. */
function commandProblem(command: string): string | null {
  if (command === "") {
    return "the command is empty: put it on the /run line or in a ```sql block below it";
  }
  const bytes = Buffer.byteLength(command, "utf8");
  if (bytes <= MAX_COMMAND_BYTES) return null;
  return `the command is ${bytes.toLocaleString("en-US")} bytes; the limit is ${MAX_COMMAND_BYTES.toLocaleString("en-US")} bytes (64 KiB)`;
}

/**
 * `--reason` and `--break-glass` off the front of what follows the resource. The flag only
 * there (before or after a leading --reason): a `--break-glass` inside the SQL (a comment)
 * must never switch the approval rule.
 */
function takeFlags(text: string): ReturnType<typeof takeReason> & { breakGlass: boolean } {
  const first = takeBreakGlass(text);
  const inline = takeReason(first.rest);
  if (first.breakGlass || inline.problem) return { ...inline, breakGlass: first.breakGlass };
  const after = takeBreakGlass(inline.rest);
  return { ...inline, rest: after.rest, breakGlass: after.breakGlass };
}

/** Takes a leading `--break-glass` off `text`. */
function takeBreakGlass(text: string): { rest: string; breakGlass: boolean } {
  const flag = /^\s*--break-glass(?=\s|$)/i.exec(text);
  return flag === null
    ? { rest: text, breakGlass: false }
    : { rest: text.slice(flag[0].length), breakGlass: true };
}
