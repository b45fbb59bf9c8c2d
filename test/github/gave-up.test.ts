/**
 * A job that gives up for good leaves its request where a person sees it: the label
 * `countersign:stuck` on its PR, a line in its events, and the metric
 * `countersign_jobs_gave_up_total{kind}`.
 */
import nock from "nock";
import { Metrics } from "../../src/server/metrics.js";
import { openServerConfig } from "../helpers/server-floor.js";
import { API, createHarness, INSTALLATION_ID, mockInstallationToken } from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";
import { handlerSuite } from "../helpers/suite.js";
import { backoffPassed } from "./fake-github.js";

const suite = handlerSuite();
const UNAVAILABLE = { message: "Service Unavailable" };

test("after its last attempt: a label on the PR, an event, and the metric", async () => {
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
      .reply(200, [{ name: "countersign:stuck" }]),
  );

  await harness.drain();
  expect(labels).toBeNull();
  await backoffPassed(harness);
  await harness.drain();

  expect(labels).toEqual({ labels: ["countersign:stuck"] });
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
