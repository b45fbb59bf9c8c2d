/**
 * A real Probot instance wired to Countersign with nock standing in for GitHub. The app's
 * private key is generated per test run; no key is ever committed.
 */
import nock from "nock";
import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { createApp, type WebhookObserver } from "../../src/app.js";
import type { GitHub } from "../../src/github/client.js";
import type { Logger } from "../../src/jobs/job-log.js";
import { createServices, type Services } from "../../src/requests/services.js";
import type { Database } from "../../src/store/database.js";
import type { JobQueue } from "../../src/store/jobs.js";
import type { RequestStore } from "../../src/store/requests.js";
import { JobRunner, type JobRunnerOptions } from "../../src/jobs/runner.js";
import { writeGuard, type WriteGuardOptions } from "../../src/github/write-guard.js";
import { jobGaveUp } from "../../src/requests/job-gave-up.js";
import { WriteBudget, type WriteLimits } from "../../src/store/write-budget.js";
import type { ServerConfig } from "../../src/policy/server-config.js";
import { openServerConfig } from "./server-floor.js";
import { jobHandlers } from "../../src/jobs/handlers.js";

export const API = "https://api.github.com";
export const INSTALLATION_ID = 2;

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const silentLog: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface Harness {
  probot: Probot;
  services: Services;
  store: RequestStore;
  jobs: JobQueue;
  runner: JobRunner;
  /** An installation client as jobs get it: its writes go through the store's budget. */
  githubFor(installationId: number): Promise<GitHub>;
  /** Runs every queued job, as the in-process worker would. */
  drain(): Promise<number>;
}

/**
 * A budget no test reaches: every write still takes its token from the store (the real code
 * path), but none waits unless a test sets `writeLimits` lower.
 */
export const UNREACHED_WRITE_LIMITS: WriteLimits = {
  minute: { limit: 1_000_000, windowMs: 60_000, burst: 100_000 },
  hour: { limit: 1_000_000, windowMs: 3_600_000, burst: 100_000 },
};

export interface HarnessOptions {
  /** The job runner's options, over the harness's (one attempt: a failure shows at once). */
  runner?: JobRunnerOptions;
  /** The installation write budget's limits (default: never reached). */
  writeLimits?: WriteLimits;
  /** How writes wait for the budget (a test may pass a fake `sleep`). */
  writeGuard?: WriteGuardOptions;
}

export function createHarness(
  database: Database,
  env: NodeJS.ProcessEnv = {},
  server: ServerConfig = openServerConfig(),
  observer?: WebhookObserver,
  /** Where the job runner and the use cases log (silent unless a test records it). */
  log: Logger = silentLog,
  options: HarnessOptions = {},
): Harness {
  const probot = new Probot({
    appId: 123,
    privateKey,
    logLevel: "fatal",
    // No retries or throttling: every call the test did not expect must fail loudly.
    // Probot replaces a plain `throttle` default with its own options, so override per
    // instance: otherwise the shared throttle spaces comment writes 3 s apart across tests.
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
  const services = createServices(database, env, server);
  const { store, jobs } = services;
  void probot.load(createApp(services, observer));
  // As main.ts wires it: writes take the store's budget, a job that gives up marks its request.
  const guard = writeGuard(
    new WriteBudget(database.knex, options.writeLimits ?? UNREACHED_WRITE_LIMITS),
    {
      log,
      ...options.writeGuard,
    },
  );
  const githubFor = async (installationId: number) =>
    guard((await probot.auth(installationId)) as GitHub, installationId);
  const runner = new JobRunner(jobs, jobHandlers(services, log), githubFor, log, {
    maxAttempts: 1,
    onGaveUp: (job, reason) => jobGaveUp({ store, githubFor, log }, job, reason),
    ...options.runner,
  });
  return { probot, services, store, jobs, runner, githubFor, drain: () => runner.drain() };
}

/** The installation token exchange every authenticated call starts with. */
export function mockInstallationToken(
  scope: nock.Scope = nock(API),
  options: { optional?: boolean } = {},
): nock.Scope {
  return scope
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .optionally(options.optional ?? false)
    .reply(201, { token: "test-token", expires_at: "2999-01-01T00:00:00Z", permissions: {} });
}

/** Serves `.github/countersign.yml` (raw YAML, as the config plugin asks for it). */
export function mockConfig(
  scope: nock.Scope,
  owner: string,
  repo: string,
  yaml: string,
): nock.Scope {
  return scope
    .get(`/repos/${owner}/${repo}/contents/${encodeURIComponent(".github/countersign.yml")}`)
    .reply(200, yaml, { "content-type": "application/vnd.github.raw; charset=utf-8" });
}

export function mockPermission(
  scope: nock.Scope,
  owner: string,
  repo: string,
  login: string,
  permission: string,
): nock.Scope {
  return scope
    .get(`/repos/${owner}/${repo}/collaborators/${login}/permission`)
    .reply(200, { permission, role_name: permission, user: { login } });
}
