/**
 * Shapes shared by both dialect classifiers and the verdict (DESIGN §1.4). Everything in
 * src/guardrails is pure: no I/O, so the intake handler can call it on untrusted text.
 */
import { GUARDRAIL_RULES, type GuardrailRuleName, type StatementClass } from "../policy/config.js";

export type Dialect = "postgres" | "mssql" | "mysql";

/**
 * Per-statement flags. Each is named after the built-in guardrail rule it triggers, so a
 * rule and the flag that fires it can never drift apart. `multiple_statements` is a
 * command-level property and lives on the classification instead.
 */
export type StatementFlag = Exclude<GuardrailRuleName, "multiple_statements">;

export const STATEMENT_FLAGS: readonly StatementFlag[] = GUARDRAIL_RULES.filter(
  (rule): rule is StatementFlag => rule !== "multiple_statements",
);

export interface StatementInfo {
  /** 0-based position of the statement in the whole command (across T-SQL batches). */
  index: number;
  kind: StatementClass;
  /** Upper-case command name, e.g. `SELECT`, `DELETE`, `DROP TABLE`, `EXEC`. */
  command: string;
  /** Relations touched, schema-qualified as written; unquoted parts lowercased. */
  tables: string[];
  /** Functions / procedures called (lowercased unless quoted), so reviewers see them. */
  functions: string[];
  flags: StatementFlag[];
  /**
   * Why this statement can never run through Countersign, whatever the resource's rules say:
   * it would change how the server reads the rest of the command (a pinned setting) or end
   * the worker's transaction (COMMIT, ROLLBACK …). Any refusal denies the whole command.
   */
  refusal?: string;
  /** One short human reason per flag (e.g. `calls pg_terminate_backend`). */
  reasons: Partial<Record<StatementFlag, string>>;
  /** Whitespace-collapsed excerpt of the statement, at most 200 characters. */
  text: string;
  /** UTF-16 offsets of the statement in the command text. */
  start: number;
  end: number;
  /** 1-based line and column where the statement starts in the command text. */
  line: number;
  column: number;
  /** T-SQL only: 0-based batch (GO-separated) holding the statement. */
  batch?: number;
}

export interface ClassificationError {
  message: string;
  /** 0-based UTF-16 offset in the command text, when the parser reported one. */
  position?: number;
  /** 1-based. */
  line?: number;
  /** 1-based, in UTF-16 code units. */
  column?: number;
}

export type Classification =
  | {
      ok: true;
      dialect: Dialect;
      statements: StatementInfo[];
      /** More than one statement, or a T-SQL batch repeated with `GO n` (n > 1). */
      multipleStatements: boolean;
    }
  | { ok: false; dialect: Dialect; error: ClassificationError };

/**
 * Knobs an operator sets per resource on the server. `readFunctions` extends the built-in
 * list of functions known to be free of side effects (lower-case, optionally
 * schema-qualified: `my_report`, `reporting.totals`), so a read that calls them can still
 * be `read`.
 */
export interface ClassifyOptions {
  readFunctions?: readonly string[];
}

export interface GuardrailHit {
  /** A built-in rule name, `unparsed`, or a custom rule's name. */
  rule: string;
  custom: boolean;
  statement?: { index: number; excerpt: string; line: number };
  message: string;
}

export interface GuardrailVerdict {
  /** False when at least one deny rule hit. */
  allowed: boolean;
  denied: GuardrailHit[];
  warnings: GuardrailHit[];
  /**
   * True when the command must be treated as writing (never auto-approved, never run in a
   * read-only transaction): anything that is not provably read-only, including an
   * unparsed command let through by `allow_unparsed`.
   */
  treatAsWrite: boolean;
}
