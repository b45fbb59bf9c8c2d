import fc from "fast-check";
import { explainIssue } from "../../src/policy/config-problems.js";
import {
  describeInstant,
  describeWindow,
  executionWindowRecordSchema,
  isWithinWindow,
  knownTimeZone,
  nextWindowStart,
  stricterWindow,
  windowSchema,
  type ExecutionWindow,
} from "../../src/policy/window.js";

/** A window as the YAML gives it, normalised; a test failure names the problems. */
function window(yaml: Record<string, unknown>): ExecutionWindow {
  const parsed = windowSchema.safeParse(yaml);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  return parsed.data;
}

/** The problems a bad `window` key gets, as the config files report them. */
function problems(yaml: unknown): string[] {
  const parsed = windowSchema.safeParse(yaml);
  if (parsed.success) throw new Error(`accepted: ${JSON.stringify(parsed.data)}`);
  return parsed.error.issues
    .flatMap((issue) => explainIssue(issue, ["window"]))
    .map((problem) => `${problem.path}: ${problem.message}`);
}

const at = (iso: string) => new Date(iso);
const next = (windows: Parameters<typeof nextWindowStart>[0], iso: string) =>
  nextWindowStart(windows, at(iso))?.toISOString() ?? null;

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"];
const berlinOffice = window({ days: WEEKDAYS, hours: "09:00-17:00", time_zone: "Europe/Berlin" });
const newYorkOffice = window({
  days: WEEKDAYS,
  hours: "09:00-17:00",
  time_zone: "America/New_York",
});

describe("windowSchema", () => {
  test("normalises the YAML shape: days Monday first and once, hours as minutes", () => {
    expect(
      window({ days: ["fri", "mon", "fri"], hours: "09:30-17:00", time_zone: "europe/berlin" }),
    ).toEqual({
      days: ["mon", "fri"],
      startMinute: 570,
      endMinute: 1020,
      timeZone: "Europe/Berlin",
    });
  });

  test("days default to every day; 24:00 and 00:00 both end at midnight", () => {
    const allDay = window({ hours: "00:00-24:00", time_zone: "UTC" });
    expect(allDay.days).toEqual(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    expect(allDay).toMatchObject({ startMinute: 0, endMinute: 1440 });
    expect(window({ hours: "22:00-00:00", time_zone: "UTC" })).toMatchObject({
      startMinute: 1320,
      endMinute: 1440,
    });
    expect(window({ hours: "22:00 – 06:00", time_zone: "UTC" })).toMatchObject({
      startMinute: 1320,
      endMinute: 360,
    });
  });

  test("keeps an alias the author wrote rather than Intl's older name", () => {
    expect(knownTimeZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(knownTimeZone("utc")).toBe("UTC");
  });

  test.each([
    [
      "an unknown zone",
      { hours: "09:00-17:00", time_zone: "Mars/Olympus" },
      "window.time_zone: time_zone must be an IANA time zone such as Europe/Berlin or UTC",
    ],
    [
      "a bare offset (no DST rules: not a place)",
      { hours: "09:00-17:00", time_zone: "+01:00" },
      "window.time_zone: time_zone must be an IANA time zone such as Europe/Berlin or UTC",
    ],
    [
      "no zone",
      { hours: "09:00-17:00" },
      "window.time_zone: window needs a time_zone, an IANA zone such as Europe/Berlin",
    ],
    [
      "hours without minutes",
      { hours: "9-17", time_zone: "UTC" },
      'window.hours: hours must be "HH:MM-HH:MM" on a 24-hour clock, e.g. "09:00-17:00"',
    ],
    [
      "an hour that does not exist",
      { hours: "09:00-25:00", time_zone: "UTC" },
      'window.hours: hours must be "HH:MM-HH:MM" on a 24-hour clock, e.g. "09:00-17:00"; "09:00-25:00" names a time that does not exist',
    ],
    [
      "past 24:00",
      { hours: "09:00-24:30", time_zone: "UTC" },
      "window.hours: hours can end at 24:00 at the latest",
    ],
    [
      "an empty range",
      { hours: "00:00-00:00", time_zone: "UTC" },
      'window.hours: hours must start and end at different times (all day: "00:00-24:00")',
    ],
    [
      "hours as a number (YAML 1.1 would read 09:00 so)",
      { hours: 540, time_zone: "UTC" },
      'window.hours: window needs hours, "HH:MM-HH:MM" on a 24-hour clock, e.g. "09:00-17:00"',
    ],
    [
      "a day spelt out",
      { days: ["monday"], hours: "09:00-17:00", time_zone: "UTC" },
      "window.days[0]: days are mon, tue, wed, thu, fri, sat and sun",
    ],
    [
      "no days at all",
      { days: [], hours: "09:00-17:00", time_zone: "UTC" },
      "window.days: days must name at least one day (leave days out for every day)",
    ],
  ])("refuses %s", (_name, yaml, problem) => {
    expect(problems(yaml)).toEqual([problem]);
  });

  test("refuses an unknown key: a typo must not silently mean another zone", () => {
    expect(problems({ hours: "09:00-17:00", time_zone: "UTC", timezone: "Europe/Berlin" })).toEqual(
      [expect.stringContaining('Unrecognized key: "timezone"')],
    );
  });
});

describe("executionWindowRecordSchema (a frozen policy's window)", () => {
  test("takes a normalised window back as it was", () => {
    expect(executionWindowRecordSchema.parse(berlinOffice)).toEqual(berlinOffice);
  });

  test("refuses a stored zone Intl does not know and an empty range", () => {
    expect(
      executionWindowRecordSchema.safeParse({ ...berlinOffice, timeZone: "Nowhere" }).success,
    ).toBe(false);
    expect(
      executionWindowRecordSchema.safeParse({ ...berlinOffice, startMinute: 60, endMinute: 60 })
        .success,
    ).toBe(false);
  });
});

describe("isWithinWindow", () => {
  test("weekdays in Berlin: the start is in, the end is out, the weekend is out", () => {
    // Monday 2025-03-31, CEST (UTC+2): 09:00–17:00 is 07:00Z–15:00Z.
    expect(isWithinWindow(berlinOffice, at("2025-03-31T06:59:59Z"))).toBe(false);
    expect(isWithinWindow(berlinOffice, at("2025-03-31T07:00:00Z"))).toBe(true);
    expect(isWithinWindow(berlinOffice, at("2025-03-31T14:59:59.999Z"))).toBe(true);
    expect(isWithinWindow(berlinOffice, at("2025-03-31T15:00:00Z"))).toBe(false);
    // Saturday 11:00 in Berlin.
    expect(isWithinWindow(berlinOffice, at("2025-03-29T10:00:00Z"))).toBe(false);
    // Friday 16:30 in Berlin is Saturday 00:30 in Tokyo: the zone's day counts, not UTC's.
    const tokyoWeekend = window({
      days: ["sat", "sun"],
      hours: "00:00-24:00",
      time_zone: "Asia/Tokyo",
    });
    expect(isWithinWindow(tokyoWeekend, at("2025-03-28T15:30:00Z"))).toBe(true);
    expect(isWithinWindow(tokyoWeekend, at("2025-03-28T14:59:00Z"))).toBe(false);
  });

  test("an overnight range belongs to the day it starts", () => {
    const fridayNight = window({ days: ["fri"], hours: "22:00-06:00", time_zone: "UTC" });
    expect(isWithinWindow(fridayNight, at("2025-04-04T23:00:00Z"))).toBe(true); // Fri 23:00
    expect(isWithinWindow(fridayNight, at("2025-04-05T05:59:00Z"))).toBe(true); // Sat 05:59
    expect(isWithinWindow(fridayNight, at("2025-04-05T06:00:00Z"))).toBe(false); // Sat 06:00
    expect(isWithinWindow(fridayNight, at("2025-04-05T23:00:00Z"))).toBe(false); // Sat night
    expect(isWithinWindow(fridayNight, at("2025-04-04T05:00:00Z"))).toBe(false); // Thu night
  });

  test("two windows: every one must allow the instant", () => {
    // Monday 2025-04-07, both on summer time: Berlin 07:00Z–15:00Z, New York 13:00Z–21:00Z.
    const both = [berlinOffice, newYorkOffice];
    expect(isWithinWindow(both, at("2025-04-07T12:00:00Z"))).toBe(false);
    expect(isWithinWindow(both, at("2025-04-07T14:00:00Z"))).toBe(true);
    expect(isWithinWindow(both, at("2025-04-07T16:00:00Z"))).toBe(false);
    expect(isWithinWindow([], at("2025-04-07T02:00:00Z"))).toBe(true);
  });

  test("an invalid date is never inside", () => {
    expect(isWithinWindow(berlinOffice, new Date(Number.NaN))).toBe(false);
    expect(nextWindowStart(berlinOffice, new Date(Number.NaN))).toBeNull();
  });
});

describe("nextWindowStart", () => {
  test("from inside, before and after a window", () => {
    expect(next(berlinOffice, "2025-03-31T10:00:00Z")).toBe("2025-03-31T10:00:00.000Z");
    expect(next(berlinOffice, "2025-03-31T05:00:00Z")).toBe("2025-03-31T07:00:00.000Z");
    expect(next(berlinOffice, "2025-03-31T15:00:00Z")).toBe("2025-04-01T07:00:00.000Z");
    // Friday evening: Monday morning (still CEST).
    expect(next(berlinOffice, "2025-04-04T16:00:00Z")).toBe("2025-04-07T07:00:00.000Z");
  });

  test("an overnight window from the morning after: next week's start", () => {
    const fridayNight = window({ days: ["fri"], hours: "22:00-06:00", time_zone: "UTC" });
    expect(next(fridayNight, "2025-04-05T07:00:00Z")).toBe("2025-04-11T22:00:00.000Z");
    expect(next(fridayNight, "2025-04-05T03:00:00Z")).toBe("2025-04-05T03:00:00.000Z");
  });

  describe("Europe/Berlin spring forward (2025-03-30, 02:00 CET → 03:00 CEST)", () => {
    const early = window({ hours: "02:30-05:00", time_zone: "Europe/Berlin" });

    test("a start in the gap opens at the first instant after it", () => {
      // Sunday 00:00 CET → 03:00 CEST, 01:00Z; it closes at 05:00 CEST, 03:00Z.
      expect(next(early, "2025-03-29T23:00:00Z")).toBe("2025-03-30T01:00:00.000Z");
      expect(isWithinWindow(early, at("2025-03-30T00:59:59Z"))).toBe(false);
      expect(isWithinWindow(early, at("2025-03-30T01:00:00Z"))).toBe(true);
      expect(isWithinWindow(early, at("2025-03-30T02:59:59Z"))).toBe(true);
      expect(isWithinWindow(early, at("2025-03-30T03:00:00Z"))).toBe(false);
    });

    test("a range wholly in the gap does not happen that day", () => {
      const lost = window({ hours: "02:00-03:00", time_zone: "Europe/Berlin" });
      expect(next(lost, "2025-03-29T23:00:00Z")).toBe("2025-03-31T00:00:00.000Z");
    });
  });

  describe("Europe/Berlin fall back (2025-10-26, 03:00 CEST → 02:00 CET)", () => {
    test("a window opened in the first 02:30 stays open through the repeated hour", () => {
      const early = window({ hours: "02:30-05:00", time_zone: "Europe/Berlin" });
      // Opens at 02:30 CEST (00:30Z), closes at 05:00 CET (04:00Z).
      expect(next(early, "2025-10-25T22:00:00Z")).toBe("2025-10-26T00:30:00.000Z");
      // 02:15 CET, the second time round: open, and not a second opening at 02:30 CET.
      expect(isWithinWindow(early, at("2025-10-26T01:15:00Z"))).toBe(true);
      expect(next(early, "2025-10-26T01:05:00Z")).toBe("2025-10-26T01:05:00.000Z");
      expect(next(early, "2025-10-26T04:00:00Z")).toBe("2025-10-27T01:30:00.000Z");
    });

    test("a window that closed at the first 02:30 does not reopen in the repeated hour", () => {
      const night = window({ hours: "00:00-02:30", time_zone: "Europe/Berlin" });
      expect(isWithinWindow(night, at("2025-10-26T00:29:00Z"))).toBe(true); // 02:29 CEST
      expect(isWithinWindow(night, at("2025-10-26T01:15:00Z"))).toBe(false); // 02:15 CET
      // Next: Monday 00:00 CET.
      expect(next(night, "2025-10-26T00:45:00Z")).toBe("2025-10-26T23:00:00.000Z");
    });
  });

  describe("America/New_York", () => {
    test("spring forward (2025-03-09, 02:00 EST → 03:00 EDT)", () => {
      const early = window({ hours: "02:30-04:00", time_zone: "America/New_York" });
      // Sunday 00:00 EST; 02:30 does not exist, so 03:00 EDT (07:00Z) until 04:00 EDT.
      expect(next(early, "2025-03-09T05:00:00Z")).toBe("2025-03-09T07:00:00.000Z");
      expect(isWithinWindow(early, at("2025-03-09T06:59:00Z"))).toBe(false);
      expect(isWithinWindow(early, at("2025-03-09T07:59:00Z"))).toBe(true);
      expect(isWithinWindow(early, at("2025-03-09T08:00:00Z"))).toBe(false);
    });

    test("fall back (2025-11-02, 02:00 EDT → 01:00 EST): the repeated hour opens once", () => {
      const oneAm = window({ hours: "01:00-01:30", time_zone: "America/New_York" });
      // 01:00–01:30 EDT is 05:00Z–05:30Z; 01:00–01:30 EST (06:00Z) is not a second window.
      expect(next(oneAm, "2025-11-02T04:00:00Z")).toBe("2025-11-02T05:00:00.000Z");
      expect(isWithinWindow(oneAm, at("2025-11-02T06:10:00Z"))).toBe(false);
      expect(next(oneAm, "2025-11-02T05:30:00Z")).toBe("2025-11-03T06:00:00.000Z");
      const night = window({ hours: "01:30-03:00", time_zone: "America/New_York" });
      // 01:30 EDT (05:30Z) to 03:00 EST (08:00Z), through 01:15 EST.
      expect(isWithinWindow(night, at("2025-11-02T06:15:00Z"))).toBe(true);
      expect(next(night, "2025-11-02T08:00:00Z")).toBe("2025-11-03T06:30:00.000Z");
    });
  });

  describe("two windows in different zones", () => {
    const both = [berlinOffice, newYorkOffice];

    test("with an overlap: its start, which moves with each zone's DST dates", () => {
      // Both on summer time: 13:00Z–15:00Z.
      expect(next(both, "2025-04-07T08:00:00Z")).toBe("2025-04-07T13:00:00.000Z");
      expect(next(both, "2025-04-11T15:00:00Z")).toBe("2025-04-14T13:00:00.000Z");
      // New York on EDT, Berlin still on CET: 13:00Z–16:00Z.
      expect(isWithinWindow(both, at("2025-03-10T15:30:00Z"))).toBe(true);
      expect(isWithinWindow(both, at("2025-04-07T15:30:00Z"))).toBe(false);
    });

    test("without an overlap: null, after a bounded search", () => {
      const berlinMorning = window({ hours: "09:00-10:00", time_zone: "Europe/Berlin" });
      const newYorkMorning = window({ hours: "09:00-10:00", time_zone: "America/New_York" });
      expect(next([berlinMorning, newYorkMorning], "2025-04-07T00:00:00Z")).toBeNull();
      const mondays = window({ days: ["mon"], hours: "00:00-24:00", time_zone: "UTC" });
      const tuesdays = window({ days: ["tue"], hours: "00:00-24:00", time_zone: "UTC" });
      expect(next([mondays, tuesdays], "2025-04-07T00:00:00Z")).toBeNull();
    });

    test("only within the next 14 days", () => {
      // Berlin 08:00–09:00 and New York 02:00–03:00 are the same hour all year, except while
      // New York is on EDT and Berlin still on CET (2025-03-09 to 2025-03-30).
      const berlin = window({ hours: "08:00-09:00", time_zone: "Europe/Berlin" });
      const newYork = window({ hours: "02:00-03:00", time_zone: "America/New_York" });
      expect(next([berlin, newYork], "2025-01-06T00:00:00Z")).toBe("2025-01-06T07:00:00.000Z");
      expect(next([berlin, newYork], "2025-03-10T00:00:00Z")).toBeNull();
      expect(next([berlin, newYork], "2025-03-20T00:00:00Z")).toBe("2025-03-30T06:00:00.000Z");
    });
  });
});

describe("isWithinWindow and nextWindowStart agree (any window, any instant)", () => {
  // Zones with DST of an hour both ways, of 30 minutes (Lord Howe), at midnight (Santiago),
  // and offsets that are not whole hours.
  const zones = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
  ];
  const anyWindow = fc
    .record({
      days: fc.subarray(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], { minLength: 1 }),
      start: fc.integer({ min: 0, max: 47 }),
      end: fc.integer({ min: 1, max: 48 }),
      timeZone: fc.constantFrom(...zones),
    })
    .filter(({ start, end }) => start !== end && !(start === 0 && end === 48))
    .map(({ days, start, end, timeZone }) => {
      const clock = (half: number) =>
        `${String(Math.floor(half / 2)).padStart(2, "0")}:${half % 2 === 0 ? "00" : "30"}`;
      return window({ days, hours: `${clock(start)}-${clock(end)}`, time_zone: timeZone });
    });
  // 2024–2026, DST changes included, to the second.
  const anyInstant = fc
    .integer({ min: Date.UTC(2024, 0, 1) / 1000, max: Date.UTC(2026, 11, 31) / 1000 })
    .map((seconds) => new Date(seconds * 1000));

  test("the next start is inside, nothing before it is, and inside means now", () => {
    fc.assert(
      fc.property(
        fc.array(anyWindow, { minLength: 1, maxLength: 2 }),
        anyInstant,
        (windows, after) => {
          const start = nextWindowStart(windows, after);
          const inside = isWithinWindow(windows, after);
          if (inside) return start?.getTime() === after.getTime();
          if (start === null) return true;
          const justBefore = new Date(start.getTime() - 1);
          return (
            start > after && isWithinWindow(windows, start) && !isWithinWindow(windows, justBefore)
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("one window always opens within the search (at most one day a week is lost to DST)", () => {
    fc.assert(
      fc.property(
        anyWindow,
        anyInstant,
        (single, after) => nextWindowStart(single, after) !== null,
      ),
      { numRuns: 200 },
    );
  });
});

describe("stricterWindow", () => {
  test("neither side: no window; one side: its window; both: every window once", () => {
    expect(stricterWindow(undefined, undefined)).toBeUndefined();
    expect(stricterWindow(berlinOffice, undefined)).toEqual([berlinOffice]);
    expect(stricterWindow(undefined, [newYorkOffice])).toEqual([newYorkOffice]);
    expect(stricterWindow([berlinOffice, newYorkOffice], berlinOffice)).toEqual([
      berlinOffice,
      newYorkOffice,
    ]);
  });

  test("the combination allows only what both allow", () => {
    const combined = stricterWindow(berlinOffice, newYorkOffice) ?? [];
    expect(isWithinWindow(combined, at("2025-04-07T12:00:00Z"))).toBe(false);
    expect(isWithinWindow(combined, at("2025-04-07T14:00:00Z"))).toBe(true);
  });
});

describe("describeWindow and describeInstant", () => {
  test.each([
    [{ days: WEEKDAYS, hours: "09:00-17:00" }, "Mon–Fri 09:00–17:00 Europe/Berlin"],
    [{ hours: "00:00-24:00" }, "every day 00:00–24:00 Europe/Berlin"],
    [
      { days: ["mon", "wed", "fri"], hours: "09:00-12:00" },
      "Mon, Wed, Fri 09:00–12:00 Europe/Berlin",
    ],
    [{ days: ["sat", "sun"], hours: "10:00-14:00" }, "Sat, Sun 10:00–14:00 Europe/Berlin"],
    [
      { days: ["mon", "wed", "fri", "sat", "sun"], hours: "22:00-06:00" },
      "Wed, Fri–Mon 22:00–06:00 (into the next day) Europe/Berlin",
    ],
  ])("%j reads %s", (yaml, words) => {
    expect(describeWindow(window({ ...yaml, time_zone: "Europe/Berlin" }))).toBe(words);
  });

  test("several windows are joined with and", () => {
    expect(describeWindow([berlinOffice, newYorkOffice])).toBe(
      "Mon–Fri 09:00–17:00 Europe/Berlin and Mon–Fri 09:00–17:00 America/New_York",
    );
  });

  test("an instant in the window's zone and in UTC", () => {
    expect(describeInstant(at("2025-03-31T07:00:00Z"), "Europe/Berlin")).toBe(
      "Mon 2025-03-31 09:00 Europe/Berlin (2025-03-31 07:00 UTC)",
    );
    expect(describeInstant(at("2025-03-31T02:00:00Z"), "America/New_York")).toBe(
      "Sun 2025-03-30 22:00 America/New_York (2025-03-31 02:00 UTC)",
    );
    expect(describeInstant(at("2025-03-31T02:00:00Z"), "UTC")).toBe("Mon 2025-03-31 02:00 UTC");
  });
});
