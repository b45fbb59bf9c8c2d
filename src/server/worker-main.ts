/**
 * `npm run worker`: an execution worker on its own, for scale-out. It shares the app's
 * PostgreSQL (DATABASE_URL) and authenticates as the app (APP_ID, PRIVATE_KEY or
 * PRIVATE_KEY_PATH, GHE_HOST for GitHub Enterprise) without a webhook server. The embedded
 * store lives inside one process, so a separate worker needs DATABASE_URL.
 *
 * SIGTERM/SIGINT: stop claiming, let running commands finish up to
 * COUNTERSIGN_SHUTDOWN_TIMEOUT_MS (default 30 s), then abort them (rolled back, `failed`).
 */
import { existsSync } from "node:fs";
import { createProbot, ProbotOctokit } from "probot";
import type { GitHub } from "../github/client.js";
import { withoutProcessThrottle, writeGuard } from "../github/write-guard.js";
import { WriteBudget } from "../store/write-budget.js";
import { openDatabase } from "../store/database.js";
import { createExecutor, executorOptionsFromEnv } from "../worker/executor.js";
import { sweepUndoBackups } from "../requests/undo-sweep.js";
import { createServices } from "../requests/services.js";
import { loadServerConfig } from "./server-config-file.js";
import { drainOnSignals } from "./shutdown.js";

// The same .env the setup page wrote for `npm start` (Probot's `run` reads it there; a
// worker built with createProbot does not). Variables already set win.
if (existsSync(".env")) process.loadEnvFile(".env");
const env = process.env;

// Before any logger exists: these are start-up errors for the operator's terminal.
if (!env.DATABASE_URL) {
  console.error(
    "npm run worker needs DATABASE_URL: the embedded store cannot be shared between processes (npm start runs a worker in-process).",
  );
  process.exit(1);
}
if (!env.APP_ID || Number.isNaN(Number(env.APP_ID))) {
  console.error(
    "npm run worker needs the app's credentials: APP_ID and PRIVATE_KEY or PRIVATE_KEY_PATH.",
  );
  process.exit(1);
}

const server = loadServerConfig(env);
// Writes are spaced by the installation's budget in the store, shared with the app's
// replicas, not per process (github/write-guard.ts).
const probot = createProbot({
  env,
  overrides: { Octokit: ProbotOctokit.defaults(withoutProcessThrottle) },
});
// Probot builds its logger while it initialises; app-level auth waits for that (no request).
await probot.auth();
const log = probot.log;

const database = await openDatabase({ url: env.DATABASE_URL });
const services = createServices(database, env, server.config);
const guard = writeGuard(new WriteBudget(database.knex), { log });
const executor = createExecutor(
  {
    ...services,
    env,
    log,
    githubFor: async (installationId) =>
      guard((await probot.auth(installationId)) as GitHub, installationId),
  },
  { url: env.DATABASE_URL, shared: database.shared },
  executorOptionsFromEnv(env),
);
executor.start();
// Undo backups past the resource's keep_for are dropped where the resource URLs live.
const undoSweep = setInterval(() => {
  sweepUndoBackups({ store: services.store, env, log }, new Date()).catch((error: unknown) => {
    log.warn({ err: String(error) }, "undo backup sweep failed");
  });
}, 60 * 60_000);

drainOnSignals(log, async () => {
  log.info({ workerId: executor.workerId }, "stopping the worker");
  clearInterval(undoSweep);
  const result = await executor.stop(Number(env.COUNTERSIGN_SHUTDOWN_TIMEOUT_MS ?? 30_000));
  await database.close();
  return result.abandoned > 0 ? 1 : 0;
});
