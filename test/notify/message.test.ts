/**
 * The chat message of each event (issue 17 item 5): exact text, no command, and inert whatever
 * a person typed: no `<!channel>`, `<@U…>` or link can be injected through a login or a reason,
 * and the message stays within Slack's 3,000 characters however long the values are.
 */
import {
  MAX_MESSAGE_CHARS,
  notificationEventSchema,
  notificationMessage,
  NOTIFIED_OUTCOMES,
  type NotificationEvent,
} from "../../src/notify/message.js";

const WJ = "\u2060";
const PR = "https://github.com/acme/ops/pull/13";
const LINK = `<${PR}|Open the pull request>`;
const base = {
  requestId: 12,
  resource: "prod-db",
  repo: "acme/ops",
  requester: "alice",
  prUrl: PR,
};
const about = "request 12 for `prod-db` in `acme/ops` from `alice`";
const About = "Request 12 for `prod-db` in `acme/ops` from `alice`";

test.each<[string, NotificationEvent, string]>([
  [
    "opened, with a reason",
    { kind: "opened", ...base, reason: "INC-4711" },
    `New ${about}. Reason: \`INC-4711\`. ${LINK}`,
  ],
  ["opened, without a reason", { kind: "opened", ...base, reason: null }, `New ${about}. ${LINK}`],
  [
    "approved by two people",
    { kind: "approved", ...base, approvers: ["bob", "carol"] },
    `${About} was approved by \`bob\`, \`carol\`. ${LINK}`,
  ],
  [
    "approved without a review",
    { kind: "approved", ...base, approvers: [] },
    `${About} was approved (no review was needed). ${LINK}`,
  ],
  [
    "approved by many: five named, the rest counted",
    { kind: "approved", ...base, approvers: ["a", "b", "c", "d", "e", "f", "g"] },
    `${About} was approved by \`a\`, \`b\`, \`c\`, \`d\`, \`e\` and 2 more. ${LINK}`,
  ],
  [
    "break-glass",
    { kind: "break_glass", ...base, reason: "INC-123" },
    `🚨 Break-glass ${about}: it needs only the break-glass group's approval. Reason: \`INC-123\`. ${LINK}`,
  ],
])("%s", (_, event, text) => {
  expect(notificationMessage(event)).toEqual({
    text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
  });
});

test.each<[(typeof NOTIFIED_OUTCOMES)[number], string]>([
  ["succeeded", "succeeded"],
  ["failed", "failed"],
  ["unknown", "has an unknown outcome: it may or may not have run, and will not be run again"],
  ["cancelled", "was cancelled"],
  ["rejected", "was rejected"],
  ["expired", "expired"],
])("outcome %s", (status, words) => {
  expect(notificationMessage({ kind: "outcome", ...base, status }).text).toBe(
    `${About} ${words}. ${LINK}`,
  );
});

test("an outcome event needs its status; an approval its approvers (the job's schema)", () => {
  expect(notificationEventSchema.safeParse({ kind: "outcome", ...base }).success).toBe(false);
  expect(notificationEventSchema.safeParse({ kind: "approved", ...base }).success).toBe(false);
  expect(
    notificationEventSchema.safeParse({ kind: "outcome", ...base, status: "running" }).success,
  ).toBe(false);
});

describe("what people typed stays inert", () => {
  const hostile =
    "<!channel> <!here|here> <@U012AB3CD> <#C024BE7LR> <https://evil.example|click me> " +
    "@channel @here `code` a & b\nsecond line\u202Eevil";

  test("a hostile reason: every < and > escaped, mentions and URLs broken, in one code span", () => {
    const { text } = notificationMessage({ kind: "opened", ...base, reason: hostile });
    expect(text).toBe(
      `New ${about}. Reason: \`&lt;!channel&gt; &lt;!here|here&gt; &lt;@${WJ}U012AB3CD&gt; ` +
        `&lt;#C024BE7LR&gt; &lt;https:${WJ}//evil.example|click me&gt; @${WJ}channel ` +
        `@${WJ}here ˋcodeˋ a &amp; b second line⟨U+202E⟩evil\`. ${LINK}`,
    );
    // The only `<` left opens the link to the pull request.
    expect(text.split("<")).toHaveLength(2);
    expect(text.split(">")).toHaveLength(2);
  });

  test("hostile logins, as requester and approvers, are escaped the same way", () => {
    const { text } = notificationMessage({
      kind: "approved",
      ...base,
      requester: "<!channel>",
      approvers: ["<@U1>", "x`y", "a&b"],
    });
    expect(text).toBe(
      "Request 12 for `prod-db` in `acme/ops` from `&lt;!channel&gt;` was approved by " +
        `\`&lt;@${WJ}U1&gt;\`, \`xˋy\`, \`a&amp;b\`. ${LINK}`,
    );
  });

  test("a pull-request URL that could break out of its link is not linked", () => {
    for (const prUrl of ["javascript:alert(1)", "not a url", `https://h/${"x".repeat(600)}`]) {
      const { text } = notificationMessage({ kind: "outcome", ...base, prUrl, status: "failed" });
      expect(text).toBe(`${About} failed. (no link to the pull request)`);
    }
    const { text } = notificationMessage({
      kind: "outcome",
      ...base,
      prUrl: "https://h/a|b?x=<1>&y=2",
      status: "failed",
    });
    expect(text).toBe(`${About} failed. <https://h/a%7Cb?x=%3C1%3E&amp;y=2|Open the pull request>`);
  });
});

test("the message stays within Slack's limit however long every value is", () => {
  const long = "&<>@`".repeat(20_000);
  const events: NotificationEvent[] = [
    { kind: "opened", ...base, requester: long, resource: long, repo: long, reason: long },
    { kind: "approved", ...base, requester: long, approvers: Array(5_000).fill(long) },
    { kind: "break_glass", ...base, requester: long, reason: long, prUrl: `${PR}?${long}` },
  ];
  for (const event of events) {
    const { text } = notificationMessage(event);
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    // Cut between entities, never inside one, and marked where it was cut.
    expect(text).toContain("&amp;&lt;&gt;@");
    expect(text).toMatch(/…`/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
});

test("the command is never part of the event, so never part of the message", () => {
  const parsed = notificationEventSchema.parse({
    kind: "opened",
    ...base,
    reason: null,
    command: "UPDATE users SET password = 'hunter2'",
  });
  expect(JSON.stringify(notificationMessage(parsed))).not.toContain("hunter2");
});
