/**
 * Slash-command parsing (pure). A comment becomes a typed command early; everything
 * downstream works on that object, never on the raw text (the Atlantis habit).
 *
 *   /run prod-db                       /run prod-db SELECT count(*) FROM users
 *   ```sql                             /run prod-db --reason "ticket 42" SELECT 1
 *   UPDATE users SET … WHERE id = 1;   /jit prod-db 30m --reason "incident 123"
 *   ```                                /revoke prod-db      /cancel
 *   Reason: ticket 42
 *
 * Only the first slash command of a comment counts; slash commands inside code blocks or
 * quotes are examples, not commands.
 */
import { parseDuration } from "../policy/duration.js";

/** GitHub-wide limit for a command's text (bytes of UTF-8). */
export const MAX_COMMAND_BYTES = 64 * 1024;

type Verb = "run" | "jit" | "revoke" | "cancel";

const RESOURCE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const SLASH_LINE = /^[ \t]{0,3}\/(run|jit|revoke|cancel)(?=\s|$)(.*)$/i;
const FENCE_OPEN = /^[ \t]{0,3}(`{3,}|~{3,})(.*)$/;
const REASON_LINE = /^[ \t]*reason[ \t]*:[ \t]*(.*)$/i;

export type ParsedCommand =
  | { kind: "none" }
  | { kind: "run"; resource: string; command: string; reason: string | null }
  | {
      kind: "jit";
      resource: string;
      durationMs: number;
      durationText: string;
      reason: string | null;
    }
  | { kind: "revoke"; resource: string | null }
  | { kind: "cancel" }
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

/** Finds the first slash-command line outside code blocks and quotes. */
function findSlashLine(lines: string[]): { index: number; verb: Verb; rest: string } | null {
  let fence: Fence | null = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    if (fence !== null) {
      if (isFenceClose(line, fence)) fence = null;
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open !== null) {
      fence = { marker: open[1] as string, startLine: index };
      continue;
    }
    const slash = SLASH_LINE.exec(line);
    if (slash !== null) {
      return { index, verb: (slash[1] as string).toLowerCase() as Verb, rest: slash[2] ?? "" };
    }
  }
  return null;
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
  const reason = (match[1] ?? match[2] ?? match[3] ?? "").trim();
  const rest = text.slice(0, match.index) + text.slice(match.index + match[0].length);
  return { rest, reason: reason === "" ? null : reason };
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
  lines: string[],
  from: number,
): { command: string | null; reason: string | null; problem?: string } {
  let reason: string | null = null;
  let command: string | null = null;
  for (let index = from; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const open = FENCE_OPEN.exec(line);
    if (open !== null && command === null) {
      const fence: Fence = { marker: open[1] as string, startLine: index };
      const body: string[] = [];
      let closed = false;
      for (index += 1; index < lines.length; index += 1) {
        const inner = lines[index] as string;
        if (isFenceClose(inner, fence)) {
          closed = true;
          break;
        }
        body.push(inner);
      }
      if (!closed) return { command: null, reason, problem: "the code block is not closed" };
      command = body.join("\n");
      continue;
    }
    const reasonLine = REASON_LINE.exec(line);
    if (reasonLine !== null && reason === null) {
      reason = (reasonLine[1] ?? "").trim() || null;
      continue;
    }
    // Another slash command ends this one: only the first counts.
    if (SLASH_LINE.test(line)) break;
  }
  return { command, reason };
}

export function parseComment(body: string | null | undefined): ParsedCommand {
  if (!body) return { kind: "none" };
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const slash = findSlashLine(lines);
  if (slash === null) return { kind: "none" };
  const { verb } = slash;

  if (verb === "cancel") return { kind: "cancel" };

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

  const inline = takeReason(afterResource);
  if (inline.problem) return invalid(verb, inline.problem);

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
    const block = readBlock(lines, slash.index + 1);
    return {
      kind: "jit",
      resource,
      durationMs,
      durationText,
      reason: inline.reason ?? block.reason,
    };
  }

  const lineCommand = inline.rest.trim();
  const block = readBlock(lines, slash.index + 1);
  if (block.problem) return invalid(verb, block.problem);
  if (lineCommand !== "" && block.command !== null) {
    return invalid(verb, "give the command either on the /run line or in a code block, not both");
  }
  const command = (lineCommand !== "" ? lineCommand : (block.command ?? "")).trim();
  if (command === "") {
    return invalid(
      verb,
      "the command is empty: put it on the /run line or in a ```sql block below it",
    );
  }
  const bytes = Buffer.byteLength(command, "utf8");
  if (bytes > MAX_COMMAND_BYTES) {
    return invalid(
      verb,
      `the command is ${bytes.toLocaleString("en-US")} bytes; the limit is ${MAX_COMMAND_BYTES.toLocaleString("en-US")} bytes (64 KiB)`,
    );
  }
  return { kind: "run", resource, command, reason: inline.reason ?? block.reason };
}
