/**
 * `npm start`: the app on its embedded defaults. Without APP_ID and a private key, Probot
 * serves its setup page, which registers the app from app.yml; with them, Countersign opens
 * its database (DATABASE_URL, or the embedded store in .countersign-data) and runs its jobs
 * in this process.
 */
import { run } from "probot";
import { createApp } from "../app.js";
import { openDatabase } from "../store/database.js";
import { RequestStore } from "../store/requests.js";
import { JobQueue } from "../store/jobs.js";
import { createCommandChecker } from "../requests/command-check.js";
import { JobRunner } from "../worker/job-runner.js";
import { jobHandlers } from "../worker/jobs.js";
import type { GitHub } from "../github/client.js";

await run(async (app) => {
  const database = await openDatabase({
    url: process.env.DATABASE_URL,
    embeddedPath: process.env.COUNTERSIGN_DATA_DIR,
  });
  const store = new RequestStore(database.knex);
  const jobs = new JobQueue(database.knex);
  await createApp({
    store,
    jobs,
    checkCommand: createCommandChecker(process.env),
    now: () => new Date(),
  })(app, { cwd: process.cwd(), addHandler: () => undefined });
  const runner = new JobRunner(
    jobs,
    jobHandlers(store, app.log),
    async (installationId) => (await app.auth(installationId)) as GitHub,
    app.log,
  );
  runner.start();
  const shutdown = async () => {
    await runner.stop();
    await database.close();
  };
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));
  app.log.info({ embedded: !database.shared }, "countersign is running");
});
