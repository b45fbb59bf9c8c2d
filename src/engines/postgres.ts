/**
 * PostgreSQL engine (DESIGN §1.5): one dedicated connection per execution, the whole command in
 * one transaction (READ ONLY when asked) whose reading of text and bounds (timeouts, read-only)
 * are pinned at its start and checked after every statement (pg-settings.ts), each statement
 * streamed through a pg-cursor so only `keepRows` rows are ever held, and the affected-row
 * limit checked before COMMIT. The flow is the execution skeleton's; the PostgreSQL calls are
 * in postgres-session.ts.
 */
import { ExecutionRunner } from "./execution-skeleton.js";
import type { PgStatement } from "./pg-split.js";
import { postgresDialect } from "./postgres-session.js";
import type { PostgresEngineOptions } from "./postgres-session.js";
import { credentialRedactor } from "./redact.js";
import type { Engine, ExecuteOptions, ExecutionOutcome } from "./types.js";

export type { PostgresEngineOptions } from "./postgres-session.js";

export class PostgresEngine implements Engine {
  readonly kind = "postgres" as const;
  private readonly runner: ExecutionRunner<PgStatement>;

  constructor(url: string, options: PostgresEngineOptions = {}) {
    this.runner = new ExecutionRunner(postgresDialect(url, options), credentialRedactor(url));
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    return this.runner.execute(options);
  }
}
