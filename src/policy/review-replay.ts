/**
 * Replays a request PR's reviews into one final verdict per user (DESIGN §1.3), in the
 * order GitHub received them. The evaluator (evaluate.ts) decides what each verdict is
 * worth; this module only decides which review is a user's last word.
 */
import type { ReviewInput } from "./evaluate.js";

export type Verdict = { kind: "approved" | "changes"; review: ReviewInput } | { kind: "dismissed" };

/** A reviewer and their last word, with the review's login and bot flag folded in. */
export interface FinalVerdict {
  /** Display case of the user's latest review. */
  login: string;
  lower: string;
  /** True when any of the user's reviews said so: one flagged review is enough. */
  isBot: boolean;
  verdict: Verdict;
  /** Position of the verdict in replay order, so outputs follow the review timeline. */
  order: number;
}

interface Person extends Omit<FinalVerdict, "verdict"> {
  verdict: Verdict | null;
}

function reviewTime(review: ReviewInput): number {
  const parsed = Date.parse(review.submittedAt);
  return Number.isNaN(parsed) ? Number.POSITIVE_INFINITY : parsed;
}

function chronological(reviews: readonly ReviewInput[]): ReviewInput[] {
  return [...reviews].sort((a, b) => {
    const byTime = reviewTime(a) - reviewTime(b);
    // Infinity - Infinity is NaN: two unreadable timestamps fall back to id order.
    if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
    return a.id - b.id;
  });
}

/**
 * The final verdict of every user who has one, in the order of those verdicts. Replayed in
 * (submittedAt, id) order: APPROVED and CHANGES_REQUESTED set the verdict, COMMENTED leaves
 * it alone, DISMISSED clears it, PENDING is skipped.
 */
export function finalVerdicts(reviews: readonly ReviewInput[]): FinalVerdict[] {
  const people = new Map<string, Person>();
  let order = 0;
  for (const review of chronological(reviews)) {
    if (review.state === "PENDING") continue;
    const lower = review.login.toLowerCase();
    let person = people.get(lower);
    if (person === undefined) {
      person = { login: review.login, lower, isBot: false, verdict: null, order };
      people.set(lower, person);
    }
    // Keep the display case of the user's latest review, and remember any bot flag.
    person.login = review.login;
    person.isBot ||= review.isBot;
    switch (review.state) {
      case "APPROVED":
        person.verdict = { kind: "approved", review };
        break;
      case "CHANGES_REQUESTED":
        person.verdict = { kind: "changes", review };
        break;
      case "DISMISSED":
        // GitHub rewrites a dismissed approval or changes-requested to state DISMISSED (no
        // separate event), so this review is itself the withdrawn verdict: clear it.
        person.verdict = { kind: "dismissed" };
        break;
      case "COMMENTED":
        // A comment neither approves nor withdraws an approval.
        continue;
    }
    person.order = order;
    order += 1;
  }
  return [...people.values()]
    .filter((person): person is FinalVerdict => person.verdict !== null)
    .sort((a, b) => a.order - b.order);
}
