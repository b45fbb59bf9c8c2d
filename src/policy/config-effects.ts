/**
 * What a change to a repository's `.github/countersign.yml` does, resource by resource: the
 * effective policy (server floor + repository rule) before and after, in words, and whether
 * the change tightens, loosens or only reshapes it. Pure; the `countersign/config` check
 * run shows it so reviewers of the change see its consequence, not just its diff.
 */
import type { GuardrailRuleRef, ResourcePolicy } from "./config.js";
import { effectivePolicy, stricterPolicy } from "./effective-policy.js";
import { describeRule } from "./rule-text.js";
import { formatDurationSetting } from "./duration.js";
import { resourceFor, type ServerConfig } from "./server-config.js";
import { describeWindow } from "./window.js";

export type EffectDirection = "unchanged" | "tighter" | "looser" | "changed";

export interface ResourceEffect {
  resource: string;
  direction: EffectDirection;
  /** One line each: `approvals: dba and security → dba and security and payments`. */
  changes: string[];
  /** The effective rule after the change, in words. */
  after: string;
}

export interface ConfigEffects {
  effects: ResourceEffect[];
  /** Resources the file names that the server does not offer this repository. */
  unavailable: string[];
}

function ruleName(rule: GuardrailRuleRef): string {
  return typeof rule === "string" ? rule : `${rule.name} (custom)`;
}

/** The comparable facts of a policy, in words. */
function facts(policy: ResourcePolicy): Record<string, string> {
  const jit = policy.jit;
  return {
    approvals: describeRule(policy.approvals),
    deny: policy.guardrails.deny.map(ruleName).join(", ") || "nothing",
    warn: policy.guardrails.warn.map(ruleName).join(", ") || "nothing",
    max_affected_rows: String(policy.guardrails.maxAffectedRows ?? "no limit"),
    allow_unparsed: String(policy.guardrails.allowUnparsed),
    auto_approve: policy.autoApprove.join(", ") || "nothing",
    timeout: formatDurationSetting(policy.timeoutMs),
    output: policy.output,
    jit:
      jit === null
        ? "off"
        : `up to ${formatDurationSetting(jit.maxDurationMs)}, ${describeRule(jit.approvals)}`,
    window: describeWindow(policy.window ?? []),
  };
}

function sameFacts(a: ResourcePolicy, b: ResourcePolicy): boolean {
  return JSON.stringify(facts(a)) === JSON.stringify(facts(b));
}

function direction(before: ResourcePolicy, after: ResourcePolicy): EffectDirection {
  if (sameFacts(before, after)) return "unchanged";
  const both = stricterPolicy(before, after);
  if (sameFacts(both, after)) return "tighter";
  if (sameFacts(both, before)) return "looser";
  return "changed";
}

export function configEffects(
  server: ServerConfig,
  owner: string,
  repo: string,
  before: Record<string, ResourcePolicy>,
  after: Record<string, ResourcePolicy>,
): ConfigEffects {
  const named = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const effects: ResourceEffect[] = [];
  const unavailable: string[] = [];
  for (const name of named) {
    const offered = resourceFor(server, name, owner, repo);
    if (offered === undefined) {
      if (Object.hasOwn(after, name)) unavailable.push(name);
      continue;
    }
    const old = effectivePolicy(offered.floor, before[name]);
    const now = effectivePolicy(offered.floor, after[name]);
    const oldFacts = facts(old);
    const newFacts = facts(now);
    const changes = Object.keys(newFacts)
      .filter((key) => oldFacts[key] !== newFacts[key])
      .map((key) => `${key}: ${oldFacts[key] ?? ""} → ${newFacts[key] ?? ""}`);
    effects.push({
      resource: name,
      direction: direction(old, now),
      changes,
      after: newFacts.approvals ?? "",
    });
  }
  return { effects, unavailable };
}
