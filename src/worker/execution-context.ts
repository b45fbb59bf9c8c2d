/** What every stage of one execution shares: its dependencies, limits, claim and end. */
import type { ServerConfig } from "../policy/server-config.js";
import type { CheckCommand } from "../requests/command-check.js";
import type { JobQueue } from "../store/jobs.js";
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
  /** A command still running after this long shows "Running since …" on its PR. */
  runningNoticeMs: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  statementTimeoutMs: 15 * 60_000,
  lockTimeoutMs: 10_000,
  keepRows: 50,
  runningNoticeMs: 3_000,
};

export interface ExecuteDeps {
  store: RequestStore;
  /** Where the outcome's publication is queued (the worker never waits for GitHub writes). */
  jobs: JobQueue;
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
  /** Renews the lease now; false when this worker no longer holds the request. */
  renewLease(): Promise<boolean>;
}

export type ExecutionEnd =
  /** Nothing was executed. */
  | { executed: false; status: "pending" | "rejected" | "expired" | "approved" | "lost" }
  | { executed: true; status: "succeeded" | "failed" | "unknown" | "cancelled"; recorded: boolean };

export const errorText = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/** The abort reason when a person asked, with /cancel, to stop the running command. */
export class CancelRequested extends Error {
  constructor(readonly actor: string) {
    super(`cancelled by ${actor}`);
  }
}
