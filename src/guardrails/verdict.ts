/**
 * Turns a classification and a resource's guardrail policy into a verdict: which rules
 * deny the command, which only warn the reviewers, and what the requester can do next.
 */
import type { GuardrailPolicy, GuardrailRuleName, GuardrailRuleRef } from "../policy/config.js";
import { stripComments } from "./strip-comments.js";
import { compileCustomPattern } from "./custom-pattern.js";
import type { CompiledPattern } from "./custom-pattern.js";
import type {
  Classification,
  GuardrailHit,
  GuardrailVerdict,
  StatementFlag,
  StatementInfo,
} from "./types.js";

/**
 * True when every statement is a plain read: safe for a read-only transaction and
 * `auto_approve: [read]`. "Read" is an allowlist (DESIGN §1.4): any flag or refusal, even
 * one the resource's deny list ignores, means the statement is not provably read-only.
 */
export function isReadOnly(classification: Classification): boolean {
  return (
    classification.ok &&
    classification.statements.length > 0 &&
    classification.statements.every(
      (statement) =>
        statement.kind === "read" &&
        statement.flags.length === 0 &&
        statement.refusal === undefined,
    )
  );
}

/** What to do about a denied rule. */
const DENY_ADVICE: Record<GuardrailRuleName, string> = {
  drop: "Remove the DROP, or ask an admin to run it outside Countersign or remove `drop` from guardrails.deny for this resource.",
  truncate:
    "Use DELETE … WHERE for the rows you mean, or ask an admin to run it outside Countersign or remove `truncate` from guardrails.deny for this resource.",
  delete_without_where:
    "Add a WHERE clause that selects only the rows you mean (an always-true condition such as 1=1 does not count), or remove `delete_without_where` from guardrails.deny for this resource.",
  update_without_where:
    "Add a WHERE clause that selects only the rows you mean (an always-true condition such as 1=1 does not count), or remove `update_without_where` from guardrails.deny for this resource.",
  ddl: "Schema changes are not accepted on this resource: ship them as a migration, or remove `ddl` from guardrails.deny for this resource.",
  dcl: "Privilege and role changes are not accepted on this resource: ask an admin to run it outside Countersign, or remove `dcl` from guardrails.deny for this resource.",
  grant:
    "Privilege changes are not accepted on this resource: ask an admin to run it outside Countersign, or remove `grant` from guardrails.deny for this resource.",
  multiple_statements:
    "Send one statement per request, or remove `multiple_statements` from guardrails.deny for this resource.",
  procedural:
    "The guardrails cannot see inside procedural code: send the statements themselves, or remove `procedural` from guardrails.deny for this resource.",
  copy_program:
    "COPY … PROGRAM runs a shell command on the database server: ask an admin to run it outside Countersign, or remove `copy_program` from guardrails.deny for this resource.",
  admin_functions:
    "Server administration is not accepted on this resource: ask an admin to run it outside Countersign, or remove `admin_functions` from guardrails.deny for this resource.",
  write:
    "This resource accepts read-only commands: send the change to a writable resource, or remove `write` from guardrails.deny for this resource.",
};

const WARN_ADVICE = "Reviewers: check this before approving.";

const FALLBACK_REASON: Record<StatementFlag, string> = {
  drop: "drops objects",
  truncate: "truncates a table",
  delete_without_where: "DELETE without a WHERE clause",
  update_without_where: "UPDATE without a WHERE clause",
  ddl: "changes the schema",
  dcl: "changes privileges or roles",
  grant: "changes privileges",
  procedural: "runs procedural code",
  copy_program: "runs a program on the server",
  admin_functions: "uses server administration",
  write: "modifies the database",
};

function statementRef(statement: StatementInfo): GuardrailHit["statement"] {
  return { index: statement.index, excerpt: statement.text, line: statement.line };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A custom rule is its name *and* its pattern: a floor's rule and a repository's rule that
 * share a name are two rules, and both must be applied (the same key as the effective
 * policy's union uses).
 */
function ruleKey(rule: GuardrailRuleRef): string {
  return typeof rule === "string" ? rule : `custom:${rule.name}:${rule.pattern}`;
}

/**
 * A custom rule's pattern, compiled for linear-time matching (RE2): the pattern comes from a
 * repository's author and the text from any requester, so a backtracking engine would let a
 * pattern like `(a+)+$` stall the app on a crafted command.
 */
function customMatcher(pattern: string): CompiledPattern {
  return compileCustomPattern(pattern);
}

function hitsFor(
  rule: GuardrailRuleRef,
  severity: "deny" | "warn",
  classification: Classification,
  command: string,
  stripped: string,
): GuardrailHit[] {
  if (typeof rule !== "string") {
    const advice =
      severity === "deny"
        ? "Rephrase the command, or ask the owners of .github/countersign.yml about this rule."
        : WARN_ADVICE;
    const compiled = customMatcher(rule.pattern);
    if (!compiled.ok) {
      // The schema validates patterns; if one slips through anyway, fail closed.
      return [
        {
          rule: rule.name,
          custom: true,
          message: `The custom rule \`${rule.name}\` has an invalid pattern (${compiled.error}), so the command cannot be checked against it. ${advice}`,
        },
      ];
    }
    const regex = compiled.pattern;
    if (!regex.test(stripped) && !regex.test(command)) return [];
    const message = `The command matches the custom rule \`${rule.name}\` (/${rule.pattern}/i). ${advice}`;
    if (classification.ok) {
      for (const statement of classification.statements) {
        const text = command.slice(statement.start, statement.end);
        if (regex.test(text) || regex.test(stripComments(text, classification.dialect))) {
          return [{ rule: rule.name, custom: true, statement: statementRef(statement), message }];
        }
      }
    }
    return [{ rule: rule.name, custom: true, message }];
  }

  if (!classification.ok) return [];
  const advice = severity === "deny" ? DENY_ADVICE[rule] : WARN_ADVICE;
  if (rule === "multiple_statements") {
    if (!classification.multipleStatements) return [];
    const count = classification.statements.length;
    const what = count > 1 ? `${count} statements` : "a batch repeated with GO n";
    return [{ rule, custom: false, message: `The command has ${what}. ${advice}` }];
  }
  const hits: GuardrailHit[] = [];
  for (const statement of classification.statements) {
    if (!statement.flags.includes(rule)) continue;
    const reason = statement.reasons[rule] ?? FALLBACK_REASON[rule];
    hits.push({
      rule,
      custom: false,
      statement: statementRef(statement),
      message: `Statement ${statement.index + 1} (line ${statement.line}): ${capitalise(reason)}. ${advice}`,
    });
  }
  return hits;
}

/** Statements no resource may run, whatever its deny list says (see StatementInfo.refusal). */
function refusalHits(classification: Classification): GuardrailHit[] {
  if (!classification.ok) return [];
  return classification.statements.flatMap((statement) =>
    statement.refusal === undefined
      ? []
      : [
          {
            rule: "refused",
            custom: false,
            statement: statementRef(statement),
            message: `Statement ${statement.index + 1} (line ${statement.line}): ${capitalise(statement.refusal)}. Countersign never runs this on any resource: it would change how the server reads the rest of the command or end the transaction the worker runs it in. Remove it; the worker already runs each command in one transaction with fixed settings.`,
          },
        ],
  );
}

/**
 * Evaluates a resource's guardrails. Custom rules are case-insensitive regular
 * expressions, matched against the command with comments replaced by a space *and*
 * against the raw text: a hit on either counts, so splitting a word with a comment does
 * not dodge a rule and a rule aimed at a comment marker still works.
 */
export function evaluateGuardrails(
  classification: Classification,
  policy: GuardrailPolicy,
  command: string,
): GuardrailVerdict {
  const stripped = stripComments(command, classification.dialect);
  const denied: GuardrailHit[] = [];
  const warnings: GuardrailHit[] = [];
  const denyKeys = new Set(policy.deny.map(ruleKey));

  if (!classification.ok) {
    const { error } = classification;
    const where =
      error.line === undefined ? "" : ` at line ${error.line}, column ${error.column ?? 1}`;
    const base = `The guardrails could not parse the command${where}: ${error.message}.`;
    if (policy.allowUnparsed) {
      warnings.push({
        rule: "unparsed",
        custom: false,
        message: `${base} This resource allows unparsed commands, so it is treated as a write and needs approval. ${WARN_ADVICE}`,
      });
    } else {
      denied.push({
        rule: "unparsed",
        custom: false,
        message: `${base} Fix the syntax, or set guardrails.allow_unparsed: true for this resource to let reviewers judge commands the guardrails cannot parse.`,
      });
    }
  }

  denied.push(...refusalHits(classification));
  const seen = new Set<string>();
  for (const rule of policy.deny) {
    const key = ruleKey(rule);
    if (seen.has(key)) continue;
    seen.add(key);
    denied.push(...hitsFor(rule, "deny", classification, command, stripped));
  }
  for (const rule of policy.warn) {
    const key = ruleKey(rule);
    if (seen.has(key) || denyKeys.has(key)) continue;
    seen.add(key);
    warnings.push(...hitsFor(rule, "warn", classification, command, stripped));
  }
  return {
    allowed: denied.length === 0,
    denied,
    warnings,
    treatAsWrite: !isReadOnly(classification),
  };
}
