/**
 * What an approved command that waits shows on its PR (issue 17): derived from the request,
 * so every publication says when it runs, and nothing changes for a request that does not wait.
 */
import { withExecutionWait, type WaitFacts } from "../../src/render/execution-wait.js";
import { resourcePolicy } from "../helpers/seed.js";

const VIEW = {
  headline: "Approved: queued for execution",
  progress: "dba 1/1 ✓ (bob)",
  reasons: [],
};
const OFFICE = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }] },
  window: {
    days: ["mon", "tue", "wed", "thu", "fri"],
    hours: "09:00-17:00",
    time_zone: "Europe/Berlin",
  },
});

function facts(overrides: Partial<WaitFacts>): WaitFacts {
  return {
    status: "approved",
    kind: "command",
    notBefore: new Date("2026-12-07T08:00:00Z"),
    scheduledBy: null,
    policy: OFFICE,
    expiresAt: new Date("2026-12-20T00:00:00Z"),
    ...overrides,
  };
}

test("waiting for the window: the headline says which window and when it runs", () => {
  expect(withExecutionWait(VIEW, facts({}))).toEqual({
    headline:
      "Approved — waits for the execution window (Mon–Fri 09:00–17:00 Europe/Berlin); runs at Mon 2026-12-07 09:00 Europe/Berlin (2026-12-07 08:00 UTC)",
    progress: "dba 1/1 ✓ (bob)",
    reasons: [],
  });
});

test("an approval that expires before the opening says so", () => {
  const view = withExecutionWait(VIEW, facts({ expiresAt: new Date("2026-12-06T00:00:00Z") }));
  expect(view.reasons[0]).toMatch(/^Its approval expires Sun 2026-12-06 01:00 Europe\/Berlin/);
});

test("nothing changes without a not_before, for a grant, or once the request left approved", () => {
  expect(withExecutionWait(VIEW, facts({ notBefore: null }))).toBe(VIEW);
  expect(withExecutionWait(VIEW, facts({ kind: "grant" }))).toBe(VIEW);
  expect(withExecutionWait(VIEW, facts({ status: "succeeded" }))).toBe(VIEW);
  expect(withExecutionWait(VIEW, facts({ status: "cancelled", expiresAt: null }))).toBe(VIEW);
});

test("a break-glass command ignores the window: only a schedule shows", () => {
  const policy = { ...OFFICE, breakGlass: { normal: OFFICE.approvals } };
  expect(withExecutionWait(VIEW, facts({ policy, scheduledBy: "ivan" })).headline).toBe(
    "Approved — scheduled by ivan; runs at Mon 2026-12-07 08:00 UTC",
  );
});
