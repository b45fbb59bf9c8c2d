/**
 * Notifications as `notify` jobs through the real JobRunner and store, posting to a real HTTP
 * server on 127.0.0.1: queued only when the resource has a notify URL, once per event; a 500
 * retried with the runner's backoff; a 429's retry-after honoured; a refusal given up at once
 * without marking the request stuck; and the URL (a secret) never in the store or a log line.
 * Time passes by moving the job's `run_after` back, not by sleeping.
 */
import nock from "nock";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Knex } from "knex";
import type { Logger } from "../../src/jobs/job-log.js";
import { notificationMessage, type NotificationEvent } from "../../src/notify/message.js";
import { aboutRequest, queueNotification } from "../../src/notify/notify-job.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { resetDatabase } from "../helpers/databases.js";
import {
  API,
  createHarness,
  INSTALLATION_ID,
  mockInstallationToken,
  type Harness,
} from "../helpers/github.js";
import { seedOpenRequest } from "../helpers/seed.js";
import { openServerConfig } from "../helpers/server-floor.js";

const VARIABLE = "COUNTERSIGN_RESOURCE_PROD_DB_NOTIFY_URL";
const SECRET = "T0AAA/B0BBB/Xy7sEcReTtOkEn42";
const opened: NotificationEvent = {
  kind: "opened",
  requestId: 12,
  resource: "prod-db",
  repo: "acme/ops",
  requester: "alice",
  prUrl: "https://github.com/acme/ops/pull/13",
  reason: "INC-4711",
};

let database: Database;
let server: Server;
let hookUrl: string;
/** What the server answers, in order (the last one repeats), and the bodies it received. */
let answers: { status: number; headers?: Record<string, string>; body?: string }[];
let posts: string[];
let lines: string[];

const recordingLog: Logger = {
  info: (object, message) => void lines.push(JSON.stringify({ object, message })),
  warn: (object, message) => void lines.push(JSON.stringify({ object, message })),
  error: (object, message) => void lines.push(JSON.stringify({ object, message })),
};

beforeAll(async () => {
  database = await openDatabase({ embeddedPath: "memory://" });
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      posts.push(body);
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      response.writeHead(answer?.status ?? 200, answer?.headers).end(answer?.body ?? "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${SECRET}`;
  // GitHub stays mocked; only the local webhook server is reachable.
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterAll(async () => {
  nock.enableNetConnect();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await database.close();
});
beforeEach(async () => {
  await resetDatabase(database);
  nock.cleanAll();
  // The runner gets each job an installation client; notify jobs never use it.
  mockInstallationToken(nock(API), { optional: true });
  answers = [{ status: 200 }];
  posts = [];
  lines = [];
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

function harness(env: NodeJS.ProcessEnv = { [VARIABLE]: hookUrl }, maxAttempts = 3): Harness {
  return createHarness(database, env, openServerConfig(), undefined, recordingLog, {
    runner: { maxAttempts },
  });
}

interface JobRow {
  kind: string;
  request_id: number | null;
  dedupe_key: string;
  payload: string;
  attempts: number;
  last_error: string | null;
  done_at: Date | null;
}

const notifyJobs = async (): Promise<JobRow[]> =>
  (await database.knex("jobs").where({ kind: "notify" }).orderBy("id")) as JobRow[];

/** Seconds from the database's now() until the notify job may run again. */
async function secondsUntilRetry(knex: Knex): Promise<number> {
  const row = (await knex("jobs")
    .where({ kind: "notify" })
    .first(knex.raw("extract(epoch from run_after - now()) as seconds"))) as { seconds: string };
  return Number(row.seconds);
}

async function timePasses(knex: Knex, seconds: number): Promise<void> {
  await knex("jobs")
    .whereNull("done_at")
    .update({ run_after: knex.raw("run_after - ? * interval '1 second'", [seconds]) });
}

/** Nothing the app stored or logged holds the URL or its secret. */
async function expectNoSecretKept(): Promise<void> {
  const kept = JSON.stringify([await database.knex("jobs").select("*"), lines]);
  expect(kept).not.toContain(hookUrl);
  expect(kept).not.toContain("Xy7sEcReTtOkEn42");
}

test("no notify URL: no job is made", async () => {
  const { services } = harness({});
  expect(await queueNotification(services, INSTALLATION_ID, opened)).toBe(false);
  expect(await queueNotification({ ...services, env: { [VARIABLE]: " " } }, 2, opened)).toBe(false);
  expect(await database.knex("jobs").count({ n: "*" }).first()).toEqual({ n: 0 });
});

test("queued once per event, naming no request; the job posts the event's message", async () => {
  const { services, drain } = harness();
  expect(await queueNotification(services, INSTALLATION_ID, opened)).toBe(true);
  // A redelivered webhook, a retried job: the same event is not announced twice.
  expect(await queueNotification(services, INSTALLATION_ID, opened)).toBe(false);
  const [row] = await notifyJobs();
  expect(row).toMatchObject({ request_id: null, dedupe_key: "notify:12:opened" });
  expect(JSON.parse(row?.payload ?? "")).toEqual({ resource: "prod-db", event: opened });

  expect(await drain()).toBe(1);
  expect(posts).toEqual([JSON.stringify(notificationMessage(opened))]);
  expect(await notifyJobs()).toEqual([
    expect.objectContaining({ attempts: 1, last_error: null, done_at: expect.any(Date) }),
  ]);
  await expectNoSecretKept();
});

test("an event about a stored request takes its facts from it, never its command", async () => {
  const { services } = harness();
  const request = await seedOpenRequest(services, { command: "SELECT 'hunter2'" });
  const event: NotificationEvent = { kind: "outcome", ...aboutRequest(request), status: "failed" };
  expect(event).toEqual({
    kind: "outcome",
    requestId: request.id,
    resource: "prod-db",
    repo: `${request.owner}/${request.repo}`,
    requester: "alice",
    prUrl: `https://github.com/${request.owner}/${request.repo}/pull/42`,
    status: "failed",
  });
  expect(aboutRequest({ ...request, prUrl: null }).prUrl).toBe("");
  expect(JSON.stringify(notificationMessage(event))).not.toContain("hunter2");
});

test("a 500 is retried with the runner's backoff, and the retry delivers", async () => {
  const { services, drain } = harness();
  answers = [{ status: 500 }, { status: 200 }];
  await queueNotification(services, INSTALLATION_ID, opened);

  expect(await drain()).toBe(1);
  const [failed] = await notifyJobs();
  expect(failed).toMatchObject({
    attempts: 1,
    done_at: null,
    last_error: "the notify webhook answered HTTP 500",
  });
  // The runner's first backoff is 5 s: nothing is due before it.
  expect(await secondsUntilRetry(database.knex)).toBeGreaterThan(4);
  expect(await drain()).toBe(0);

  await timePasses(database.knex, 5);
  expect(await drain()).toBe(1);
  expect(posts).toHaveLength(2);
  expect(await notifyJobs()).toEqual([
    expect.objectContaining({ attempts: 2, last_error: null, done_at: expect.any(Date) }),
  ]);
  await expectNoSecretKept();
});

test("a 429 waits as long as its retry-after asks, longer than the backoff", async () => {
  const { services, drain } = harness();
  answers = [{ status: 429, headers: { "retry-after": "120" } }, { status: 200 }];
  await queueNotification(services, INSTALLATION_ID, opened);

  await drain();
  expect((await notifyJobs())[0]?.last_error).toBe(
    "the notify webhook answered HTTP 429; retry after 120 s",
  );
  expect(await secondsUntilRetry(database.knex)).toBeGreaterThan(119);
  expect(await secondsUntilRetry(database.knex)).toBeLessThanOrEqual(120);

  await timePasses(database.knex, 60);
  expect(await drain()).toBe(0);
  await timePasses(database.knex, 60);
  expect(await drain()).toBe(1);
  expect(posts).toHaveLength(2);
  expect((await notifyJobs())[0]?.done_at).toEqual(expect.any(Date));
});

test("a refusal (404 no_service) gives up at once, and marks no request stuck", async () => {
  // One attempt would do anyway; six show that a 4xx is not retried.
  const { services, drain } = harness(undefined, 6);
  const request = await seedOpenRequest(services);
  const eventsBefore = await services.store.events(request.id);
  answers = [{ status: 404, body: "no_service" }];
  await queueNotification(services, INSTALLATION_ID, { ...opened, requestId: request.id });

  expect(await drain()).toBe(1);
  expect(posts).toHaveLength(1);
  expect(await notifyJobs()).toEqual([
    expect.objectContaining({
      attempts: 1,
      done_at: expect.any(Date),
      last_error: "the notify webhook answered HTTP 404 (no_service)",
    }),
  ]);
  // The request is as it was: no "job gave up" event, and no stuck label or notice was tried
  // (GitHub is mocked for the token only, so a try would have logged its failure).
  expect(await services.store.events(request.id)).toEqual(eventsBefore);
  expect(lines.filter((line) => line.includes("could not"))).toEqual([]);
  await expectNoSecretKept();
});

test("a URL set but invalid is queued and fails where the operator looks, naming the variable", async () => {
  const insecure = "http://hooks.example.com/services/Xy7sEcReTtOkEn42";
  const { services, drain } = harness({ [VARIABLE]: insecure }, 1);
  expect(await queueNotification(services, INSTALLATION_ID, opened)).toBe(true);
  await drain();
  expect(posts).toEqual([]);
  const [row] = await notifyJobs();
  expect(row?.last_error).toBe(
    `${VARIABLE} must be an https URL (plain http only to 127.0.0.1 or localhost)`,
  );
  expect(lines.some((line) => line.includes("job failed for good"))).toBe(true);
  expect(JSON.stringify([row, lines])).not.toContain("Xy7sEcReTtOkEn42");
});

test("a URL taken away before the job ran: nothing is posted, the job is done", async () => {
  await queueNotification(harness().services, INSTALLATION_ID, opened);
  // Another replica (or this one after a restart) without the variable runs it.
  expect(await harness({}).drain()).toBe(1);
  expect(posts).toEqual([]);
  expect(await notifyJobs()).toEqual([
    expect.objectContaining({ last_error: null, done_at: expect.any(Date) }),
  ]);
});
