/**
 * A job that gives up for good leaves its request where a person sees it: the label
 * `countersign:stuck` and a notice in the body of its PR, a line in its events, and the metric
 * `countersign_jobs_gave_up_total{kind}`; without a PR (an intake, an open_request that never
 * made one) a comment on the thread the command came from.
 */
import nock from "nock";
import { Metrics } from "../../src/server/metrics.js";
import { openServerConfig } from "../helpers/server-floor.js";
import { API, createHarness, INSTALLATION_ID, mockInstallationToken } from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";
import { handlerSuite } from "../helpers/suite.js";
import { backoffPassed } from "./fake-github.js";
import { jobGaveUp, withStuckNotice } from "../../src/requests/job-gave-up.js";

const suite = handlerSuite();
const UNAVAILABLE = { message: "Service Unavailable" };

const OLD_BODY = "## Request 1\n\nWaiting for approval";

test("after its last attempt: a label and a notice on the PR, an event, and the metric", async () => {
  const services = suite.harness.services;
  const metrics = new Metrics(services);
  const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    runner: { maxAttempts: 2, onJobFailed: (kind, final) => metrics.jobFailed(kind, final) },
  });
  const seeded = await seedOpenRequest(harness.services);
  await harness.jobs.enqueue({
    kind: "source_edited",
    payload: { editor: "mallory" },
    installationId: INSTALLATION_ID,
    requestId: seeded.id,
  });
  let labels: unknown = null;
  let patched: { body?: string } = {};
  mockInstallationToken(nock(API));
  const comments = `/repos/${OWNER}/${REPO}/issues/42/comments`;
  suite.recorder.watch(
    nock(API)
      // Attempt 1: GitHub fails and did not post; the look finds nothing, the job retries.
      .post(comments)
      .reply(503, UNAVAILABLE)
      .get(comments)
      .query({ per_page: 100 })
      .reply(200, [])
      // Attempt 2 (the last): look first, write, fail, look again.
      .get(comments)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(comments)
      .reply(503, UNAVAILABLE)
      .get(comments)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`/repos/${OWNER}/${REPO}/issues/42/labels`, (body: unknown) => {
        labels = body;
        return true;
      })
      .reply(200, [{ name: "countersign:stuck" }])
      .get(`/repos/${OWNER}/${REPO}/pulls/42`)
      .reply(200, { number: 42, body: OLD_BODY })
      .patch(`/repos/${OWNER}/${REPO}/pulls/42`, (body: { body?: string }) => {
        patched = body;
        return true;
      })
      .reply(200, { number: 42 }),
  );

  await harness.drain();
  expect(labels).toBeNull();
  await backoffPassed(harness);
  await harness.drain();

  expect(labels).toEqual({ labels: ["countersign:stuck"] });
  // The notice goes on top of the body as it was; the rest of the body stays.
  expect(patched.body).toMatch(
    /^<!-- countersign:stuck -->\n⚠️ \*\*Stuck:\*\* Countersign's source_edited job for this request gave up after 2 attempts \(last error: `Service Unavailable`\)/,
  );
  expect(patched.body?.endsWith(`<!-- /countersign:stuck -->\n\n${OLD_BODY}`)).toBe(true);
  // The next status publish writes the body whole again.
  expect((await harness.store.get(seeded.id))?.statusDigest).toBeNull();
  const events = await harness.store.events(seeded.id);
  expect(events.at(-1)).toMatchObject({
    actor: "countersign",
    detail: "the source_edited job gave up after 2 attempts: Service Unavailable",
  });
  expect(await harness.store.get(seeded.id)).toMatchObject({ status: "pending" });
  const { body } = await metrics.render();
  expect(body).toContain('countersign_jobs_gave_up_total{kind="source_edited"} 1');
  expect(body).toContain('countersign_job_failures_total{kind="source_edited",final="false"} 1');
  expect(await harness.jobs.failedJobs()).toEqual([
    { kind: "source_edited", lastError: "Service Unavailable" },
  ]);
});

test("a job of no request gives up with the metric only", async () => {
  const metrics = new Metrics(suite.harness.services);
  const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    runner: { onJobFailed: (kind, final) => metrics.jobFailed(kind, final) },
  });
  await harness.jobs.enqueue({
    kind: "reply",
    payload: { owner: OWNER, repo: REPO, number: 7, body: "hello" },
    installationId: INSTALLATION_ID,
  });
  mockInstallationToken(nock(API));
  nock(API).post(`/repos/${OWNER}/${REPO}/issues/7/comments`).reply(404, { message: "Not Found" });
  await harness.drain();
  const { body } = await metrics.render();
  expect(body).toContain('countersign_jobs_gave_up_total{kind="reply"} 1');
});

test("withStuckNotice replaces an earlier notice instead of stacking a second", () => {
  const once = withStuckNotice(OLD_BODY, "first");
  const twice = withStuckNotice(once, "second");
  expect(twice).toBe(
    `<!-- countersign:stuck -->\nsecond\n<!-- /countersign:stuck -->\n\n${OLD_BODY}`,
  );
  // A person's text that merely contains the marker further down is not taken for ours.
  const quoted = `intro\n${once}`;
  expect(withStuckNotice(quoted, "x").endsWith(quoted)).toBe(true);
});

test("an intake that gives up answers the thread, so the requester is not left waiting", async () => {
  const metrics = new Metrics(suite.harness.services);
  const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    runner: { maxAttempts: 1, onJobFailed: (kind, final) => metrics.jobFailed(kind, final) },
  });
  await harness.probot.receive({
    id: "delivery-gives-up",
    name: "issue_comment",
    payload: issueCommentCreated({ body: "/run prod-db SELECT 1", issueNumber: 12 }),
  } as Parameters<typeof harness.probot.receive>[0]);
  let posted: { body?: string } = {};
  suite.recorder.watch(
    mockInstallationToken(nock(API))
      .get(`/repos/${OWNER}/${REPO}/collaborators/alice/permission`)
      .reply(503, UNAVAILABLE)
      .post(`/repos/${OWNER}/${REPO}/issues/12/comments`, (body: { body?: string }) => {
        posted = body;
        return true;
      })
      .reply(201, { id: 77, html_url: "https://github.com/acme/ops/issues/12#issuecomment-77" }),
  );
  await harness.drain();
  expect(posted.body).toContain(
    "⚠️ Countersign could not take this command: its intake job gave up after 1 attempt (last error: `Service Unavailable`). No request was made and nothing ran.",
  );
  // The hidden marker makes a second report find this comment instead of posting again.
  expect(posted.body).toMatch(/<!-- countersign:comment:[0-9a-f]+ -->/);
  const requests = await harness.services.database.knex("requests").count({ n: "*" }).first();
  expect(Number(requests?.n)).toBe(0);
  const { body } = await metrics.render();
  expect(body).toContain('countersign_jobs_gave_up_total{kind="intake"} 1');
});

test("a request job that gives up before its PR exists answers the source thread", async () => {
  const harness = suite.harness;
  const seeded = await seedOpenRequest(harness.services, { sourceNumber: 9 });
  await harness.store.patch(seeded.id, { prNumber: null });
  let posted: { body?: string } = {};
  suite.recorder.watch(
    mockInstallationToken(nock(API))
      .post(`/repos/${OWNER}/${REPO}/issues/9/comments`, (body: { body?: string }) => {
        posted = body;
        return true;
      })
      .reply(201, { id: 78, html_url: "https://github.com/acme/ops/issues/9#issuecomment-78" }),
  );
  const job = { kind: "open_request", installationId: INSTALLATION_ID, requestId: seeded.id };
  const warnings: string[] = [];
  await jobGaveUp(
    {
      store: harness.store,
      githubFor: harness.githubFor,
      log: { warn: (_, m) => warnings.push(m) },
    },
    { ...job, attempts: 6, payload: {} },
    "HttpError: Service Unavailable\n    at stack line",
  );
  expect(warnings).toEqual([]);
  expect(posted.body).toContain(
    "⚠️ **Stuck:** Countersign's open_request job for this request gave up after 6 attempts (last error: `HttpError: Service Unavailable`). Nothing ran because of it.",
  );
  expect((await harness.store.events(seeded.id)).at(-1)?.detail).toMatch(
    /^the open_request job gave up after 6 attempts: HttpError: Service Unavailable/,
  );
});
