/**
 * `/schedule <time>` (issue 17): an approver sets the time an approved command may run at the
 * earliest, inside the resource's execution window. Pure: the clock is an argument.
 *
 * The time is ISO 8601 with its UTC offset (`2025-03-31T09:00+02:00`, `2025-03-31T07:00Z`):
 * without one, "09:00" is a different instant for each reader, and an approval must mean one.
 */
import {
  WINDOW_SEARCH_DAYS,
  describeInstant,
  describeWindow,
  isWithinWindow,
  nextWindowStart,
  type ExecutionWindow,
} from "../policy/window.js";

/** How far ahead a command may be scheduled: further, and its approval may well be stale. */
export const MAX_SCHEDULE_AHEAD_DAYS = 30;
const DAY_MS = 86_400_000;

const EXAMPLE = "/schedule 2025-03-31T09:00+02:00 (or …T07:00Z for UTC)";
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
/** The offset of the largest (+14:00) and smallest (−12:00) zones, with room for history. */
const MAX_OFFSET_MINUTES = 18 * 60;

export type ScheduleTime = { ok: true; at: Date } | { ok: false; problem: string };

/** Minutes east of UTC from `Z`, `+02:00`, `+0200` or `-05`; null when out of range. */
function offsetMinutes(text: string): number | null {
  if (text.toUpperCase() === "Z") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  const total = hours * 60 + minutes;
  return minutes > 59 || total > MAX_OFFSET_MINUTES ? null : sign * total;
}

/** The instant a `/schedule` argument names, or why it names none. Takes no clock. */
export function parseScheduleTime(text: string): ScheduleTime {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, problem: `give the time: ${EXAMPLE}` };
  const match = ISO_TIME.exec(trimmed);
  // Only text in the expected shape (digits and signs) is quoted back: a comment must not
  // echo a stranger's @mention or markup.
  if (match === null) {
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
    const what = dateOnly ? `${trimmed} is a date without a time` : "that is not a time";
    return { ok: false, problem: `${what}: write ISO 8601 with its UTC offset, ${EXAMPLE}` };
  }
  const [, year, month, day, hour, minute, second = "0", fraction = "", zone] = match;
  if (zone === undefined) {
    return {
      ok: false,
      problem: `${trimmed} has no UTC offset, so it is ambiguous (whose ${hour}:${minute}?): add Z for UTC or the offset, e.g. ${trimmed}+02:00`,
    };
  }
  const offset = offsetMinutes(zone);
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(fields[0], fields[1] - 1, ...fields.slice(2));
  const check = new Date(wall);
  const real =
    check.getUTCFullYear() === fields[0] &&
    check.getUTCMonth() === fields[1] - 1 &&
    check.getUTCDate() === fields[2] &&
    check.getUTCHours() === fields[3] &&
    check.getUTCMinutes() === fields[4] &&
    check.getUTCSeconds() === fields[5];
  if (!real || offset === null) {
    return { ok: false, problem: `${trimmed} is not a real date and time` };
  }
  const milliseconds = Number(fraction.slice(0, 3).padEnd(3, "0"));
  return { ok: true, at: new Date(wall + milliseconds - offset * 60_000) };
}

function isoMinute(instant: Date): string {
  return `${instant.toISOString().slice(0, 16)}Z`;
}

/** A schedule must lie ahead, and not more than MAX_SCHEDULE_AHEAD_DAYS ahead. */
export function checkScheduleHorizon(at: Date, now: Date): ScheduleTime {
  if (at.getTime() < now.getTime()) {
    return {
      ok: false,
      problem: `${isoMinute(at)} is in the past (it is now ${isoMinute(now)})`,
    };
  }
  const latest = new Date(now.getTime() + MAX_SCHEDULE_AHEAD_DAYS * DAY_MS);
  if (at.getTime() > latest.getTime()) {
    return {
      ok: false,
      problem: `${isoMinute(at)} is more than ${MAX_SCHEDULE_AHEAD_DAYS} days ahead (the latest is ${isoMinute(latest)}): approve nearer the time instead`,
    };
  }
  return { ok: true, at };
}

/** `/schedule`'s argument, read and checked against `now`. */
export function parseSchedule(text: string, now: Date): ScheduleTime {
  const parsed = parseScheduleTime(text);
  return parsed.ok ? checkScheduleHorizon(parsed.at, now) : parsed;
}

export type ScheduleCheck =
  | { ok: true }
  | {
      ok: false;
      problem: string;
      /** When the windows next allow a command after `at`; null: not within the search. */
      nextStart: Date | null;
    };

/** Whether the resource's windows allow a command at `at` (no window: any time does). */
export function checkSchedule(
  windows: readonly ExecutionWindow[] | undefined,
  at: Date,
): ScheduleCheck {
  const [first] = windows ?? [];
  if (windows === undefined || first === undefined || isWithinWindow(windows, at)) {
    return { ok: true };
  }
  const nextStart = nextWindowStart(windows, at);
  const outside = `${describeInstant(at, first.timeZone)} is outside the execution window, ${describeWindow(windows)}`;
  const next =
    nextStart === null
      ? `the windows do not all open together in the ${WINDOW_SEARCH_DAYS} days after it`
      : `it next opens ${describeInstant(nextStart, first.timeZone)}`;
  return { ok: false, problem: `${outside}; ${next}`, nextStart };
}
