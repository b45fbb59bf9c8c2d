/**
 * What intake and reviewers need to know about a command, computed by the guardrails before
 * a request exists and stored with it: the statements, the rule hits, and whether it only
 * reads. A plain, serialisable view so the PR body and the worker can use it later.
 */
import { resourceUrlVariable, type ResourcePolicy } from "../policy/config.js";
import { dialectOfUrl } from "../engines/index.js";
import { classifyCommand, evaluateGuardrails } from "../guardrails/index.js";
import type { Dialect, GuardrailHit } from "../guardrails/types.js";
import type { CommandCheck, RuleHitView } from "../lifecycle/records.js";
import { planCommand } from "../engines/pg-plan.js";
import { previewCommand } from "../engines/pg-preview.js";
import { planMssqlCommand } from "../engines/mssql-plan.js";
import { assessCommand, type AssessOptions, type Assessors } from "./command-assessment.js";

export type { CommandCheck, RuleHitView, StatementView } from "../lifecycle/records.js";

export type CheckCommand = (
  command: string,
  resource: ResourcePolicy,
  options?: AssessOptions,
) => Promise<CommandCheck>;

const REAL_ASSESSORS: Assessors = {
  plan: planCommand,
  planMssql: planMssqlCommand,
  preview: previewCommand,
};

/** The SQL dialect of a resource, from its connection URL's scheme (DESIGN §1.5). */
export function dialectOf(resource: string, env: NodeJS.ProcessEnv): Dialect {
  const url = env[resourceUrlVariable(resource)] ?? "";
  const dialect = dialectOfUrl(url.trim());
  return dialect === "mssql" || dialect === "mysql" ? dialect : "postgres";
}

/**
 * Classifies with the resource's dialect and applies its guardrails; then, for a command they
 * let through, the plan and the dry run (command-assessment.ts).
 */
export function createCommandChecker(
  env: NodeJS.ProcessEnv,
  assessors: Assessors = REAL_ASSESSORS,
): CheckCommand {
  const guardrails = guardrailChecker(env);
  return async (command, resource, options) =>
    assessCommand(env, assessors, command, resource, await guardrails(command, resource), options);
}

/** The guardrails alone: the classification and the rule hits. */
function guardrailChecker(
  env: NodeJS.ProcessEnv,
): (command: string, resource: ResourcePolicy) => Promise<CommandCheck> {
  return async (command, resource) => {
    const dialect = dialectOf(resource.name, env);
    const classification = await classifyCommand(command, dialect, {
      readFunctions: resource.guardrails.readFunctions ?? [],
    });
    const verdict = evaluateGuardrails(classification, resource.guardrails, command);
    const toView = (hit: GuardrailHit): RuleHitView => ({
      rule: hit.rule,
      statement: hit.statement?.excerpt ?? null,
      message: hit.message,
    });
    if (!classification.ok) {
      const { error } = classification;
      const where =
        error.line !== undefined ? ` (line ${error.line}, column ${error.column ?? 1})` : "";
      return {
        dialect,
        ok: false,
        error: `${error.message}${where}`,
        statements: [],
        denied: verdict.denied.map(toView),
        warnings: verdict.warnings.map(toView),
        readOnly: false,
      };
    }
    return {
      dialect,
      ok: true,
      error: null,
      statements: classification.statements.map((statement) => ({
        number: statement.index + 1,
        kind: statement.kind,
        summary: statement.text,
        tables: statement.tables,
      })),
      denied: verdict.denied.map(toView),
      warnings: verdict.warnings.map(toView),
      readOnly: !verdict.treatAsWrite,
    };
  };
}
