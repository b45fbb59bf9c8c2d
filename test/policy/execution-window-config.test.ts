/**
 * The `window` key (issue 17) in both files: read into the policy, refused when malformed
 * with the path of the problem, kept by the frozen record, and combined so that a repository
 * can only add a window to the floor's, never lift it.
 */
import { parseConfig, type ResourcePolicy } from "../../src/policy/config.js";
import { checkConfigText } from "../../src/policy/config-check.js";
import { configEffects } from "../../src/policy/config-effects.js";
import { effectivePolicy, stricterPolicy } from "../../src/policy/effective-policy.js";
import { isWithinWindow } from "../../src/policy/window.js";
import { JSON_COLUMN_SCHEMAS } from "../../src/lifecycle/records.js";
import { serverConfig } from "../helpers/server-floor.js";

const OFFICE = {
  days: ["mon", "tue", "wed", "thu", "fri"],
  hours: "09:00-17:00",
  time_zone: "Europe/Berlin",
};
const MORNINGS = { hours: "06:00-12:00", time_zone: "UTC" };

function floorOf(resource: object): ResourcePolicy {
  const config = serverConfig({ "prod-db": { repos: ["acme/*"], approvals: "none", ...resource } });
  return (config.resources["prod-db"] as { floor: ResourcePolicy }).floor;
}

function repositoryRule(resource: object): ResourcePolicy {
  const parsed = parseConfig({ resources: { "prod-db": { approvals: "none", ...resource } } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config.resources["prod-db"] as ResourcePolicy;
}

function repositoryProblems(resource: object): string[] {
  const parsed = parseConfig({ resources: { "prod-db": { approvals: "none", ...resource } } });
  if (parsed.ok) throw new Error("accepted");
  return parsed.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

describe("reading the window key", () => {
  test("the repository file reads it into the policy, normalised", () => {
    expect(repositoryRule({ window: OFFICE }).window).toEqual([
      {
        days: ["mon", "tue", "wed", "thu", "fri"],
        startMinute: 540,
        endMinute: 1020,
        timeZone: "Europe/Berlin",
      },
    ]);
    expect(repositoryRule({}).window).toBeUndefined();
  });

  test("the server file reads it into the floor", () => {
    expect(floorOf({ window: MORNINGS }).window).toEqual([
      {
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        startMinute: 360,
        endMinute: 720,
        timeZone: "UTC",
      },
    ]);
  });

  test("a malformed window is refused with the path of the problem", () => {
    expect(repositoryProblems({ window: { ...OFFICE, time_zone: "Mars/Olympus" } })).toEqual([
      "resources.prod-db.window.time_zone: time_zone must be an IANA time zone such as Europe/Berlin or UTC",
    ]);
    expect(repositoryProblems({ window: { ...OFFICE, hours: "9-5" } })[0]).toMatch(
      /^resources\.prod-db\.window\.hours: hours must be "HH:MM-HH:MM"/,
    );
    expect(repositoryProblems({ window: { ...OFFICE, timezone: "UTC" } })[0]).toMatch(
      /^resources\.prod-db\.window/,
    );
    const server = checkConfigText(
      "resources:\n  prod-db:\n    repos: [acme/*]\n    approvals: none\n    window: { hours: '09:00-17:00' }\n",
      "server",
    );
    expect(server.ok).toBe(false);
    expect(JSON.stringify(server)).toContain("time_zone");
  });
});

describe("floor and repository together", () => {
  const floorWindow = floorOf({ window: OFFICE });

  test("a repository without a window keeps the floor's", () => {
    const effective = effectivePolicy(floorWindow, repositoryRule({}));
    expect(effective.window).toEqual(floorWindow.window);
  });

  test("a repository's window is added to the floor's: both must allow a command", () => {
    const effective = effectivePolicy(floorWindow, repositoryRule({ window: MORNINGS }));
    expect(effective.window).toHaveLength(2);
    // Monday 10:00 Berlin (09:00 UTC): inside both.
    expect(isWithinWindow(effective.window ?? [], new Date("2026-12-07T09:00:00Z"))).toBe(true);
    // Monday 14:00 Berlin: inside the floor's, outside the repository's mornings.
    expect(isWithinWindow(effective.window ?? [], new Date("2026-12-07T13:00:00Z"))).toBe(false);
    // Saturday 10:00 UTC: inside the mornings, outside the floor's weekdays.
    expect(isWithinWindow(effective.window ?? [], new Date("2026-12-05T10:00:00Z"))).toBe(false);
  });

  test("a repository cannot lift the floor's window, even with a wider one of its own", () => {
    const allDay = repositoryRule({ window: { hours: "00:00-24:00", time_zone: "UTC" } });
    const effective = effectivePolicy(floorWindow, allDay);
    expect(isWithinWindow(effective.window ?? [], new Date("2026-12-05T10:00:00Z"))).toBe(false);
    expect(effective.window).toEqual(expect.arrayContaining(floorWindow.window ?? []));
  });

  test("the worker's stricter of frozen and current keeps a window either side has", () => {
    const frozen = effectivePolicy(floorOf({}), repositoryRule({}));
    const current = effectivePolicy(floorWindow, undefined);
    expect(stricterPolicy(frozen, current).window).toEqual(floorWindow.window);
    expect(stricterPolicy(current, frozen).window).toEqual(floorWindow.window);
    expect(stricterPolicy(frozen, frozen).window).toBeUndefined();
  });

  test("the config check run calls adding a window tighter and removing it looser", () => {
    const server = serverConfig({ "prod-db": { repos: ["acme/*"], approvals: "none" } });
    const without = { "prod-db": repositoryRule({}) };
    const withWindow = { "prod-db": repositoryRule({ window: OFFICE }) };
    const added = configEffects(server, "acme", "ops", without, withWindow).effects[0];
    expect(added?.direction).toBe("tighter");
    expect(added?.changes).toEqual(["window: any time → Mon–Fri 09:00–17:00 Europe/Berlin"]);
    const removed = configEffects(server, "acme", "ops", withWindow, without).effects[0];
    expect(removed?.direction).toBe("looser");
  });
});

describe("the frozen record", () => {
  test("keeps the windows of the effective policy", () => {
    const effective = effectivePolicy(
      floorOf({ window: OFFICE }),
      repositoryRule({ window: MORNINGS }),
    );
    const stored = JSON.parse(JSON.stringify(effective)) as unknown;
    const read = JSON_COLUMN_SCHEMAS.policy.parse(stored);
    expect(read.window).toEqual(effective.window);
  });

  test("refuses a stored window that does not fit (an unknown zone, an empty list)", () => {
    const effective = effectivePolicy(floorOf({ window: OFFICE }), undefined);
    const badZone = { ...effective, window: [{ ...effective.window?.[0], timeZone: "Nowhere" }] };
    expect(JSON_COLUMN_SCHEMAS.policy.safeParse(badZone).success).toBe(false);
    expect(JSON_COLUMN_SCHEMAS.policy.safeParse({ ...effective, window: [] }).success).toBe(false);
  });
});
