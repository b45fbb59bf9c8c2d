/**
 * Execution windows (issue 17): when an approved command may run on a resource, as days,
 * hours and an IANA time zone, e.g. `window: { days: [mon, tue, wed, thu, fri],
 * hours: "09:00-17:00", time_zone: "Europe/Berlin" }`. Pure: zone arithmetic goes through
 * `Intl.DateTimeFormat`; nothing reads the clock.
 *
 * A window is a set of instants: for each of its local days D, from the first instant whose
 * local date and time is at or after (D, start) to the first one at or after (D, end), or
 * (D + 1, end) when the range crosses midnight (it belongs to the day it starts). That one rule
 * settles daylight saving time: a start inside a spring-forward gap opens at the first instant
 * after the gap, and a fall-back day's repeated hour cannot open a day's window twice.
 *
 * The server floor and the repository file may each set one, and both must allow a command.
 * Two windows in different zones are not one window, so a policy keeps a list (all must hold).
 */
import { z } from "zod";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ExecutionWindow {
  /** The days a window opens on, Monday first, each once. */
  days: Weekday[];
  /** Minutes after local midnight the window opens (0–1439). */
  startMinute: number;
  /** Minutes after local midnight it closes (1–1440); at or before the start: the next day. */
  endMinute: number;
  /** An IANA zone that Intl knows, e.g. `Europe/Berlin`. */
  timeZone: string;
}

/** One window, or several that must all allow an instant (none: no restriction). */
export type WindowSet = ExecutionWindow | readonly ExecutionWindow[];

/** How far `nextWindowStart` looks ahead. */
export const WINDOW_SEARCH_DAYS = 14;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;
const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** The zone as Intl spells it (`europe/berlin` → `Europe/Berlin`), or null when Intl has none. */
export function knownTimeZone(name: string): string | null {
  // A window names a place, whose rules include its DST; not a bare offset such as +01:00.
  if (!/^[A-Za-z]/.test(name)) return null;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions()
      .timeZone;
    // An alias Intl maps elsewhere (Asia/Kolkata → Asia/Calcutta) keeps the author's name.
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return null;
  }
}

const HOURS_SHAPE = 'hours must be "HH:MM-HH:MM" on a 24-hour clock, e.g. "09:00-17:00"';
const HOURS_PATTERN = /^(\d{2}):(\d{2})\s*[-–]\s*(\d{2}):(\d{2})$/;

/** `"09:00-17:00"` → minutes after midnight; `"22:00-06:00"` crosses midnight. */
export function parseHours(
  text: string,
): { ok: true; startMinute: number; endMinute: number } | { ok: false; problem: string } {
  const match = HOURS_PATTERN.exec(text.trim());
  if (match === null) return { ok: false, problem: HOURS_SHAPE };
  const [startHour, startMinutes, endHour, endMinutes] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (startHour > 23 || startMinutes > 59 || endMinutes > 59 || endHour > 24) {
    return { ok: false, problem: `${HOURS_SHAPE}; "${match[0]}" names a time that does not exist` };
  }
  if (endHour === 24 && endMinutes !== 0) {
    return { ok: false, problem: "hours can end at 24:00 at the latest" };
  }
  const startMinute = startHour * 60 + startMinutes;
  const written = endHour * 60 + endMinutes;
  if (written === startMinute) {
    return {
      ok: false,
      problem: 'hours must start and end at different times (all day: "00:00-24:00")',
    };
  }
  // 22:00-00:00 and 22:00-24:00 are the same window: keep one spelling.
  return { ok: true, startMinute, endMinute: written === 0 ? MINUTES_PER_DAY : written };
}

function orderedDays(days: readonly Weekday[] | undefined): Weekday[] {
  return WEEKDAYS.filter((day) => days === undefined || days.includes(day));
}

/** A resource's `window` key as the server file and the repository file take it. */
export const windowSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS, { error: "days are mon, tue, wed, thu, fri, sat and sun" }))
      .min(1, "days must name at least one day (leave days out for every day)")
      .optional(),
    hours: z
      .string({ error: `window needs ${HOURS_SHAPE.replace("hours must be", "hours,")}` })
      .transform((text, context) => {
        const parsed = parseHours(text);
        if (parsed.ok) return parsed;
        context.addIssue({ code: "custom", message: parsed.problem });
        return z.NEVER;
      }),
    time_zone: z
      .string({ error: "window needs a time_zone, an IANA zone such as Europe/Berlin" })
      .transform((name, context) => {
        const zone = knownTimeZone(name);
        if (zone !== null) return zone;
        context.addIssue({
          code: "custom",
          message: "time_zone must be an IANA time zone such as Europe/Berlin or UTC",
        });
        return z.NEVER;
      }),
  })
  .transform((input): ExecutionWindow => ({
    days: orderedDays(input.days),
    startMinute: input.hours.startMinute,
    endMinute: input.hours.endMinute,
    timeZone: input.time_zone,
  }));

/** A window as a stored (frozen) policy keeps it: the normalised shape, checked again. */
export const executionWindowRecordSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1),
    startMinute: z
      .number()
      .int()
      .min(0)
      .max(MINUTES_PER_DAY - 1),
    endMinute: z.number().int().min(1).max(MINUTES_PER_DAY),
    timeZone: z.string().refine((zone) => knownTimeZone(zone) !== null, "unknown time zone"),
  })
  .refine(
    (window) => window.startMinute !== window.endMinute,
    "a window cannot be empty",
  ) satisfies z.ZodType<ExecutionWindow>;

// Zone arithmetic. "Wall" values are a local date and time written as the UTC milliseconds of
// the same fields, so local days are plain 24-hour steps.

/** One formatter per zone: building one costs far more than formatting with it. */
const clocks = new Map<string, Intl.DateTimeFormat>();

function clockFor(timeZone: string): Intl.DateTimeFormat {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    clock = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    clocks.set(timeZone, clock);
  }
  return clock;
}

/** The local date and time in `timeZone` at instant `ms`, to the second, as a wall value. */
function wallClock(ms: number, timeZone: string): number {
  const fields = new Map<string, number>();
  for (const part of clockFor(timeZone).formatToParts(ms)) {
    fields.set(part.type, Number(part.value));
  }
  const field = (name: string) => fields.get(name) ?? Number.NaN;
  const wall = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0–99 as 1900–1999.
  wall.setUTCFullYear(field("year"), field("month") - 1, field("day"));
  wall.setUTCHours(field("hour"), field("minute"), field("second"), 0);
  return wall.getTime();
}

function offsetAt(ms: number, timeZone: string): number {
  const second = Math.floor(ms / 1000) * 1000;
  return wallClock(second, timeZone) - second;
}

/**
 * The first instant whose local date and time is at or after `wall`: the instant itself when
 * it exists, the earlier of two on a fall-back day, the end of the gap on a spring-forward day.
 * Assumes at most one offset change within a day of it, as in every zone's rules today.
 */
function firstInstantAtOrAfter(wall: number, timeZone: string): number {
  const offsets = [
    ...new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone)]),
  ];
  const exact = offsets
    .map((offset) => wall - offset)
    .filter((instant) => wallClock(instant, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In the gap: the clocks jump over `wall` somewhere in [low, high]; find where, to the second.
  let low = wall - Math.max(...offsets);
  let high = wall - Math.min(...offsets);
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (wallClock(middle, timeZone) >= wall) high = middle;
    else low = middle;
  }
  return high;
}

type Interval = readonly [start: number, end: number];

function weekdayOf(day: number): Weekday {
  return WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7] as Weekday;
}

function localDay(ms: number, timeZone: string): number {
  return Math.floor(wallClock(ms, timeZone) / DAY_MS) * DAY_MS;
}

/** The instants the window holds for the local day `day` (a wall midnight), or null if none. */
function intervalOn(window: ExecutionWindow, day: number): Interval | null {
  if (!window.days.includes(weekdayOf(day))) return null;
  const overnight = window.endMinute <= window.startMinute;
  const endMinute = window.endMinute + (overnight ? MINUTES_PER_DAY : 0);
  const start = firstInstantAtOrAfter(day + window.startMinute * MINUTE_MS, window.timeZone);
  const end = firstInstantAtOrAfter(day + endMinute * MINUTE_MS, window.timeZone);
  // A range that lies wholly in a spring-forward gap does not happen that day.
  return end > start ? [start, end] : null;
}

function listOf(windows: WindowSet): readonly ExecutionWindow[] {
  return Array.isArray(windows) ? windows : [windows as ExecutionWindow];
}

function insideOne(window: ExecutionWindow, instant: number): boolean {
  const today = localDay(instant, window.timeZone);
  // Yesterday's overnight range may still hold; a fall-back across midnight can put an
  // instant of local day D after day D + 1 opened.
  return [today - DAY_MS, today, today + DAY_MS].some((day) => {
    const interval = intervalOn(window, day);
    return interval !== null && interval[0] <= instant && instant < interval[1];
  });
}

/** Whether every window allows `instant` (an invalid date: never). */
export function isWithinWindow(windows: WindowSet, instant: Date): boolean {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) return false;
  return listOf(windows).every((window) => insideOne(window, ms));
}

/** The window's intervals that meet [from, until), in order (they never overlap). */
function intervalsOf(window: ExecutionWindow, from: number, until: number): Interval[] {
  const intervals: Interval[] = [];
  const last = localDay(until, window.timeZone) + DAY_MS;
  for (let day = localDay(from, window.timeZone) - DAY_MS; day <= last; day += DAY_MS) {
    const interval = intervalOn(window, day);
    if (interval !== null && interval[1] > from && interval[0] < until) intervals.push(interval);
  }
  return intervals;
}

/** Where two ordered lists of disjoint intervals both hold. */
function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const common: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aStart, aEnd] = a[i] as Interval;
    const [bStart, bEnd] = b[j] as Interval;
    const start = Math.max(aStart, bStart);
    const end = Math.min(aEnd, bEnd);
    if (start < end) common.push([start, end]);
    if (aEnd < bEnd) i += 1;
    else j += 1;
  }
  return common;
}

/**
 * The first instant at or after `after` that every window allows: `after` itself when they
 * do now. Null when there is none in the next WINDOW_SEARCH_DAYS days (windows in zones whose
 * DST dates differ may overlap in one season and not in another: ask again later). Exact:
 * it intersects the windows' intervals, so no boundary can be stepped over.
 */
export function nextWindowStart(windows: WindowSet, after: Date): Date | null {
  const from = after.getTime();
  if (Number.isNaN(from)) return null;
  const until = from + WINDOW_SEARCH_DAYS * DAY_MS;
  let common: Interval[] = [[from, until]];
  for (const window of listOf(windows)) {
    common = intersect(common, intervalsOf(window, from, until));
  }
  const first = common[0];
  return first === undefined ? null : new Date(first[0]);
}

function windowKey(window: ExecutionWindow): string {
  return [window.days.join(","), window.startMinute, window.endMinute, window.timeZone].join("|");
}

/**
 * A command may run only when both sides allow it: every window of both, each once. Undefined
 * when neither side sets one.
 */
export function stricterWindow(
  a: WindowSet | undefined,
  b: WindowSet | undefined,
): ExecutionWindow[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  const seen = new Set<string>();
  return [...listOf(a ?? []), ...listOf(b ?? [])]
    .filter((window) => {
      const key = windowKey(window);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((window) => ({ ...window, days: [...window.days] }));
}

function clockText(minute: number): string {
  const hours = String(Math.floor(minute / 60)).padStart(2, "0");
  return `${hours}:${String(minute % 60).padStart(2, "0")}`;
}

/** `Mon–Fri`, `Mon, Wed, Fri`, `Fri–Mon`, `every day`. */
function describeDays(days: readonly Weekday[]): string {
  const indices = WEEKDAYS.flatMap((day, index) => (days.includes(day) ? [index] : []));
  if (indices.length === WEEKDAYS.length) return "every day";
  const runs: number[][] = [];
  for (const index of indices) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === index - 1) run.push(index);
    else runs.push([index]);
  }
  // A run through Sunday into Monday is one run (Fri–Mon), told last.
  const [first] = runs;
  const last = runs.at(-1);
  if (runs.length > 1 && first?.[0] === 0 && last?.at(-1) === 6) {
    runs.push([...(runs.pop() as number[]), ...(runs.shift() as number[])]);
  }
  const name = (index: number | undefined) => DAY_NAMES[index ?? 0];
  return runs
    .map((run) =>
      run.length >= 3
        ? `${name(run[0])}–${name(run.at(-1))}`
        : run.map((index) => name(index)).join(", "),
    )
    .join(", ");
}

/** Words for the PR: `Mon–Fri 09:00–17:00 Europe/Berlin`; several windows joined by "and". */
export function describeWindow(windows: WindowSet): string {
  const list = listOf(windows);
  if (list.length === 0) return "any time";
  return list
    .map((window) => {
      const overnight = window.endMinute <= window.startMinute ? " (into the next day)" : "";
      const hours = `${clockText(window.startMinute)}–${clockText(window.endMinute)}`;
      return `${describeDays(window.days)} ${hours}${overnight} ${window.timeZone}`;
    })
    .join(" and ");
}

/** An instant for the PR: `Mon 2025-03-31 09:00 Europe/Berlin (2025-03-31 07:00 UTC)`. */
export function describeInstant(instant: Date, timeZone: string): string {
  const utc = instant.toISOString().slice(0, 16).replace("T", " ");
  if (timeZone.toUpperCase() === "UTC")
    return `${DAY_NAMES[(instant.getUTCDay() + 6) % 7]} ${utc} UTC`;
  const wall = wallClock(instant.getTime(), timeZone);
  const local = new Date(wall).toISOString().slice(0, 16).replace("T", " ");
  return `${DAY_NAMES[WEEKDAYS.indexOf(weekdayOf(wall))]} ${local} ${timeZone} (${utc} UTC)`;
}
