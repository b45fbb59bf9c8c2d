/**
 * The floor and the repository's rule together, as a table: the repository can only ask for
 * more. Then the part that matters most, checked with the evaluator itself: under a
 * dba+security floor, no repository rule lets fewer than one dba and one security approver,
 * two distinct people, approve.
 */
import { parseConfig, type ResourcePolicy } from "../../src/policy/config.js";
import { effectivePolicy, stricterPolicy } from "../../src/policy/effective-policy.js";
import { evaluateApprovals, type ReviewInput } from "../../src/policy/evaluate.js";
import { serverConfig } from "../helpers/server-floor.js";

function floor(resource: object): ResourcePolicy {
  const config = serverConfig({ db: { repos: ["acme/*"], ...resource } });
  return (config.resources.db as { floor: ResourcePolicy }).floor;
}

function repository(resource: object): ResourcePolicy {
  const parsed = parseConfig({ resources: { db: resource } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config.resources.db as ResourcePolicy;
}

const DBA = { all_of: [{ team: "dba" }] };
const DBA_SEC = { all_of: [{ team: "dba" }, { team: "security" }] };

/** A rule in a form that reads in a table: `all_of(dba,security)`, `any_of(...)`, … */
function shape(policy: ResourcePolicy): string {
  const rule = policy.approvals;
  const groups = (list: { key: string; min: number }[]) =>
    list.map((group) => (group.min === 1 ? group.key : `${group.key}×${group.min}`)).join(",");
  if (rule.mode === "none") return "none";
  if (rule.mode === "any_of_all") {
    return `any_of_all(${rule.alternatives
      .map((alternative) => alternative.map((index) => rule.groups[index]?.key).join("+"))
      .join(" | ")})`;
  }
  return `${rule.mode}(${groups(rule.groups)})`;
}

describe("approvals: both rules hold", () => {
  test.each<[string, string | object, string | object | undefined, string]>([
    ["no repository rule", DBA_SEC, undefined, "all_of(dba,security)"],
    ["a weaker repository rule", DBA_SEC, "none", "all_of(dba,security)"],
    ["a repository rule of one floor group", DBA_SEC, DBA, "all_of(dba,security)"],
    ["a stricter repository rule", DBA, DBA_SEC, "all_of(dba,security)"],
    ["disjoint groups", DBA, { all_of: [{ team: "sre" }] }, "all_of(dba,sre)"],
    ["the same team, a larger min", DBA, { all_of: [{ team: "dba", min: 2 }] }, "all_of(dba×2)"],
    ["a floor of none", "none", DBA, "all_of(dba)"],
    ["none on both sides", "none", "none", "none"],
    [
      "any_of in the repository",
      DBA,
      { any_of: [{ team: "sre" }, { team: "security" }] },
      "any_of_all(dba+sre | dba+security)",
    ],
    [
      "any_of on the floor",
      { any_of: [{ team: "dba" }, { team: "sre" }] },
      "none",
      "any_of(dba,sre)",
    ],
    [
      "any_of on both sides, shared group",
      { any_of: [{ team: "dba" }, { team: "sre" }] },
      { any_of: [{ team: "dba" }] },
      "all_of(dba)",
    ],
    [
      "users on the repository side",
      DBA,
      { all_of: [{ users: ["alice", "bob"] }] },
      "all_of(dba,users:alice,bob)",
    ],
  ])("%s", (_name, floorRule, repositoryRule, expected) => {
    const effective = effectivePolicy(
      floor({ approvals: floorRule }),
      repositoryRule === undefined ? undefined : repository({ approvals: repositoryRule }),
    );
    expect(shape(effective)).toBe(expected);
  });
});

describe("everything else: the stricter value", () => {
  test.each<[string, object, object, (policy: ResourcePolicy) => unknown, unknown]>([
    [
      "deny lists unite",
      { approvals: "none", guardrails: { deny: ["drop"] } },
      { approvals: "none", guardrails: { deny: ["truncate"] } },
      (p) => p.guardrails.deny,
      ["drop", "truncate"],
    ],
    [
      "a repository cannot empty the floor's denies",
      { approvals: "none", guardrails: { deny: ["drop", "admin_functions"] } },
      { approvals: "none", guardrails: { deny: [] } },
      (p) => p.guardrails.deny,
      ["drop", "admin_functions"],
    ],
    [
      "warn lists unite, minus what is denied",
      { approvals: "none", guardrails: { deny: ["drop"], warn: ["write"] } },
      { approvals: "none", guardrails: { deny: ["write"], warn: ["drop", "ddl"] } },
      (p) => p.guardrails.warn,
      ["ddl"],
    ],
    [
      "max_affected_rows: the smaller (repository)",
      { approvals: "none", guardrails: { max_affected_rows: 10_000 } },
      { approvals: "none", guardrails: { max_affected_rows: 1_000 } },
      (p) => p.guardrails.maxAffectedRows,
      1_000,
    ],
    [
      "max_affected_rows: the smaller (floor)",
      { approvals: "none", guardrails: { max_affected_rows: 100 } },
      { approvals: "none", guardrails: { max_affected_rows: 1_000 } },
      (p) => p.guardrails.maxAffectedRows,
      100,
    ],
    [
      "max_affected_rows: one side only",
      { approvals: "none" },
      { approvals: "none", guardrails: { max_affected_rows: 5 } },
      (p) => p.guardrails.maxAffectedRows,
      5,
    ],
    [
      "max_estimated_rows: each threshold the smaller, a number denies",
      { approvals: "none", guardrails: { max_estimated_rows: { deny: 1_000_000, warn: 10_000 } } },
      { approvals: "none", guardrails: { max_estimated_rows: 50_000 } },
      (p) => p.guardrails.maxEstimatedRows,
      { deny: 50_000, warn: 10_000 },
    ],
    [
      "max_estimated_rows: one side only",
      { approvals: "none" },
      { approvals: "none", guardrails: { max_estimated_rows: { warn: 7 } } },
      (p) => p.guardrails.maxEstimatedRows,
      { warn: 7 },
    ],
    [
      "plan: the server's (a repository file has no say)",
      { approvals: "none", plan: { max_growth: 3 } },
      { approvals: "none" },
      (p) => p.plan,
      { maxGrowth: 3 },
    ],
    [
      "plan switched off by the server",
      { approvals: "none", plan: false },
      { approvals: "none" },
      (p) => p.plan,
      false,
    ],
    [
      "mask: everything either side masks",
      { approvals: "none", mask: { columns: ["ssn"], patterns: ["card"] } },
      { approvals: "none", mask: { columns: ["*.password"], patterns: ["email"] } },
      (p) => p.mask,
      { columns: ["ssn", "*.password"], patterns: ["email", "card"] },
    ],
    [
      "mask: a repository without one keeps the floor's",
      { approvals: "none", mask: { patterns: ["iban"] } },
      { approvals: "none" },
      (p) => p.mask,
      { columns: [], patterns: ["iban"] },
    ],
    [
      "timeout: the shorter",
      { approvals: "none", timeout: "2h" },
      { approvals: "none", timeout: "1d" },
      (p) => p.timeoutMs,
      7_200_000,
    ],
    [
      "auto-approve needs both (repository asks, floor says no)",
      { approvals: "none" },
      { approvals: "none", auto_approve: ["read"] },
      (p) => p.autoApprove,
      [],
    ],
    [
      "auto-approve needs both (both allow)",
      { approvals: "none", auto_approve: ["read"] },
      { approvals: "none", auto_approve: ["read"] },
      (p) => p.autoApprove,
      ["read"],
    ],
    [
      "auto-approve needs both (floor allows, repository silent)",
      { approvals: "none", auto_approve: ["read"] },
      { approvals: "none" },
      (p) => p.autoApprove,
      [],
    ],
    [
      "allow_unparsed needs both",
      { approvals: "none" },
      { approvals: "none", guardrails: { allow_unparsed: true } },
      (p) => p.guardrails.allowUnparsed,
      false,
    ],
    [
      "JIT: the shorter maximum",
      { approvals: "none", jit: { max_duration: "1h" } },
      { approvals: "none", jit: { max_duration: "4h" } },
      (p) => p.jit?.maxDurationMs,
      3_600_000,
    ],
    [
      "JIT: off on the floor is off",
      { approvals: "none", jit: false },
      { approvals: "none", jit: { max_duration: "4h" } },
      (p) => p.jit,
      null,
    ],
    [
      "JIT: off in the repository is off",
      { approvals: "none" },
      { approvals: "none", jit: false },
      (p) => p.jit,
      null,
    ],
    [
      "JIT approvals: both",
      { approvals: DBA },
      { approvals: "none", jit: { approvals: { all_of: [{ team: "security" }] } } },
      (p) => p.jit?.approvals.mode === "all_of" && p.jit.approvals.groups.map((g) => g.key),
      ["dba", "security"],
    ],
    [
      "output: the repository chooses less",
      { approvals: "none" },
      { approvals: "none", output: "summary" },
      (p) => p.output,
      "summary",
    ],
    [
      "read functions: the server's only",
      { approvals: "none", guardrails: { read_functions: ["my_report"] } },
      { approvals: "none" },
      (p) => p.guardrails.readFunctions,
      ["my_report"],
    ],
    [
      "audit branch: the server's",
      { approvals: "none", audit_branch: "audit" },
      { approvals: "none" },
      (p) => p.auditBranch,
      "audit",
    ],
  ])("%s", (_name, floorResource, repositoryResource, pick, expected) => {
    expect(pick(effectivePolicy(floor(floorResource), repository(repositoryResource)))).toEqual(
      expected,
    );
  });

  test("frozen and current at execution: the stricter of both, the frozen audit branch", () => {
    const frozen = effectivePolicy(floor({ approvals: DBA, audit_branch: "audit" }), undefined);
    const now = floor({ approvals: DBA_SEC, timeout: "1h", audit_branch: "elsewhere" });
    const held = stricterPolicy(frozen, now);
    expect(shape(held)).toBe("all_of(dba,security)");
    expect(held.timeoutMs).toBe(3_600_000);
    expect(held.auditBranch).toBe("audit");
  });

  test("plans switched off after intake keep the drift guard of a planned request", () => {
    const frozen = effectivePolicy(floor({ approvals: DBA, plan: { max_growth: 20 } }), undefined);
    expect(stricterPolicy(frozen, floor({ approvals: DBA, plan: false })).plan).toEqual({
      maxGrowth: 20,
    });
    expect(stricterPolicy(frozen, floor({ approvals: DBA, plan: { max_growth: 5 } })).plan).toEqual(
      { maxGrowth: 5 },
    );
  });

  test("a mask that cannot be read is refused with the part named", () => {
    const parsed = parseConfig({
      resources: { db: { approvals: "none", mask: { patterns: ["email", "phon"] } } },
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      {
        path: "resources.db.mask",
        message:
          'patterns[1]: unknown mask pattern "phon"; known patterns: email, card, iban, phone',
      },
    ]);
  });

  test.each<[string, unknown]>([
    ["plan", false],
    ["break_glass", { team: "friends" }],
    ["notify_team", "friends"],
    ["undo", true],
  ])("a repository file cannot set %s: it is the server's", (key, value) => {
    // A repository that could name its own break-glass group would choose its own approvers.
    const parsed = parseConfig({ resources: { db: { approvals: "none", [key]: value } } });
    expect(parsed.ok).toBe(false);
  });
});

describe("no repository rule gets under a dba+security floor", () => {
  const teamMembers = new Map([
    ["acme/dba", new Set(["bob", "dave"])],
    ["acme/security", new Set(["carol", "dave"])],
    ["acme/sre", new Set(["erin", "dave"])],
  ]);
  const approve = (login: string, id: number): ReviewInput => ({
    id,
    login,
    isBot: false,
    state: "APPROVED",
    commitId: "head",
    submittedAt: `2026-12-01T10:0${id}:00Z`,
  });
  const judge = (rule: string | object, reviewers: string[]) =>
    evaluateApprovals({
      rule: effectivePolicy(floor({ approvals: DBA_SEC }), repository({ approvals: rule }))
        .approvals,
      reviews: reviewers.map(approve),
      headSha: "head",
      requester: "alice",
      pushers: ["mallory"],
      defaultOrg: "acme",
      teamMembers,
    }).status;
  const LAX_RULES: (string | object)[] = [
    "none",
    DBA,
    { any_of: [{ team: "sre" }] },
    { any_of: [{ users: ["alice"] }, { users: ["mallory"] }] },
    { all_of: [{ users: ["dave"] }] },
  ];

  test.each(LAX_RULES.map((rule) => [JSON.stringify(rule), rule]))("%s", (_name, rule) => {
    // One person in both teams is still one person.
    expect(judge(rule, ["dave"])).toBe("pending");
    // The requester and a pusher never count.
    expect(judge(rule, ["alice", "mallory", "bob"])).toBe("pending");
    // A dba alone is not enough.
    expect(judge(rule, ["bob"])).toBe("pending");
  });

  test("one dba and one security approver, two people, satisfy the floor", () => {
    expect(judge("none", ["bob", "carol"])).toBe("approved");
    expect(judge(DBA, ["dave", "carol"])).toBe("approved");
    // A repository group on top needs a third person for it.
    expect(judge({ all_of: [{ team: "sre" }] }, ["bob", "carol"])).toBe("pending");
    expect(judge({ all_of: [{ team: "sre" }] }, ["bob", "carol", "erin"])).toBe("approved");
    expect(
      judge({ any_of: [{ team: "sre" }, { users: ["frank"] }] }, ["bob", "carol", "frank"]),
    ).toBe("approved");
  });
});
