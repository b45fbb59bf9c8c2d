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
import { JobRunner } from "../../src/jobs/runner.js";
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
  /** Runs every queued job, as the in-process worker would. */
  drain(): Promise<number>;
}

export function createHarness(
  database: Database,
  env: NodeJS.ProcessEnv = {},
  server: ServerConfig = openServerConfig(),
  observer?: WebhookObserver,
  /** Where the job runner and the use cases log (silent unless a test records it). */
  log: Logger = silentLog,
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
  const runner = new JobRunner(
    jobs,
    jobHandlers(services, log),
    async (installationId) => (await probot.auth(installationId)) as GitHub,
    log,
    { maxAttempts: 1 },
  );
  return { probot, services, store, jobs, runner, drain: () => runner.drain() };
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
