/** What every stage of one execution shares: its dependencies, limits, claim and end. */
import type { ServerConfig } from "../policy/server-config.js";
import type { CheckCommand } from "../requests/command-check.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";

export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ExecutionLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Rows of each result set kept for the comment (all are counted). */
  keepRows: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  statementTimeoutMs: 15 * 60_000,
  lockTimeoutMs: 10_000,
  keepRows: 50,
};

export interface ExecuteDeps {
  store: RequestStore;
  teams: TeamCache;
  checkCommand: CheckCommand;
  env: NodeJS.ProcessEnv;
  serverConfig: ServerConfig;
  log: Logger;
  limits: ExecutionLimits;
  now(): Date;
}

export interface Claim {
  workerId: string;
  /** Aborted when the lease is lost or the shutdown deadline passes. */
  signal: AbortSignal;
}

export type ExecutionEnd =
  /** Nothing was executed. */
  | { executed: false; status: "pending" | "rejected" | "expired" | "approved" | "lost" }
  | { executed: true; status: "succeeded" | "failed" | "unknown"; recorded: boolean };

export const errorText = (error: unknown) =>
  error instanceof Error ? error.message : String(error);
