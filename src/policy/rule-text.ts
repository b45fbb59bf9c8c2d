/**
 * An approval rule in words, for the request PR's "Approval rule" section and for saying
 * where a rule came from (the server's floor, the repository's file). Pure, plain text: the
 * render layer escapes.
 */
import type { ApprovalGroup, ApprovalRule } from "./config.js";

function groupText(group: ApprovalGroup): string {
  return group.min === 1 ? group.key : `${group.key} ×${group.min}`;
}

function alternativeGroups(
  rule: Extract<ApprovalRule, { mode: "any_of_all" }>,
  alternative: readonly number[],
): ApprovalGroup[] {
  return alternative.flatMap((index) => {
    const group = rule.groups[index];
    return group === undefined ? [] : [group];
  });
}

/** One line: `no approval`, `dba and security`, `dba or sre ×2`, `(dba and sre) or (dba and security)`. */
export function describeRule(rule: ApprovalRule): string {
  switch (rule.mode) {
    case "none":
      return "no approval";
    case "all_of":
      return rule.groups.map(groupText).join(" and ");
    case "any_of":
      return rule.groups.map(groupText).join(" or ");
    case "any_of_all":
      return rule.alternatives
        .map(
          (alternative) => `(${alternativeGroups(rule, alternative).map(groupText).join(" and ")})`,
        )
        .join(" or ");
  }
}

export interface RuleView {
  /** What has to happen, e.g. "Every group below must approve". Empty for `none`. */
  intro: string;
  /** One line per group (or per set of groups for alternatives). */
  lines: string[];
}

function approvals(min: number): string {
  return min === 1 ? "1 approval" : `${min} approvals`;
}

export function ruleView(rule: ApprovalRule): RuleView {
  switch (rule.mode) {
    case "none":
      return { intro: "", lines: [] };
    case "all_of":
      return {
        intro: "Every group below must approve",
        lines: rule.groups.map((group) => `${group.key}: ${approvals(group.min)}`),
      };
    case "any_of":
      return {
        intro: "Any one group below may approve",
        lines: rule.groups.map((group) => `${group.key}: ${approvals(group.min)}`),
      };
    case "any_of_all":
      return {
        intro: "Every group of one of the sets below must approve",
        lines: rule.alternatives.map((alternative) =>
          alternativeGroups(rule, alternative)
            .map((group) => `${group.key} (${approvals(group.min)})`)
            .join(" + "),
        ),
      };
  }
}
