/**
 * The effective policy of a request (DESIGN §1.3): the server's floor and the repository's
 * rule together, where the repository can only ask for more. The same "stricter of two"
 * serves at intake (floor + repository file) and at execution (policy frozen at intake +
 * the policy as it is now). Pure.
 *
 * - approvals: both rules must hold, with four-eyes matching over the union of their groups
 *   (one person fills one group); a group both name (same key) needs the larger `min`;
 * - deny and warn lists unite (a rule denied by either is denied);
 * - numbers take the stricter value (`max_affected_rows` and `timeout`: the smaller);
 * - auto-approval and `allow_unparsed` need both; JIT needs both and takes the shorter
 *   maximum; output shows the less of the two;
 * - the audit branch and the functions declared side-effect free come from the server;
 * - execution windows add up: a command runs only when every window of both sides allows it.
 */
import type {
  ApprovalGroup,
  ApprovalRule,
  EstimateLimits,
  GuardrailPolicy,
  GuardrailRuleRef,
  JitPolicy,
  PlanPolicy,
  ResourcePolicy,
} from "./config.js";
import { describeRule } from "./rule-text.js";
import { mergeMaskConfigs, NO_MASK } from "../render/mask-config.js";
import { stricterWindow } from "./window.js";

/** A rule as alternatives, each a set of groups that must all be satisfied. */
type Alternatives = ApprovalGroup[][];

function alternativesOf(rule: ApprovalRule): Alternatives {
  switch (rule.mode) {
    case "none":
      return [[]];
    case "all_of":
      return [rule.groups];
    case "any_of":
      return rule.groups.map((group) => [group]);
    case "any_of_all":
      return rule.alternatives.map((indices) =>
        indices.flatMap((index) => {
          const group = rule.groups[index];
          return group === undefined ? [] : [group];
        }),
      );
  }
}

/** Groups of both sets; a group named by both (same key) keeps the larger `min`. */
function unionGroups(a: readonly ApprovalGroup[], b: readonly ApprovalGroup[]): ApprovalGroup[] {
  const byKey = new Map<string, ApprovalGroup>();
  for (const group of [...a, ...b]) {
    const known = byKey.get(group.key);
    if (known === undefined || group.min > known.min) byKey.set(group.key, group);
  }
  return [...byKey.values()];
}

/** True when every approval `weaker` needs is also needed by `stronger` (so `stronger` is redundant). */
function demandsNoLess(
  stronger: readonly ApprovalGroup[],
  weaker: readonly ApprovalGroup[],
): boolean {
  return weaker.every((group) =>
    stronger.some((other) => other.key === group.key && other.min >= group.min),
  );
}

/** The plainest rule that means the same as these alternatives. */
function ruleOfAlternatives(alternatives: Alternatives): ApprovalRule {
  // An alternative that demands everything another one does, and more, can never be the
  // one that decides: drop it (and keep one of two equal ones).
  const distinct = alternatives.filter(
    (alternative, index) =>
      !alternatives.some(
        (other, otherIndex) =>
          otherIndex !== index &&
          demandsNoLess(alternative, other) &&
          (!demandsNoLess(other, alternative) || otherIndex < index),
      ),
  );
  const [only] = distinct;
  if (distinct.length === 1 && only !== undefined) {
    return only.length === 0 ? { mode: "none" } : { mode: "all_of", groups: only };
  }
  if (distinct.every((alternative) => alternative.length === 1)) {
    return {
      mode: "any_of",
      groups: distinct.map((alternative) => alternative[0] as ApprovalGroup),
    };
  }
  const groups = distinct.reduce<ApprovalGroup[]>(
    (all, alternative) => unionGroups(all, alternative),
    [],
  );
  const indexOf = (group: ApprovalGroup) => groups.findIndex((known) => known.key === group.key);
  return {
    mode: "any_of_all",
    groups,
    alternatives: distinct.map((alternative) => alternative.map(indexOf)),
  };
}

/** Both rules must hold: every pair of alternatives, united. */
export function bothRules(a: ApprovalRule, b: ApprovalRule): ApprovalRule {
  const combined: Alternatives = [];
  for (const left of alternativesOf(a)) {
    for (const right of alternativesOf(b)) combined.push(unionGroups(left, right));
  }
  return ruleOfAlternatives(combined);
}

function ruleKey(rule: GuardrailRuleRef): string {
  return typeof rule === "string" ? rule : `custom:${rule.name}:${rule.pattern}`;
}

function uniteRules(a: readonly GuardrailRuleRef[], b: readonly GuardrailRuleRef[]) {
  const seen = new Set<string>();
  return [...a, ...b].filter((rule) => {
    const key = ruleKey(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function smaller(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Declared by the server on either side; a side that declares nothing has no say. */
function commonReadFunctions(a?: readonly string[], b?: readonly string[]): string[] | undefined {
  if (a === undefined) return b === undefined ? undefined : [...b];
  if (b === undefined) return [...a];
  return a.filter((name) => b.includes(name));
}

function stricterGuardrails(a: GuardrailPolicy, b: GuardrailPolicy): GuardrailPolicy {
  const deny = uniteRules(a.deny, b.deny);
  const denied = new Set(deny.map(ruleKey));
  const guardrails: GuardrailPolicy = {
    deny,
    warn: uniteRules(a.warn, b.warn).filter((rule) => !denied.has(ruleKey(rule))),
    allowUnparsed: a.allowUnparsed && b.allowUnparsed,
  };
  const maxAffectedRows = smaller(a.maxAffectedRows, b.maxAffectedRows);
  if (maxAffectedRows !== undefined) guardrails.maxAffectedRows = maxAffectedRows;
  const estimate = stricterEstimateLimits(a.maxEstimatedRows, b.maxEstimatedRows);
  if (estimate !== undefined) guardrails.maxEstimatedRows = estimate;
  const readFunctions = commonReadFunctions(a.readFunctions, b.readFunctions);
  if (readFunctions !== undefined) guardrails.readFunctions = readFunctions;
  return guardrails;
}

/** Each threshold the lower of the two; a side without one has no say on it. */
function stricterEstimateLimits(
  a: EstimateLimits | undefined,
  b: EstimateLimits | undefined,
): EstimateLimits | undefined {
  if (a === undefined) return b === undefined ? undefined : { ...b };
  if (b === undefined) return { ...a };
  const limits: EstimateLimits = {};
  const deny = smaller(a.deny, b.deny);
  const warn = smaller(a.warn, b.warn);
  if (deny !== undefined) limits.deny = deny;
  if (warn !== undefined) limits.warn = warn;
  return limits;
}

/**
 * Plans are made unless both sides switched them off, and a side without a say (a repository
 * file) leaves the other's; the drift guard takes the smaller growth factor. Stricter means
 * looking more: the server turning plans off after intake does not switch off the drift guard
 * of a request that was planned.
 */
function stricterPlan(
  a: PlanPolicy | false | undefined,
  b: PlanPolicy | false | undefined,
): PlanPolicy | false | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === false) return b;
  if (b === false) return a;
  return { maxGrowth: Math.min(a.maxGrowth, b.maxGrowth) };
}

function stricterJit(a: JitPolicy | null, b: JitPolicy | null): JitPolicy | null {
  if (a === null || b === null) return null;
  return {
    maxDurationMs: Math.min(a.maxDurationMs, b.maxDurationMs),
    approvals: bothRules(a.approvals, b.approvals),
  };
}

const OUTPUT_ORDER: readonly ResourcePolicy["output"][] = ["none", "summary", "table"];

/**
 * The stricter of two policies for one resource. `floor` is the side whose audit branch
 * counts (the server's floor at intake, the frozen policy at execution).
 */
export function stricterPolicy(floor: ResourcePolicy, other: ResourcePolicy): ResourcePolicy {
  const output =
    OUTPUT_ORDER.indexOf(floor.output) <= OUTPUT_ORDER.indexOf(other.output)
      ? floor.output
      : other.output;
  const policy: ResourcePolicy = {
    name: floor.name,
    approvals: bothRules(floor.approvals, other.approvals),
    autoApprove: floor.autoApprove.filter((kind) => other.autoApprove.includes(kind)),
    timeoutMs: Math.min(floor.timeoutMs, other.timeoutMs),
    guardrails: stricterGuardrails(floor.guardrails, other.guardrails),
    output,
    jit: stricterJit(floor.jit, other.jit),
  };
  if (floor.auditBranch !== undefined) policy.auditBranch = floor.auditBranch;
  // A repository can add to the floor's mask, never take from it.
  if (floor.mask !== undefined || other.mask !== undefined) {
    policy.mask = mergeMaskConfigs(floor.mask ?? NO_MASK, other.mask ?? NO_MASK);
  }
  // Both sides' windows must allow a command: a repository can add one, never lift the floor's.
  const window = stricterWindow(floor.window, other.window);
  if (window !== undefined && window.length > 0) policy.window = window;
  // The server's alone (a repository file cannot set them): the first side that has them.
  for (const key of ["breakGlassGroup", "notifyTeam", "breakGlass"] as const) {
    const value = floor[key] ?? other[key];
    if (value !== undefined) Object.assign(policy, { [key]: value });
  }
  // Backups are the server's (a repository file cannot set them); either side keeps them on.
  const undo = floor.undo ?? other.undo;
  if (undo !== undefined) policy.undo = { ...undo };
  const plan = stricterPlan(floor.plan, other.plan);
  if (plan !== undefined) policy.plan = plan;
  if (floor.origin !== undefined) policy.origin = floor.origin;
  return policy;
}

/**
 * A request's policy at intake: the server's floor, tightened by the repository's rule for
 * the resource when its file has one. The repository's audit branch is never taken.
 */
export function effectivePolicy(
  floor: ResourcePolicy,
  repository: ResourcePolicy | undefined,
): ResourcePolicy {
  const origin = {
    floor: describeRule(floor.approvals),
    repository: repository === undefined ? null : describeRule(repository.approvals),
  };
  if (repository === undefined) return { ...floor, origin };
  // stricterPolicy takes the audit branch from its first argument, the floor, only.
  return { ...stricterPolicy(floor, repository), origin };
}

/**
 * A break-glass request's policy (issue 17): one approval from the floor's break-glass group
 * instead of the usual rule, nothing auto-approved; the guardrails, limits and timeout are the
 * effective policy's. Null when the server offers no break-glass on the resource.
 */
export function breakGlassPolicy(effective: ResourcePolicy): ResourcePolicy | null {
  const group = effective.breakGlassGroup;
  if (group === undefined) return null;
  return {
    ...effective,
    approvals: { mode: "all_of", groups: [group] },
    autoApprove: [],
    jit: null,
    breakGlass: { normal: effective.breakGlass?.normal ?? effective.approvals },
  };
}
