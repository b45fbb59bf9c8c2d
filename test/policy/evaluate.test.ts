import type { ApprovalGroup, ApprovalRule } from "../../src/policy/config.js";
import {
  evaluateApprovals,
  teamKey,
  type Evaluation,
  type EvaluationInput,
  type ReviewInput,
} from "../../src/policy/evaluate.js";
import { explainEvaluation, formatProgress } from "../../src/policy/progress.js";

const HEAD = "head000000000000000000000000000000000000";
const OLD = "old0000000000000000000000000000000000000";

function team(ref: string, min = 1): ApprovalGroup {
  const [first, second] = ref.split("/");
  const slug = second ?? (first as string);
  return { key: ref, team: second === undefined ? { slug } : { org: first, slug }, min };
}

function users(list: string[], min = 1): ApprovalGroup {
  return { key: `users:${list.join(",")}`, users: list, min };
}

const allOf = (...groups: ApprovalGroup[]): ApprovalRule => ({ mode: "all_of", groups });
const anyOf = (...groups: ApprovalGroup[]): ApprovalRule => ({ mode: "any_of", groups });
const NONE: ApprovalRule = { mode: "none" };

// Reviews get increasing ids and timestamps in the order the table writes them, unless a
// case overrides `at` / `id` to test ordering.
let sequence = 0;
function rv(
  login: string,
  state: ReviewInput["state"],
  options: { old?: boolean; at?: number; id?: number; isBot?: boolean; body?: string } = {},
): ReviewInput {
  sequence += 1;
  const minute = options.at ?? sequence;
  return {
    id: options.id ?? sequence,
    login,
    isBot: options.isBot ?? false,
    state,
    commitId: options.old === true ? OLD : HEAD,
    submittedAt: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(),
    body: options.body,
  };
}

// rita is the requester and paul pushed a fix; both are also dba members, which must not help.
const TEAMS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["acme/dba", new Set(["alice", "bob", "dana", "rita", "paul"])],
  ["acme/security", new Set(["alice", "carol", "sam", "renovate[bot]"])],
  ["acme/sre", new Set(["erin", "frank", "bob"])],
  ["acme/tiny", new Set(["tina"])],
  ["acme/alpha", new Set(["xena", "yuri", "zack"])],
  ["acme/beta", new Set(["xena", "yuri"])],
  ["acme/gamma", new Set(["xena"])],
  ["other/dba", new Set(["oscar"])],
]);

interface Case {
  name: string;
  rule: ApprovalRule;
  reviews: ReviewInput[];
  requester?: string;
  pushers?: string[];
  status: Evaluation["status"];
  /** Expected approvers per group key, in order. */
  groups?: Record<string, string[]>;
  stale?: string[];
  /** Expected ignored logins, each with a fragment of the reason. */
  ignored?: [string, string][];
  rejections?: string[];
  surplus?: string[];
  eligible?: Record<string, number | null>;
}

const DUAL = allOf(team("dba"), team("security"));

/** DUAL on rita's request, with nobody else pushing; `extra` overrides any of it. */
function evaluateDual(reviews: ReviewInput[], extra: Partial<EvaluationInput> = {}): Evaluation {
  return evaluateApprovals({
    rule: DUAL,
    reviews,
    headSha: HEAD,
    requester: "rita",
    pushers: [],
    defaultOrg: "acme",
    teamMembers: TEAMS,
    ...extra,
  });
}

const cases: Case[] = [
  // --- mode none
  {
    name: "none: approved with no reviews",
    rule: NONE,
    reviews: [],
    status: "approved",
    groups: {},
  },
  {
    name: "none: approved even if someone requests changes",
    rule: NONE,
    reviews: [rv("dana", "CHANGES_REQUESTED")],
    status: "approved",
    rejections: [],
  },
  // --- all_of basics and four eyes
  {
    name: "all_of: no reviews is pending",
    rule: DUAL,
    reviews: [],
    status: "pending",
    groups: { dba: [], security: [] },
  },
  {
    name: "all_of: one group approved is pending",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED")],
    status: "pending",
    groups: { dba: ["bob"], security: [] },
  },
  {
    name: "all_of: one approver per team approves",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("carol", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob"], security: ["carol"] },
  },
  {
    name: "all_of: dual member first, then a dba-only member: dual member moved to security",
    rule: DUAL,
    reviews: [rv("alice", "APPROVED"), rv("bob", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob"], security: ["alice"] },
  },
  {
    name: "all_of: dba-only member first, then the dual member",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("alice", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob"], security: ["alice"] },
  },
  {
    name: "all_of: dual member plus a security-only member",
    rule: DUAL,
    reviews: [rv("alice", "APPROVED"), rv("carol", "APPROVED")],
    status: "approved",
    groups: { dba: ["alice"], security: ["carol"] },
  },
  {
    name: "all_of: the same person in both teams alone is not enough",
    rule: DUAL,
    reviews: [rv("alice", "APPROVED")],
    status: "pending",
    groups: { dba: ["alice"], security: [] },
  },
  {
    name: "all_of: extra approver in a full group is surplus, not double-counted",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("dana", "APPROVED")],
    status: "pending",
    groups: { dba: ["bob"], security: [] },
    surplus: ["dana"],
  },
  {
    name: "all_of: min 2 in dba with the dual member and two dba members",
    rule: allOf(team("dba", 2), team("security")),
    reviews: [rv("alice", "APPROVED"), rv("bob", "APPROVED"), rv("carol", "APPROVED")],
    status: "approved",
    groups: { dba: ["alice", "bob"], security: ["carol"] },
  },
  {
    name: "all_of: min 2 in dba, dual member needed in security",
    rule: allOf(team("dba", 2), team("security")),
    reviews: [rv("alice", "APPROVED"), rv("bob", "APPROVED"), rv("dana", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob", "dana"], security: ["alice"] },
  },
  {
    name: "all_of: min 2 in dba with only the dual member and one other is pending",
    rule: allOf(team("dba", 2), team("security")),
    reviews: [rv("alice", "APPROVED"), rv("bob", "APPROVED")],
    status: "pending",
  },
  {
    name: "all_of: greedy fails but matching succeeds (3 groups, overlapping members)",
    rule: allOf(team("alpha"), team("beta"), team("gamma")),
    reviews: [rv("xena", "APPROVED"), rv("yuri", "APPROVED"), rv("zack", "APPROVED")],
    status: "approved",
    groups: { alpha: ["zack"], beta: ["yuri"], gamma: ["xena"] },
  },
  {
    name: "all_of: 3 groups, two approvers cannot cover three groups",
    rule: allOf(team("alpha"), team("beta"), team("gamma")),
    reviews: [rv("xena", "APPROVED"), rv("yuri", "APPROVED")],
    status: "pending",
  },
  // --- dismissal
  {
    name: "approved then dismissed (GitHub rewrites the review to DISMISSED)",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "DISMISSED")],
    status: "pending",
    ignored: [["bob", "dismissed"]],
  },
  {
    name: "approve, then a later review dismissed: the earlier approval is withdrawn too",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED"), rv("bob", "DISMISSED")],
    status: "pending",
  },
  {
    name: "dismissed, then approved again: counts",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "DISMISSED"), rv("bob", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob"] },
    ignored: [],
  },
  {
    name: "changes requested then dismissed: no longer rejects",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "DISMISSED"), rv("bob", "APPROVED")],
    status: "approved",
    rejections: [],
  },
  // --- stale heads
  {
    name: "approval on an old head is stale",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED", { old: true })],
    status: "pending",
    stale: ["bob"],
    groups: { dba: [] },
  },
  {
    name: "approval on an old head, re-approved on the current head",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED", { old: true }), rv("bob", "APPROVED")],
    status: "approved",
    stale: [],
  },
  {
    name: "approval on the old head, comment on the new head: still stale",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED", { old: true }), rv("bob", "COMMENTED")],
    status: "pending",
    stale: ["bob"],
  },
  {
    name: "stale approval from a non-member is ignored, not stale",
    rule: allOf(team("dba")),
    reviews: [rv("nina", "APPROVED", { old: true })],
    status: "pending",
    stale: [],
    ignored: [["nina", "not in any group"]],
  },
  {
    name: "stale approval from the requester is ignored, not stale",
    rule: allOf(team("dba")),
    reviews: [rv("rita", "APPROVED", { old: true })],
    status: "pending",
    stale: [],
    ignored: [["rita", "requester"]],
  },
  // --- comments
  {
    name: "comment after an approval keeps the approval",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED"), rv("bob", "COMMENTED")],
    status: "approved",
    groups: { dba: ["bob"] },
  },
  {
    name: "comment after changes requested keeps the rejection",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "CHANGES_REQUESTED"), rv("dana", "COMMENTED"), rv("bob", "APPROVED")],
    status: "rejected",
    rejections: ["dana"],
  },
  {
    name: "comment alone is nothing",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "COMMENTED")],
    status: "pending",
    ignored: [],
  },
  {
    name: "pending (unsubmitted) review is ignored",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "PENDING")],
    status: "pending",
    ignored: [],
    groups: { dba: [] },
  },
  // --- who never counts
  {
    name: "the requester's own approval does not count",
    rule: allOf(team("dba")),
    reviews: [rv("rita", "APPROVED")],
    status: "pending",
    ignored: [["rita", "approved, but is the requester"]],
  },
  {
    name: "the requester is matched case-insensitively",
    rule: allOf(team("dba")),
    reviews: [rv("RiTa", "APPROVED")],
    status: "pending",
    ignored: [["RiTa", "requester"]],
  },
  {
    name: "a pusher's approval does not count",
    rule: allOf(team("dba")),
    reviews: [rv("paul", "APPROVED")],
    status: "pending",
    ignored: [["paul", "pushed commits"]],
  },
  {
    name: "a bot's approval does not count (isBot)",
    rule: allOf(team("security")),
    reviews: [rv("sam", "APPROVED", { isBot: true })],
    status: "pending",
    ignored: [["sam", "is a bot"]],
  },
  {
    name: "a bot's approval does not count ([bot] login, even as a team member)",
    rule: allOf(team("security")),
    reviews: [rv("renovate[bot]", "APPROVED")],
    status: "pending",
    ignored: [["renovate[bot]", "is a bot"]],
  },
  {
    name: "a pusher's changes requested does not reject",
    rule: allOf(team("dba")),
    reviews: [rv("paul", "CHANGES_REQUESTED"), rv("bob", "APPROVED")],
    status: "approved",
    ignored: [["paul", "requested changes, but pushed commits"]],
    rejections: [],
  },
  // --- rejections
  {
    name: "changes requested by a non-member is ignored",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("carol", "APPROVED"), rv("nina", "CHANGES_REQUESTED")],
    status: "approved",
    ignored: [["nina", "requested changes, but is not in any group"]],
    rejections: [],
  },
  {
    name: "changes requested by a member rejects despite full approval",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("carol", "APPROVED"), rv("dana", "CHANGES_REQUESTED")],
    status: "rejected",
    rejections: ["dana"],
  },
  {
    name: "changes requested by a member of the other group rejects",
    rule: DUAL,
    reviews: [rv("bob", "APPROVED"), rv("sam", "CHANGES_REQUESTED")],
    status: "rejected",
    rejections: ["sam"],
  },
  {
    name: "changes requested on an old head still rejects",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "CHANGES_REQUESTED", { old: true }), rv("bob", "APPROVED")],
    status: "rejected",
    rejections: ["dana"],
  },
  {
    name: "approval after changes requested by the same user approves",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "CHANGES_REQUESTED", { old: true }), rv("dana", "APPROVED")],
    status: "approved",
    groups: { dba: ["dana"] },
    rejections: [],
  },
  {
    name: "changes requested after an approval by the same user rejects",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "APPROVED"), rv("bob", "CHANGES_REQUESTED")],
    status: "rejected",
    groups: { dba: [] },
  },
  // --- any_of
  {
    name: "any_of: one dba approval is enough",
    rule: anyOf(team("dba"), team("sre", 2)),
    reviews: [rv("dana", "APPROVED")],
    status: "approved",
    groups: { dba: ["dana"], sre: [] },
  },
  {
    name: "any_of with different mins: one sre approval is not enough",
    rule: anyOf(team("dba"), team("sre", 2)),
    reviews: [rv("erin", "APPROVED")],
    status: "pending",
    groups: { dba: [], sre: ["erin"] },
  },
  {
    name: "any_of with different mins: two sre approvals suffice",
    rule: anyOf(team("dba", 2), team("sre", 2)),
    reviews: [rv("erin", "APPROVED"), rv("frank", "APPROVED")],
    status: "approved",
    groups: { dba: [], sre: ["erin", "frank"] },
  },
  {
    name: "any_of: a person counts in whichever group (both)",
    rule: anyOf(team("dba", 2), team("sre", 2)),
    reviews: [rv("bob", "APPROVED"), rv("erin", "APPROVED")],
    status: "approved",
    groups: { dba: ["bob"], sre: ["bob", "erin"] },
  },
  {
    name: "any_of: changes requested by a member of any group rejects",
    rule: anyOf(team("dba"), team("sre")),
    reviews: [rv("bob", "APPROVED"), rv("frank", "CHANGES_REQUESTED")],
    status: "rejected",
    rejections: ["frank"],
  },
  // --- sizes
  {
    name: "min larger than the team stays pending and reports eligible size",
    rule: allOf(team("tiny", 2)),
    reviews: [rv("tina", "APPROVED")],
    status: "pending",
    groups: { tiny: ["tina"] },
    eligible: { tiny: 1 },
  },
  {
    name: "eligible team size excludes the requester, pushers and bots",
    rule: allOf(team("dba", 4), team("security")),
    reviews: [],
    status: "pending",
    eligible: { dba: 3, security: 3 },
  },
  {
    name: "a team missing from the membership map has no members and unknown size",
    rule: allOf(team("ghosts")),
    reviews: [rv("bob", "APPROVED")],
    status: "pending",
    ignored: [["bob", "not in any group"]],
    eligible: { ghosts: null },
  },
  // --- logins and ordering
  {
    name: "logins compare case-insensitively, display case kept",
    rule: DUAL,
    reviews: [rv("BOB", "APPROVED"), rv("Carol", "APPROVED")],
    status: "approved",
    groups: { dba: ["BOB"], security: ["Carol"] },
  },
  {
    name: "one user under two spellings is one person",
    rule: allOf(team("dba", 2)),
    reviews: [rv("bob", "APPROVED"), rv("Bob", "APPROVED")],
    status: "pending",
    groups: { dba: ["Bob"] },
  },
  {
    name: "reviews out of order: the later approval wins over the earlier changes request",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "APPROVED", { at: 20 }), rv("dana", "CHANGES_REQUESTED", { at: 10 })],
    status: "approved",
  },
  {
    name: "reviews out of order: the later changes request wins",
    rule: allOf(team("dba")),
    reviews: [rv("dana", "CHANGES_REQUESTED", { at: 20 }), rv("dana", "APPROVED", { at: 10 })],
    status: "rejected",
  },
  {
    name: "reviews out of order: a later dismissal wins",
    rule: allOf(team("dba")),
    reviews: [rv("bob", "DISMISSED", { at: 30 }), rv("bob", "APPROVED", { at: 5 })],
    status: "pending",
  },
  {
    name: "same timestamp: the higher id is later",
    rule: allOf(team("dba")),
    reviews: [
      rv("dana", "APPROVED", { at: 40, id: 9001 }),
      rv("dana", "CHANGES_REQUESTED", { at: 40, id: 9000 }),
    ],
    status: "approved",
  },
  // --- user lists and explicit orgs
  {
    name: "user-list group: both listed users approve",
    rule: allOf(users(["ulla", "uwe"], 2)),
    reviews: [rv("ulla", "APPROVED"), rv("uwe", "APPROVED")],
    status: "approved",
    groups: { "users:ulla,uwe": ["ulla", "uwe"] },
    eligible: { "users:ulla,uwe": 2 },
  },
  {
    name: "user-list group: listed case differs from the review",
    rule: allOf(users(["Ulla"])),
    reviews: [rv("ULLA", "APPROVED")],
    status: "approved",
  },
  {
    name: "user-list group: unlisted reviewer is ignored",
    rule: allOf(users(["ulla"])),
    reviews: [rv("bob", "APPROVED")],
    status: "pending",
    ignored: [["bob", "not in any group"]],
  },
  {
    name: "user-list and team in all_of: a listed dba member fills only one",
    rule: allOf(team("dba"), users(["bob", "ulla"])),
    reviews: [rv("bob", "APPROVED"), rv("dana", "APPROVED")],
    status: "approved",
    groups: { dba: ["dana"], "users:bob,ulla": ["bob"] },
  },
  {
    name: "user-list group excluding the requester from eligible",
    rule: allOf(users(["rita", "ulla"], 2)),
    reviews: [rv("ulla", "APPROVED")],
    status: "pending",
    eligible: { "users:rita,ulla": 1 },
  },
  {
    name: "explicit org/slug team: other/dba member counts",
    rule: allOf(team("other/dba")),
    reviews: [rv("oscar", "APPROVED")],
    status: "approved",
    groups: { "other/dba": ["oscar"] },
  },
  {
    name: "explicit org/slug team: a default-org dba member does not count",
    rule: allOf(team("other/dba")),
    reviews: [rv("bob", "APPROVED")],
    status: "pending",
    ignored: [["bob", "not in any group"]],
  },
];

describe("evaluateApprovals", () => {
  test.each(cases)("$name", (c) => {
    const input: EvaluationInput = {
      rule: c.rule,
      reviews: c.reviews,
      headSha: HEAD,
      requester: c.requester ?? "rita",
      pushers: c.pushers ?? ["rita", "Paul"],
      defaultOrg: "Acme",
      teamMembers: TEAMS,
    };
    const result = evaluateApprovals(input);
    expect(result.status).toBe(c.status);
    expect(result.mode).toBe(c.rule.mode);
    if (c.groups !== undefined) {
      expect(Object.fromEntries(result.groups.map((g) => [g.key, g.approvers]))).toEqual(c.groups);
    }
    if (c.stale !== undefined) expect(result.stale).toEqual(c.stale);
    if (c.rejections !== undefined) {
      expect(result.rejections.map((r) => r.login)).toEqual(c.rejections);
    }
    if (c.surplus !== undefined) expect(result.surplus.map((s) => s.login)).toEqual(c.surplus);
    if (c.ignored !== undefined) {
      expect(result.ignored.map((i) => i.login)).toEqual(c.ignored.map(([login]) => login));
      c.ignored.forEach(([, fragment], index) =>
        expect(result.ignored[index]?.reason).toContain(fragment),
      );
    }
    if (c.eligible !== undefined) {
      expect(Object.fromEntries(result.groups.map((g) => [g.key, g.eligible]))).toEqual(c.eligible);
    }
    // Invariants every evaluation must hold.
    for (const group of result.groups) {
      expect(group.approvers.length).toBeLessThanOrEqual(group.min);
      expect(group.satisfied).toBe(group.approvers.length >= group.min);
      expect(group.missing).toBe(group.min - group.approvers.length);
    }
    if (result.mode === "all_of") {
      const logins = result.approvers.map((a) => a.login.toLowerCase());
      expect(new Set(logins).size).toBe(logins.length);
    }
    const counted = new Set(result.approvers.map((a) => a.login.toLowerCase()));
    for (const never of ["rita", "paul", "renovate[bot]"]) expect(counted.has(never)).toBe(false);
  });

  test("at least 40 table cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  test("rejection carries body, groups and whether it is on the current head", () => {
    const result = evaluateDual([
      rv("alice", "CHANGES_REQUESTED", { body: "needs a WHERE", old: true }),
      rv("sam", "CHANGES_REQUESTED"),
    ]);
    expect(result.rejections).toEqual([
      { login: "alice", body: "needs a WHERE", groups: ["dba", "security"], onCurrentHead: false },
      { login: "sam", body: "", groups: ["security"], onCurrentHead: true },
    ]);
  });

  describe("approvalsFrom (a pull request taken in as a request)", () => {
    const from = new Date(Date.UTC(2025, 0, 1, 0, 30)).toISOString();
    // null: no cutoff at all (a request PR Countersign opened itself).
    const evaluate = (reviews: ReviewInput[], approvalsFrom: string | null = from) =>
      evaluateDual(reviews, approvalsFrom === null ? {} : { approvalsFrom });

    test("an approval before it never counts and is said why; one at or after it counts", () => {
      const result = evaluate([
        rv("bob", "APPROVED", { at: 29 }),
        rv("carol", "APPROVED", { at: 30 }),
      ]);
      expect(result.status).toBe("pending");
      expect(result.approvers).toEqual([{ login: "carol", group: "security" }]);
      expect(result.ignored).toEqual([
        {
          login: "bob",
          reason: "approved before this pull request became a request, so must approve again",
        },
      ]);
      const again = evaluate([
        rv("bob", "APPROVED", { at: 29 }),
        rv("carol", "APPROVED", { at: 30 }),
        rv("bob", "APPROVED", { at: 31 }),
      ]);
      expect(again.status).toBe("approved");
    });

    test("a request for changes made before it still rejects", () => {
      const result = evaluate([rv("bob", "CHANGES_REQUESTED", { at: 5 })]);
      expect(result.status).toBe("rejected");
    });

    test("an unreadable review time or cutoff fails closed; without a cutoff nothing changes", () => {
      const unreadable = { ...rv("bob", "APPROVED"), submittedAt: "yesterday" };
      const carol = rv("carol", "APPROVED", { at: 40 });
      expect(evaluate([unreadable, carol]).status).toBe("pending");
      expect(evaluate([rv("bob", "APPROVED", { at: 40 }), carol], "not a time").status).toBe(
        "pending",
      );
      expect(evaluate([rv("bob", "APPROVED", { at: 1 }), carol], null).status).toBe("approved");
    });
  });

  test("the input is not mutated (reviews keep their order)", () => {
    const reviews = [rv("bob", "APPROVED", { at: 50 }), rv("carol", "APPROVED", { at: 1 })];
    const copy = structuredClone(reviews);
    evaluateDual(reviews);
    expect(reviews).toEqual(copy);
  });
});

describe("teamKey", () => {
  test.each<[string, ApprovalGroup, string | null]>([
    ["default org", team("dba"), "acme/dba"],
    ["explicit org", team("Other/DBA"), "other/dba"],
    ["user list", users(["alice"]), null],
  ])("%s", (_name, group, expected) => {
    expect(teamKey(group, "Acme")).toBe(expected);
  });
});

function evaluate(rule: ApprovalRule, reviews: ReviewInput[]): Evaluation {
  return evaluateApprovals({
    rule,
    reviews,
    headSha: HEAD,
    requester: "rita",
    pushers: ["paul"],
    defaultOrg: "acme",
    teamMembers: TEAMS,
  });
}

describe("formatProgress", () => {
  test.each<[string, ApprovalRule, ReviewInput[], string]>([
    ["none", NONE, [], "no approval required"],
    ["all_of partial", DUAL, [rv("bob", "APPROVED")], "dba 1/1 ✓ (bob) · security 0/1"],
    [
      "all_of complete",
      DUAL,
      [rv("alice", "APPROVED"), rv("bob", "APPROVED")],
      "dba 1/1 ✓ (bob) · security 1/1 ✓ (alice)",
    ],
    [
      "any_of uses or",
      anyOf(team("dba"), team("sre", 2)),
      [rv("erin", "APPROVED")],
      "dba 0/1 or sre 1/2 (erin)",
    ],
    [
      "rejected names who requested changes",
      DUAL,
      [rv("bob", "APPROVED"), rv("carol", "CHANGES_REQUESTED")],
      "changes requested by carol — dba 1/1 ✓ (bob) · security 0/1",
    ],
  ])("%s", (_name, rule, reviews, expected) => {
    expect(formatProgress(evaluate(rule, reviews))).toBe(expected);
  });
});

describe("explainEvaluation", () => {
  test("none", () => {
    expect(explainEvaluation(evaluate(NONE, []))).toEqual([
      "No approval is required for this resource.",
    ]);
  });

  test("explains counted, missing, impossible, surplus, stale and ignored", () => {
    const lines = explainEvaluation(
      evaluate(allOf(team("dba"), team("tiny", 2)), [
        rv("bob", "APPROVED"),
        rv("dana", "APPROVED"),
        rv("tina", "APPROVED", { old: true }),
        rv("rita", "APPROVED"),
        rv("paul", "APPROVED"),
        rv("dependabot[bot]", "APPROVED"),
        rv("nina", "CHANGES_REQUESTED"),
        rv("alice", "DISMISSED"),
      ]),
    );
    expect(lines).toEqual([
      "Every group must approve; one person counts for one group only.",
      "dba: approved by bob (1/1).",
      "tiny: 0/2, 2 more approvals needed (needs 2, team has 1 eligible).",
      "dana also approved, but dba already had enough approvals and one person counts for one group only.",
      "Approvals before the last push are stale: tina must approve the current commit again.",
      "rita approved, but is the requester.",
      "paul approved, but pushed commits to the request branch.",
      "dependabot[bot] approved, but is a bot.",
      "nina requested changes, but is not in any group of this rule.",
      "alice had their review dismissed.",
    ]);
  });

  test("explains rejections, including on an earlier commit, with the body condensed", () => {
    const lines = explainEvaluation(
      evaluate(anyOf(team("dba"), team("sre", 2)), [
        rv("dana", "CHANGES_REQUESTED", { body: "Please add\n\na LIMIT", old: true }),
        rv("frank", "CHANGES_REQUESTED", { body: "x".repeat(300) }),
        rv("erin", "APPROVED"),
      ]),
    );
    expect(lines[0]).toBe(
      'dana requested changes on an earlier commit (dba): "Please add a LIMIT"; a push does not ' +
        "withdraw it: it blocks until dana approves or the review is dismissed.",
    );
    expect(lines[1]).toBe(`frank requested changes (sre): "${"x".repeat(199)}…".`);
    expect(lines).toContain("Approval by any one group is enough.");
    expect(lines).toContain("sre: approved by erin, 1/2, 1 more approval needed.");
  });
});
