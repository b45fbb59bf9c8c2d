import {
  MAX_SCHEDULE_AHEAD_DAYS,
  checkSchedule,
  parseSchedule,
  parseScheduleTime,
} from "../../src/commands/schedule.js";
import { windowSchema } from "../../src/policy/window.js";

/** Monday 2025-03-31 06:00Z, 08:00 in Berlin. */
const NOW = new Date("2025-03-31T06:00:00Z");

const instant = (text: string) => {
  const parsed = parseSchedule(text, NOW);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.at.toISOString();
};
const problem = (text: string) => {
  const parsed = parseSchedule(text, NOW);
  if (parsed.ok) throw new Error(`accepted: ${parsed.at.toISOString()}`);
  return parsed.problem;
};

const berlinOffice = windowSchema.parse({
  days: ["mon", "tue", "wed", "thu", "fri"],
  hours: "09:00-17:00",
  time_zone: "Europe/Berlin",
});
const newYorkNight = windowSchema.parse({
  hours: "01:00-02:00",
  time_zone: "America/New_York",
});

describe("parseSchedule", () => {
  test.each([
    ["2025-03-31T09:00+02:00", "2025-03-31T07:00:00.000Z"],
    ["2025-03-31T07:00Z", "2025-03-31T07:00:00.000Z"],
    ["2025-03-31t07:00z", "2025-03-31T07:00:00.000Z"],
    ["2025-03-31 09:00:30+0200", "2025-03-31T07:00:30.000Z"],
    ["2025-03-31T07:00:30.25Z", "2025-03-31T07:00:30.250Z"],
    ["2025-03-31T03:00-04", "2025-03-31T07:00:00.000Z"],
    ["2025-04-01T05:30+05:30", "2025-04-01T00:00:00.000Z"],
    ["  2025-03-31T07:00Z  ", "2025-03-31T07:00:00.000Z"],
  ])("%s is %s", (text, iso) => {
    expect(instant(text)).toBe(iso);
  });

  test("a time without an offset is ambiguous", () => {
    expect(problem("2025-03-31T09:00")).toBe(
      "2025-03-31T09:00 has no UTC offset, so it is ambiguous (whose 09:00?): add Z for UTC or the offset, e.g. 2025-03-31T09:00+02:00",
    );
  });

  test.each([
    ["", "give the time: /schedule 2025-03-31T09:00+02:00 (or …T07:00Z for UTC)"],
    [
      "2025-03-31",
      "2025-03-31 is a date without a time: write ISO 8601 with its UTC offset, /schedule 2025-03-31T09:00+02:00 (or …T07:00Z for UTC)",
    ],
    [
      "tomorrow 9am @octocat",
      "that is not a time: write ISO 8601 with its UTC offset, /schedule 2025-03-31T09:00+02:00 (or …T07:00Z for UTC)",
    ],
    ["2025-02-30T09:00Z", "2025-02-30T09:00Z is not a real date and time"],
    ["2025-04-01T24:00Z", "2025-04-01T24:00Z is not a real date and time"],
    ["2025-04-01T09:60Z", "2025-04-01T09:60Z is not a real date and time"],
    ["2025-04-01T09:00+19:00", "2025-04-01T09:00+19:00 is not a real date and time"],
    ["2025-04-01T09:00+02:75", "2025-04-01T09:00+02:75 is not a real date and time"],
  ])("refuses %j", (text, message) => {
    expect(problem(text)).toBe(message);
  });

  test("a time in the past is refused; now is not the past", () => {
    expect(problem("2025-03-31T07:59+02:00")).toBe(
      "2025-03-31T05:59Z is in the past (it is now 2025-03-31T06:00Z)",
    );
    expect(instant("2025-03-31T06:00Z")).toBe(NOW.toISOString());
  });

  test(`at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`, () => {
    expect(instant("2025-04-30T06:00Z")).toBe("2025-04-30T06:00:00.000Z");
    expect(problem("2025-04-30T06:01Z")).toBe(
      "2025-04-30T06:01Z is more than 30 days ahead (the latest is 2025-04-30T06:00Z): approve nearer the time instead",
    );
  });

  test("parseScheduleTime reads the time without a clock", () => {
    expect(parseScheduleTime("2020-01-01T00:00Z")).toEqual({
      ok: true,
      at: new Date("2020-01-01T00:00:00Z"),
    });
  });
});

describe("checkSchedule", () => {
  test("no window: any time is fine", () => {
    expect(checkSchedule(undefined, new Date("2025-04-05T03:00:00Z"))).toEqual({ ok: true });
    expect(checkSchedule([], new Date("2025-04-05T03:00:00Z"))).toEqual({ ok: true });
  });

  test("inside the window: fine", () => {
    expect(checkSchedule([berlinOffice], new Date(instant("2025-03-31T09:00+02:00")))).toEqual({
      ok: true,
    });
  });

  test("outside: why, and when the window next opens, in words", () => {
    const saturday = new Date("2025-04-05T10:00:00Z");
    expect(checkSchedule([berlinOffice], saturday)).toEqual({
      ok: false,
      problem:
        "Sat 2025-04-05 12:00 Europe/Berlin (2025-04-05 10:00 UTC) is outside the execution window, Mon–Fri 09:00–17:00 Europe/Berlin; it next opens Mon 2025-04-07 09:00 Europe/Berlin (2025-04-07 07:00 UTC)",
      nextStart: new Date("2025-04-07T07:00:00Z"),
    });
  });

  test("windows that never meet: said so, with no next start", () => {
    const check = checkSchedule([berlinOffice, newYorkNight], new Date("2025-04-01T08:00:00Z"));
    expect(check).toEqual({
      ok: false,
      problem:
        "Tue 2025-04-01 10:00 Europe/Berlin (2025-04-01 08:00 UTC) is outside the execution window, Mon–Fri 09:00–17:00 Europe/Berlin and every day 01:00–02:00 America/New_York; the windows do not all open together in the 14 days after it",
      nextStart: null,
    });
  });
});
