import type { ApprovalRule } from "../../src/policy/config.js";
import { describeRule, ruleView } from "../../src/policy/rule-text.js";

const dba = { key: "dba", team: { slug: "dba" }, min: 1 };
const sre = { key: "sre", team: { slug: "sre" }, min: 2 };
const security = { key: "security", team: { slug: "security" }, min: 1 };

test.each<[ApprovalRule, string, string, string[]]>([
  [{ mode: "none" }, "no approval", "", []],
  [
    { mode: "all_of", groups: [dba, security] },
    "dba and security",
    "Every group below must approve",
    ["dba: 1 approval", "security: 1 approval"],
  ],
  [
    { mode: "any_of", groups: [dba, sre] },
    "dba or sre ×2",
    "Any one group below may approve",
    ["dba: 1 approval", "sre: 2 approvals"],
  ],
  [
    {
      mode: "any_of_all",
      groups: [dba, sre, security],
      alternatives: [
        [0, 1],
        [0, 2],
      ],
    },
    "(dba and sre ×2) or (dba and security)",
    "Every group of one of the sets below must approve",
    ["dba (1 approval) + sre (2 approvals)", "dba (1 approval) + security (1 approval)"],
  ],
])("%j", (rule, line, intro, lines) => {
  expect(describeRule(rule)).toBe(line);
  expect(ruleView(rule)).toEqual({ intro, lines });
});
