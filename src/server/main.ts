/**
 * `npm start`: the app on its embedded defaults. Without APP_ID and a private key, Probot
 * serves its setup page, which registers the app from app.yml; with them, Countersign opens
 * its database (DATABASE_URL, or the embedded store in .countersign-data) and runs its jobs
 * and the execution worker in this process. With separate workers (`npm run worker`),
 * COUNTERSIGN_IN_PROCESS_WORKER=false keeps executions out of the app server.
 *
 * Operators get /healthz, /readyz and /metrics beside Probot's routes. SIGINT and SIGTERM
 * both drain: running commands finish (or are rolled back) within
 * COUNTERSIGN_SHUTDOWN_TIMEOUT_MS before the process exits.
 */
import { existsSync } from "node:fs";
import { ProbotOctokit, run, type Probot } from "probot";
import { createApp } from "../app.js";
import { openDatabase } from "../store/database.js";
import { sweepExpired, sweepGrants } from "../requests/expiry.js";
import { DEFAULT_REFRESH_MS, sweepPendingRequests } from "../requests/refresh.js";
import { reconcileDeliveries } from "../requests/redeliver.js";
import { sweepUndoBackups } from "../requests/undo-sweep.js";
import { ReconcilerState } from "../store/reconciler-state.js";
import { randomUUID } from "node:crypto";
import { createServices, type Services } from "../requests/services.js";
import { JobRunner } from "../jobs/runner.js";
import { jobHandlers } from "../jobs/handlers.js";
import { createExecutor, executorOptionsFromEnv } from "../worker/executor.js";
import type { GitHub } from "../github/client.js";
import { loadServerConfig } from "./server-config-file.js";
import { Metrics } from "./metrics.js";
import { operatorRoutes } from "./health.js";
import { githubAnswerPlugin } from "../github/request-observer.js";
import { withoutProcessThrottle, writeGuard } from "../github/write-guard.js";
import { WriteBudget } from "../store/write-budget.js";
import { jobGaveUp } from "../requests/job-gave-up.js";
import { drainOnSignals } from "./shutdown.js";

// Probot reads .env only inside run(); the server file's path may be set there too.
if (existsSync(".env")) process.loadEnvFile(".env");
// Before anything listens: a bad server file stops the app with the path and the problems.
const server = loadServerConfig(process.env);
let metrics: Metrics | null = null;

/**
 * The job runner, and the installation clients of jobs and executions: each takes its writes
 * from the budget in the store that all replicas and workers share (README "GitHub API
 * budget"); a job that gives up for good marks its request stuck.
 */
function jobRunner(app: Probot, services: Services): { githubFor: GithubFor; runner: JobRunner } {
  const guard = writeGuard(new WriteBudget(services.database.knex), { log: app.log });
  const githubFor = async (installationId: number) =>
    guard((await app.auth(installationId)) as GitHub, installationId);
  const runner = new JobRunner(services.jobs, jobHandlers(services, app.log), githubFor, app.log, {
    onJobFailed: (kind, final) => metrics?.jobFailed(kind, final),
    onGaveUp: (job, reason) =>
      jobGaveUp({ store: services.store, githubFor, log: app.log }, job, reason),
  });
  return { githubFor, runner };
}

type GithubFor = (installationId: number) => Promise<GitHub>;

const probotServer = await run(
  async (app, { addHandler }) => {
    const database = await openDatabase({
      url: process.env.DATABASE_URL,
      embeddedPath: process.env.COUNTERSIGN_DATA_DIR,
    });
    const services = createServices(database, process.env, server.config);
    metrics = new Metrics(services);
    if (!server.found) {
      app.log.warn(
        { path: server.path },
        "no server file: no resource exists until countersign.server.yml (or COUNTERSIGN_CONFIG) declares one",
      );
    }
    addHandler(operatorRoutes({ knex: database.knex, jobs: services.jobs }, metrics));
    await createApp(services, metrics)(app, { cwd: process.cwd(), addHandler });
    const { githubFor, runner } = jobRunner(app, services);
    runner.start();
    const executor =
      process.env.COUNTERSIGN_IN_PROCESS_WORKER === "false"
        ? null
        : createExecutor(
            { ...services, env: process.env, log: app.log, githubFor },
            { url: process.env.DATABASE_URL, shared: database.shared },
            {
              ...executorOptionsFromEnv(process.env),
              onExecutionEnd: (status, seconds) => metrics?.executionEnded(status, seconds),
            },
          );
    executor?.start();
    const refreshEveryMs = Number(process.env.COUNTERSIGN_REFRESH_MS ?? DEFAULT_REFRESH_MS);
    // Every replica may sweep: each expired request gets one deduplicated job, and so does
    // each pending request once per refresh interval (webhooks GitHub never sent).
    const reconciler = {
      state: new ReconcilerState(database.knex),
      holder: `app-${randomUUID().slice(0, 8)}`,
      leaseMs: 180_000,
      now: () => new Date(),
    };
    const sweeper = setInterval(() => {
      // One replica at a time asks GitHub to redeliver what failed to reach us.
      app
        .auth()
        .then((appGithub) => reconcileDeliveries(reconciler, appGithub as GitHub))
        .then((result) => {
          if (result.redelivered.length > 0) {
            app.log.info({ guids: result.redelivered }, "asked GitHub to redeliver webhooks");
          }
        })
        .catch((error: unknown) => {
          app.log.warn({ err: String(error) }, "webhook redelivery reconciler failed");
        });
      Promise.all([
        sweepExpired(services.store, services.jobs),
        sweepGrants(services.store, services.jobs),
        sweepPendingRequests(services.store, services.jobs, new Date(), refreshEveryMs),
        // With an in-process worker this process holds the resource URLs; else the worker sweeps.
        executor === null
          ? 0
          : sweepUndoBackups({ store: services.store, env: process.env, log: app.log }, new Date()),
      ]).catch((error: unknown) => {
        app.log.error({ err: String(error) }, "expiry sweep failed");
      });
    }, 60_000);
    drainOnSignals(app.log, async () => {
      clearInterval(sweeper);
      await probotServer?.stop();
      // Running commands first: they may still need the job runner's database.
      const stopped = await executor?.stop(
        Number(process.env.COUNTERSIGN_SHUTDOWN_TIMEOUT_MS ?? 30_000),
      );
      await runner.stop();
      await database.close();
      return (stopped?.abandoned ?? 0) > 0 ? 1 : 0;
    });
    app.log.info({ embedded: !database.shared }, "countersign is running");
  },
  {
    Octokit: ProbotOctokit.plugin(
      githubAnswerPlugin((method, route, status, remaining) =>
        metrics?.githubAnswered(method, route, status, remaining),
      ),
    ).defaults(withoutProcessThrottle),
  },
);
// Probot adds its own SIGINT handler after the app has loaded; it exits without draining,
// so a running command would end `unknown`. Ours (added by drainOnSignals) is the one.
drainOnSignals.takeOver();
