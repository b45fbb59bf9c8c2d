/**
 * What a resource's chat channel is told about a request (issue 17 item 5), as the JSON body of
 * a Slack-compatible incoming webhook (pure). Only the facts a channel needs to decide whether
 * to look: the request's number, resource, repository, requester, status and a link to its
 * pull request. Never the command: it may hold credentials or personal data, and the channel's
 * readers are not necessarily the repository's.
 *
 * Everything a person typed (logins, the reason) is made inert before it is sent: Slack reads
 * `<!channel>`, `<@U…>` and `<url|text>` only from a literal `<`, so `&`, `<` and `>` become
 * entities; servers that read plain `@channel` or autolink URLs (Mattermost, say) meet the
 * references broken by an invisible word joiner (render/escape.ts), and each value sits in a
 * code span, inside which neither Slack nor Mattermost links or formats anything.
 */
import { z } from "zod";
import { ELLIPSIS, neutralizeReferences, sanitizeText } from "../render/escape.js";

/** An outcome a request can end with, once it is known. */
export const NOTIFIED_OUTCOMES = [
  "succeeded",
  "failed",
  "unknown",
  "cancelled",
  "rejected",
  "expired",
] as const;

const common = {
  requestId: z.number().int().positive(),
  resource: z.string(),
  /** `owner/name`. */
  repo: z.string(),
  requester: z.string(),
  prUrl: z.string(),
};

/** What happened to a request, as the `notify` job carries it (store/job-kinds.ts). */
export const notificationEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("opened"), ...common, reason: z.string().nullable().optional() }),
  z.object({ kind: z.literal("approved"), ...common, approvers: z.array(z.string()) }),
  z.object({ kind: z.literal("outcome"), ...common, status: z.enum(NOTIFIED_OUTCOMES) }),
  z.object({ kind: z.literal("break_glass"), ...common, reason: z.string().nullable() }),
]);
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

/** The JSON body of the incoming webhook: `text` for every client, one mrkdwn section. */
export interface WebhookMessage {
  text: string;
  blocks: [{ type: "section"; text: { type: "mrkdwn"; text: string } }];
}

/** Slack's limit for a section's text; `text` stays within it too. */
export const MAX_MESSAGE_CHARS = 3_000;

/**
 * Escaped lengths each value may take. Together with the fixed words they stay well under
 * MAX_MESSAGE_CHARS whatever the values are: 100 + 200 + 80 + 5 × (80 + 2) + 600 + 500 for the
 * link, and under 300 for the words and the "and N more".
 */
const BUDGET = { resource: 100, repo: 200, login: 80, reason: 600, url: 500 } as const;
/** Approvers named one by one; the rest are counted. */
const MAX_APPROVERS_NAMED = 5;

/** What each character of a value becomes in mrkdwn. */
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  // A backtick would close the code span; U+02CB looks the same and closes nothing.
  "`": "\u02CB",
};

/**
 * `text` as an inert mrkdwn code span of at most `budget` characters inside the backticks:
 * one line, controls made visible, references broken, `&<>` escaped. Cut between characters
 * (never inside an entity or a surrogate pair), with an ellipsis where it was cut.
 */
export function inertCode(text: string, budget: number): string {
  const clean = neutralizeReferences(sanitizeText(text).replace(/\s+/g, " ").trim());
  const escaped = [...clean].map((char) => ENTITIES[char] ?? char);
  let out = escaped.join("");
  if (out.length > budget) {
    out = "";
    for (const piece of escaped) {
      if (out.length + piece.length > budget - ELLIPSIS.length) break;
      out += piece;
    }
    out += ELLIPSIS;
  }
  return `\`${out === "" ? " " : out}\``;
}

const NO_LINK = "(no link to the pull request)";

/**
 * `<url|label>` for an http(s) URL that is short and can be written inside a Slack link;
 * a note that there is no link otherwise (the URL comes from GitHub, but it is checked anyway,
 * so a malformed one cannot open or close a link of its own).
 */
export function prLink(url: string, label: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return NO_LINK;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return NO_LINK;
  const href = parsed.href
    .replace(/&/g, "&amp;")
    .replace(/</g, "%3C")
    .replace(/>/g, "%3E")
    .replace(/\|/g, "%7C");
  // Printable ASCII only: nothing that could end the link or show one thing and mean another.
  if (href.length > BUDGET.url || /[^\x21-\x7E]/.test(href)) return NO_LINK;
  return `<${href}|${label}>`;
}

const OUTCOME_WORDS: Record<(typeof NOTIFIED_OUTCOMES)[number], string> = {
  succeeded: "succeeded",
  failed: "failed",
  unknown: "has an unknown outcome: it may or may not have run, and will not be run again",
  cancelled: "was cancelled",
  rejected: "was rejected",
  expired: "expired",
};

function approversText(approvers: string[]): string {
  if (approvers.length === 0) return "was approved (no review was needed)";
  const named = approvers
    .slice(0, MAX_APPROVERS_NAMED)
    .map((login) => inertCode(login, BUDGET.login));
  const more = approvers.length - named.length;
  return `was approved by ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function reasonText(reason: string | null | undefined): string {
  return reason === null || reason === undefined || reason.trim() === ""
    ? ""
    : ` Reason: ${inertCode(reason, BUDGET.reason)}.`;
}

/** "Request 12 for `prod-db` in `acme/ops` from `alice`", with `lead` for "Request". */
function requestLine(event: NotificationEvent, lead: string): string {
  const resource = inertCode(event.resource, BUDGET.resource);
  const repo = inertCode(event.repo, BUDGET.repo);
  const requester = inertCode(event.requester, BUDGET.login);
  return `${lead} ${event.requestId} for ${resource} in ${repo} from ${requester}`;
}

/** The sentence about the event, without the link. */
function sentence(event: NotificationEvent): string {
  switch (event.kind) {
    case "opened":
      return `${requestLine(event, "New request")}.${reasonText(event.reason)}`;
    case "approved":
      return `${requestLine(event, "Request")} ${approversText(event.approvers)}.`;
    case "outcome":
      return `${requestLine(event, "Request")} ${OUTCOME_WORDS[event.status]}.`;
    case "break_glass":
      return `🚨 ${requestLine(event, "Break-glass request")}: it needs only the break-glass group's approval.${reasonText(event.reason)}`;
  }
}

/** The webhook body announcing `event`; never longer than MAX_MESSAGE_CHARS. */
export function notificationMessage(event: NotificationEvent): WebhookMessage {
  const text = `${sentence(event)} ${prLink(event.prUrl, "Open the pull request")}`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}
