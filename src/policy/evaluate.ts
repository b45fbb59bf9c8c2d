/**
 * The approval evaluator (DESIGN §1.3): a pure function of the rule, the request PR's
 * reviews, team memberships, the requester, the pushers and the head sha. No I/O: the caller
 * fetches reviews and team members; the worker calls this again just before executing.
 *
 * Choices where the design is silent (also covered by test/policy/evaluate.test.ts):
 * - Reviews are replayed in (submittedAt, id) order per user: APPROVED and CHANGES_REQUESTED
 *   set the user's verdict, COMMENTED leaves it alone, DISMISSED clears it (including any
 *   earlier verdict of that user: fail closed), PENDING is skipped. GitHub shows a
 *   dismissed review with state DISMISSED at its original time, so a later approval by the
 *   same user still counts.
 * - Only the final verdict of a user matters. An approval whose final verdict sits on an
 *   older head is stale, even if the same user approved the current head before (a later
 *   review always supersedes an earlier one; failing closed).
 * - A CHANGES_REQUESTED on an OLD head still rejects: a push does not answer a "no", and
 *   GitHub itself keeps such a review blocking until it is dismissed or replaced.
 * - Who is ignored is decided in this order: requester, pusher, bot, not in any group.
 *   Those never count (neither their approvals nor their changes-requested) and are never
 *   reported as stale; only people whose fresh approval would count are listed as stale.
 * - A team absent from `teamMembers` has no members (fail closed) and unknown size.
 */
import type { ApprovalGroup, ApprovalRule } from "./config.js";
import { assignToGroups } from "./matching.js";
import { finalVerdicts } from "./review-replay.js";

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

export interface ReviewInput {
  id: number;
  login: string;
  isBot: boolean;
  state: ReviewState;
  commitId: string;
  /** ISO 8601 timestamp. */
  submittedAt: string;
  body?: string;
}

export interface EvaluationInput {
  rule: ApprovalRule;
  /** Any order; replayed by submittedAt, then id. */
  reviews: ReviewInput[];
  headSha: string;
  requester: string;
  /** Everyone who pushed commits to the request branch, excluding the app itself. */
  pushers: string[];
  /** Org of the repository: `team: dba` means `${defaultOrg}/dba`. */
  defaultOrg: string;
  /**
   * ISO 8601: an approval submitted before this instant never counts. Set for a person's
   * pull request taken in as a request (GitOps): approvals given before it was one approved
   * what it was then, perhaps against another base where the diff showed something else.
   */
  approvalsFrom?: string;
  /** Key: teamKey(...) (`org/slug`, lowercased); values: lowercased logins of active members. */
  teamMembers: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface GroupProgress {
  key: string;
  min: number;
  /** Logins (display case) counted towards this group; never more than `min`. */
  approvers: string[];
  satisfied: boolean;
  missing: number;
  /**
   * How many members could ever count here (members minus requester, pushers and bots), or
   * null when unknown (team not in teamMembers). Lets the summary say "needs 3, team has 2
   * eligible" instead of leaving people waiting for an impossible approval.
   */
  eligible: number | null;
}

export interface Rejection {
  login: string;
  body: string;
  /** Keys of the groups this reviewer belongs to. */
  groups: string[];
  /** False when the changes-requested review was on an earlier head (it still rejects). */
  onCurrentHead: boolean;
}

export interface Evaluation {
  status: "approved" | "rejected" | "pending";
  mode: ApprovalRule["mode"];
  groups: GroupProgress[];
  rejections: Rejection[];
  /** Eligible members whose approval was given on an earlier head. */
  stale: string[];
  ignored: { login: string; reason: string }[];
  /**
   * The assignment used. For all_of each login appears at most once (the matching); for
   * any_of a login appears under every group it counted in.
   */
  approvers: { login: string; group: string }[];
  /**
   * Eligible current-head approvers who were not needed: every group they belong to was
   * already full (all_of: one person fills at most one group).
   */
  surplus: { login: string; groups: string[] }[];
}

/** The teamMembers key of a team group (`org/slug`, lowercased); null for a user-list group. */
export function teamKey(group: ApprovalGroup, defaultOrg: string): string | null {
  if (group.team === undefined) return null;
  return `${group.team.org ?? defaultOrg}/${group.team.slug}`.toLowerCase();
}

/**
 * Whether an account is a bot, the one test for every caller. GitHub Apps log in as
 * `name[bot]` (matched in any case); `isBot` carries what the caller knows beyond the login,
 * such as GitHub's `user.type === "Bot"`.
 */
export function isBotLogin(login: string, isBot = false): boolean {
  return isBot || login.toLowerCase().endsWith("[bot]");
}

/** Who belongs to a group; `all` is null when the team's members are unknown. */
interface Members {
  has: (lower: string) => boolean;
  all: ReadonlySet<string> | null;
}

function groupMembers(group: ApprovalGroup, input: EvaluationInput): Members {
  const key = teamKey(group, input.defaultOrg);
  if (key === null) {
    const users = new Set((group.users ?? []).map((user) => user.toLowerCase()));
    return { has: (lower) => users.has(lower), all: users };
  }
  const members = input.teamMembers.get(key);
  if (members === undefined) return { has: () => false, all: null };
  // The caller promises lowercased logins; lowering again costs nothing and fails safe.
  const lowered = new Set([...members].map((member) => member.toLowerCase()));
  return { has: (lower) => lowered.has(lower), all: lowered };
}

/**
 * A rule of alternatives (a server floor and a repository rule together): each alternative
 * is judged as an all_of with four-eyes matching; the request is approved when one holds.
 * Rejections, stale and ignored reviews are read over every group, so a "no" from anyone
 * eligible anywhere in the rule still rejects. The progress shown is the alternative that
 * is approved, or else the one closest to it.
 */
function evaluateAlternatives(
  input: EvaluationInput,
  rule: Extract<ApprovalRule, { mode: "any_of_all" }>,
): Evaluation {
  const overall = evaluateApprovals({ ...input, rule: { mode: "any_of", groups: rule.groups } });
  const candidates = rule.alternatives.map((indices) =>
    evaluateApprovals({
      ...input,
      rule: {
        mode: "all_of",
        groups: indices.flatMap((index) => {
          const group = rule.groups[index];
          return group === undefined ? [] : [group];
        }),
      },
    }),
  );
  const missing = (evaluation: Evaluation) =>
    evaluation.groups.reduce((sum, group) => sum + group.missing, 0);
  const best =
    candidates.find((candidate) => candidate.status !== "pending") ??
    [...candidates].sort((a, b) => missing(a) - missing(b))[0];
  if (best === undefined) return overall;
  const status =
    overall.rejections.length > 0
      ? "rejected"
      : best.status === "approved"
        ? "approved"
        : "pending";
  return {
    ...best,
    status,
    rejections: overall.rejections,
    stale: overall.stale,
    ignored: overall.ignored,
  };
}

type GroupRule = Extract<ApprovalRule, { mode: "all_of" | "any_of" }>;

/** Why a person's review can never count here, or null when it can. */
type Ineligibility = (lower: string, isBot: boolean) => string | null;

/** An eligible approver of the current head and the indices of the groups they belong to. */
interface CurrentApprover {
  login: string;
  groups: number[];
}

/** Every final verdict, sorted by what it does to the request. */
interface SortedVerdicts {
  rejections: Rejection[];
  stale: string[];
  ignored: { login: string; reason: string }[];
  current: CurrentApprover[];
}

function noApprovalRequired(): Evaluation {
  return {
    status: "approved",
    mode: "none",
    groups: [],
    rejections: [],
    stale: [],
    ignored: [],
    approvers: [],
    surplus: [],
  };
}

/** The requester, the pushers and bots never count, in that order of explanation. */
function ineligibility(input: EvaluationInput): Ineligibility {
  const requester = input.requester.toLowerCase();
  const pushers = new Set(input.pushers.map((pusher) => pusher.toLowerCase()));
  return (lower, isBot) => {
    if (lower === requester) return "is the requester";
    if (pushers.has(lower)) return "pushed commits to the request branch";
    if (isBotLogin(lower, isBot)) return "is a bot";
    return null;
  };
}

/** Whether an approval predates `approvalsFrom`; an unreadable time fails closed (it does). */
function approvedTooEarly(review: ReviewInput, approvalsFrom: string | undefined): boolean {
  if (approvalsFrom === undefined) return false;
  return !(Date.parse(review.submittedAt) >= Date.parse(approvalsFrom));
}

/**
 * Sorts each final verdict into a rejection, a stale approval, a current approval or an
 * ignored review. A dismissal is reported before eligibility: it is the last word either way.
 */
function sortVerdicts(
  input: EvaluationInput,
  rule: GroupRule,
  members: readonly Members[],
  ineligible: Ineligibility,
): SortedVerdicts {
  const sorted: SortedVerdicts = { rejections: [], stale: [], ignored: [], current: [] };
  for (const person of finalVerdicts(input.reviews)) {
    const { verdict } = person;
    if (verdict.kind === "dismissed") {
      sorted.ignored.push({ login: person.login, reason: "had their review dismissed" });
      continue;
    }
    const what = verdict.kind === "approved" ? "approved" : "requested changes";
    const reason = ineligible(person.lower, person.isBot);
    if (reason !== null) {
      sorted.ignored.push({ login: person.login, reason: `${what}, but ${reason}` });
      continue;
    }
    const groups = members.flatMap((group, index) => (group.has(person.lower) ? [index] : []));
    if (groups.length === 0) {
      sorted.ignored.push({
        login: person.login,
        reason: `${what}, but is not in any group of this rule`,
      });
      continue;
    }
    if (verdict.kind === "approved" && approvedTooEarly(verdict.review, input.approvalsFrom)) {
      sorted.ignored.push({
        login: person.login,
        reason: "approved before this pull request became a request, so must approve again",
      });
      continue;
    }
    const onCurrentHead = verdict.review.commitId === input.headSha;
    if (verdict.kind === "changes") {
      sorted.rejections.push({
        login: person.login,
        body: verdict.review.body ?? "",
        groups: groups.map((index) => rule.groups[index]?.key ?? ""),
        onCurrentHead,
      });
    } else if (!onCurrentHead) {
      sorted.stale.push(person.login);
    } else {
      sorted.current.push({ login: person.login, groups });
    }
  }
  return sorted;
}

/** counted[g]: logins counted towards group g, in review order. */
function countApprovers(rule: GroupRule, current: readonly CurrentApprover[]): string[][] {
  const counted: string[][] = rule.groups.map(() => []);
  if (rule.mode === "all_of") {
    const assignment = assignToGroups(
      current.map((approver) => approver.groups),
      rule.groups.map((group) => group.min),
    );
    // Rebuild in approver order (not slot order) so the lists read chronologically.
    current.forEach((approver, index) => {
      const group = assignment[index];
      if (group !== null && group !== undefined) counted[group]?.push(approver.login);
    });
  } else {
    // any_of: groups are alternatives, so a person counts in every group they belong to.
    for (const approver of current) {
      for (const group of approver.groups) {
        const list = counted[group];
        const min = rule.groups[group]?.min ?? 0;
        if (list !== undefined && list.length < min) list.push(approver.login);
      }
    }
  }
  return counted;
}

function groupProgress(
  rule: GroupRule,
  counted: readonly string[][],
  members: readonly Members[],
  ineligible: Ineligibility,
): GroupProgress[] {
  return rule.groups.map((group, index) => {
    const approvers = counted[index] ?? [];
    const all = members[index]?.all ?? null;
    const eligible =
      all === null ? null : [...all].filter((lower) => ineligible(lower, false) === null).length;
    return {
      key: group.key,
      min: group.min,
      approvers,
      satisfied: approvers.length >= group.min,
      missing: Math.max(0, group.min - approvers.length),
      eligible,
    };
  });
}

/** Current-head approvers the assignment did not use: their groups were already full. */
function surplusApprovers(
  rule: GroupRule,
  current: readonly CurrentApprover[],
  approvers: Evaluation["approvers"],
): Evaluation["surplus"] {
  const used = new Set(approvers.map((approver) => approver.login));
  return current
    .filter((approver) => !used.has(approver.login))
    .map((approver) => ({
      login: approver.login,
      groups: approver.groups.map((index) => rule.groups[index]?.key ?? ""),
    }));
}

/** A "no" from anyone eligible outweighs every approval. */
function decideStatus(
  rule: GroupRule,
  groups: readonly GroupProgress[],
  rejections: readonly Rejection[],
): Evaluation["status"] {
  const met =
    rule.mode === "all_of"
      ? groups.every((group) => group.satisfied)
      : groups.some((group) => group.satisfied);
  return rejections.length > 0 ? "rejected" : met ? "approved" : "pending";
}

/** An all_of or any_of rule: sort the verdicts, fill the groups, decide. */
function evaluateGroups(input: EvaluationInput, rule: GroupRule): Evaluation {
  const members = rule.groups.map((group) => groupMembers(group, input));
  const ineligible = ineligibility(input);
  const { rejections, stale, ignored, current } = sortVerdicts(input, rule, members, ineligible);
  const counted = countApprovers(rule, current);
  const groups = groupProgress(rule, counted, members, ineligible);
  const approvers = groups.flatMap((group) =>
    group.approvers.map((login) => ({ login, group: group.key })),
  );
  const surplus = surplusApprovers(rule, current, approvers);
  const status = decideStatus(rule, groups, rejections);
  return { status, mode: rule.mode, groups, rejections, stale, ignored, approvers, surplus };
}

export function evaluateApprovals(input: EvaluationInput): Evaluation {
  const { rule } = input;
  if (rule.mode === "any_of_all") return evaluateAlternatives(input, rule);
  if (rule.mode === "none") return noApprovalRequired();
  return evaluateGroups(input, rule);
}
