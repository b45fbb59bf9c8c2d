/** `/schedule <time>` as a slash command (issue 17): the verb and its argument, nothing more. */
import { parseComment } from "../../src/commands/parse.js";

test("/schedule takes the rest of its line as the time, checked later against the clock", () => {
  expect(parseComment("/schedule 2026-12-07T09:00+01:00")).toEqual({
    kind: "schedule",
    time: "2026-12-07T09:00+01:00",
  });
  expect(parseComment("Let's wait.\n/SCHEDULE   2026-12-07T08:00Z  \nthanks")).toEqual({
    kind: "schedule",
    time: "2026-12-07T08:00Z",
  });
  expect(parseComment("/schedule")).toEqual({ kind: "schedule", time: "" });
});

test("an overlong argument is cut (it is never a time, and never echoed back)", () => {
  const parsed = parseComment(`/schedule ${"9".repeat(500)}`);
  expect(parsed).toEqual({ kind: "schedule", time: "9".repeat(64) });
});

test("in code, quotes or HTML comments it is an example, not a command", () => {
  expect(parseComment("```\n/schedule 2026-12-07T09:00Z\n```")).toEqual({ kind: "none" });
  expect(parseComment("> /schedule 2026-12-07T09:00Z")).toEqual({ kind: "none" });
  expect(parseComment("<!-- /schedule 2026-12-07T09:00Z -->")).toEqual({ kind: "none" });
  expect(parseComment("/scheduled 2026-12-07T09:00Z")).toEqual({ kind: "none" });
});
