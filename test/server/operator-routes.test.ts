/**
 * /healthz, /readyz and /metrics through real HTTP requests to a real listener, over the
 * embedded store; a webhook delivered through a real Probot moves the metrics.
 */
import nock from "nock";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { operatorRoutes, STUCK_QUEUE_SECONDS } from "../../src/server/health.js";
import { Metrics } from "../../src/server/metrics.js";
import { createServices } from "../../src/requests/services.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import {
  API,
  createHarness,
  mockConfig,
  mockInstallationToken,
  mockPermission,
} from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";
import { openServerConfig } from "../helpers/server-floor.js";

let database: Database;
let server: Server;
let base: string;
let metrics: Metrics;

async function listen(db: Database): Promise<void> {
  const services = createServices(db, {}, openServerConfig());
  metrics = new Metrics(services);
  const routes = operatorRoutes({ knex: db.knex, jobs: services.jobs }, metrics);
  server = createServer((request, response) => {
    void routes(request, response).then((handled) => {
      if (!handled) response.writeHead(404).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// One embedded store for the file (PGlite takes seconds to start); tests that need another
// state make their own.
beforeAll(async () => {
  database = await openDatabase({ embeddedPath: "memory://" });
  await listen(database);
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  await database.close();
});
afterEach(async () => {
  await database.knex.raw("TRUNCATE requests, request_events, jobs RESTART IDENTITY CASCADE");
  nock.cleanAll();
});

test("/healthz answers while the process lives", async () => {
  const response = await fetch(`${base}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
});

test("/readyz: ready with the store up, migrations current and the queue moving", async () => {
  const response = await fetch(`${base}/readyz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({
    ready: true,
    checks: { store: "ok", migrations: "ok", queue: "ok" },
  });
});

test("/readyz: 503 when a due job has waited too long (nobody runs jobs)", async () => {
  await database.knex("jobs").insert({
    kind: "reply",
    installation_id: 1,
    payload: "{}",
    run_after: new Date(Date.now() - (STUCK_QUEUE_SECONDS + 60) * 1000),
  });
  const response = await fetch(`${base}/readyz`);
  expect(response.status).toBe(503);
  const body = (await response.json()) as { checks: { queue: string } };
  expect(body.checks.queue).toMatch(/^stuck: the oldest due job has waited \d+ s$/);
});

test("/readyz: 503 when the store is down", async () => {
  const down = await openDatabase({ embeddedPath: "memory://" });
  const routes = operatorRoutes(
    { knex: down.knex, jobs: createServices(down, {}, openServerConfig()).jobs },
    metrics,
  );
  await down.close();
  const alone = createServer((request, response) => void routes(request, response));
  await new Promise<void>((done) => alone.listen(0, "127.0.0.1", done));
  const response = await fetch(`http://127.0.0.1:${(alone.address() as AddressInfo).port}/readyz`);
  await new Promise((done) => alone.close(done));
  expect(response.status).toBe(503);
  const body = (await response.json()) as { ready: boolean; checks: { store: string } };
  expect(body.ready).toBe(false);
  expect(body.checks.store).toMatch(/^unreachable: /);
});

test("/metrics: Prometheus text with every family, and an intake moves them", async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const harness = createHarness(database, {}, openServerConfig(), metrics);
  const scope = mockInstallationToken(nock(API));
  mockPermission(scope, OWNER, REPO, "alice", "write");
  mockConfig(scope, OWNER, REPO, "resources:\n  prod-db:\n    approvals: none\n");

  const before = await (await fetch(`${base}/metrics`)).text();
  for (const name of [
    "countersign_requests",
    "countersign_job_queue_depth",
    "countersign_job_oldest_due_age_seconds",
    "countersign_job_failures_total",
    "countersign_executions_total",
    "countersign_execution_duration_seconds",
    "countersign_webhook_duration_seconds",
    "countersign_github_requests_total",
    "countersign_github_rate_limit_remaining",
  ]) {
    expect(before).toContain(`# TYPE ${name} `);
  }
  expect(before).not.toContain('countersign_requests{status="pending"}');

  await harness.probot.receive({
    id: "d-1",
    name: "issue_comment",
    payload: issueCommentCreated({ body: "/run prod-db SELECT 1" }),
  } as Parameters<typeof harness.probot.receive>[0]);
  // The webhook queued the intake; its job reads GitHub and records the request.
  expect(await harness.runner.runOnce()).toBe(true);

  const response = await fetch(`${base}/metrics`);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const after = await response.text();
  expect(after).toContain('countersign_requests{status="pending"} 1');
  expect(after).toContain('countersign_webhook_duration_seconds_count{event="issue_comment"} 1');
  expect(after).toContain("countersign_job_queue_depth 1");
  expect(scope.isDone()).toBe(true);
  nock.enableNetConnect();
});

test("other paths are left to Probot", async () => {
  expect((await fetch(`${base}/api/github/webhooks`)).status).toBe(404);
});
