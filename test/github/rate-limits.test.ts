/**
 * Issue #15 item 3: a rate-limited write is neither dropped nor hammered. A secondary-limit
 * 403 with `retry-after: 30` pauses the installation's writes in the store (every replica
 * pauses) and the job writes after the wait. Time passes by moving the stored times back,
 * not by sleeping: the job's `run_after` and the budget's `paused_until`.
 */
import nock from "nock";
import type { Knex } from "knex";
import { openServerConfig } from "../helpers/server-floor.js";
import {
  API,
  createHarness,
  INSTALLATION_ID,
  mockInstallationToken,
  type Harness,
} from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { handlerSuite } from "../helpers/suite.js";

const suite = handlerSuite();
const SECONDARY = {
  message:
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
};

async function queueReply(harness: Harness, number: number, body: string): Promise<void> {
  await harness.jobs.enqueue({
    kind: "reply",
    payload: { owner: OWNER, repo: REPO, number, body },
    installationId: INSTALLATION_ID,
  });
}

/** Seconds from the database's now() until `column` of the rows `query` selects. */
async function secondsUntil(
  knex: Knex,
  table: string,
  column: string,
  id: object,
): Promise<number> {
  const row = (await knex(table)
    .where(id)
    .first(knex.raw(`extract(epoch from ${column} - now()) as seconds`))) as { seconds: string };
  return Number(row.seconds);
}

/** As if `seconds` had passed: every stored time the wait depends on moves back. */
async function timePasses(knex: Knex, seconds: number): Promise<void> {
  const back = knex.raw(`? * interval '1 second'`, [seconds]);
  await knex("jobs")
    .whereNull("done_at")
    .update({ run_after: knex.raw(`run_after - ${back.toQuery()}`) });
  await knex("write_budget").update({ paused_until: knex.raw(`paused_until - ${back.toQuery()}`) });
}

beforeEach(async () => {
  await suite.database.knex("write_budget").delete();
});

test("a secondary-limit 403 with retry-after: 30 pauses every replica; the write happens after the wait", async () => {
  const { knex } = suite.database;
  const replicaA = suite.harness;
  // Another replica on the same store; it sleeps at most 5 s for the budget, then reschedules.
  const replicaB = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    writeGuard: { maxWaitMs: 5_000 },
  });
  mockInstallationToken(nock(API));
  // B never reaches GitHub while the pause lasts, so it may never need a token.
  mockInstallationToken(nock(API), { optional: true });
  suite.recorder.watch(
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`)
      .reply(403, SECONDARY, { "retry-after": "30", "x-ratelimit-remaining": "4000" }),
  );
  await queueReply(replicaA, 7, "first");
  await replicaA.drain();

  // A: the job waits out the 30 s GitHub asked for, and so do the installation's writes.
  const first = { id: 1 };
  expect(await secondsUntil(knex, "jobs", "run_after", first)).toBeGreaterThan(29);
  expect(await secondsUntil(knex, "jobs", "run_after", first)).toBeLessThanOrEqual(30);
  const installation = { installation_id: INSTALLATION_ID };
  expect(await secondsUntil(knex, "write_budget", "paused_until", installation)).toBeGreaterThan(
    29,
  );

  // B: its write is held back by the pause A stored, without a call to GitHub.
  await queueReply(replicaB, 8, "second");
  expect(await replicaB.drain()).toBe(1);
  const second = (await knex("jobs").where({ id: 2 }).first()) as {
    last_error: string;
    done_at: Date | null;
  };
  expect(second).toMatchObject({ done_at: null });
  expect(second.last_error).toContain(
    "write budget of installation 2 is spent: next write in 30 s",
  );
  expect(await secondsUntil(knex, "jobs", "run_after", { id: 2 })).toBeGreaterThan(29);
  expect(suite.recorder.calls).toHaveLength(1);

  // Nothing is due before the wait is over.
  expect(await replicaA.drain()).toBe(0);

  await timePasses(knex, 30);
  suite.recorder.watch(
    nock(API)
      // Retried jobs look first (the 403 was no ambiguous answer, but a crash might have been).
      .get(`/repos/${OWNER}/${REPO}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`)
      .reply(201, { id: 1, html_url: "https://github.com/acme/ops/issues/7#issuecomment-1" })
      .get(`/repos/${OWNER}/${REPO}/issues/8/comments`)
      .query({ per_page: 100 })
      .reply(200, [])
      .post(`/repos/${OWNER}/${REPO}/issues/8/comments`)
      .reply(201, { id: 2, html_url: "https://github.com/acme/ops/issues/8#issuecomment-2" }),
  );
  expect(await replicaA.drain()).toBe(2);

  expect(suite.recorder.writes()).toEqual([
    `POST /repos/${OWNER}/${REPO}/issues/7/comments`,
    `POST /repos/${OWNER}/${REPO}/issues/7/comments`,
    `POST /repos/${OWNER}/${REPO}/issues/8/comments`,
  ]);
  expect(await replicaA.jobs.pendingCount()).toBe(0);
  expect(await replicaA.jobs.failedJobs()).toEqual([]);
});

test("a spent primary limit reschedules the job until x-ratelimit-reset", async () => {
  const { knex } = suite.database;
  mockInstallationToken(nock(API));
  const reset = Math.floor(Date.now() / 1000) + 120;
  nock(API)
    .post(`/repos/${OWNER}/${REPO}/issues/7/comments`)
    .reply(
      403,
      { message: "API rate limit exceeded for installation ID 2." },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    );
  await queueReply(suite.harness, 7, "hello");
  await suite.harness.drain();

  const wait = await secondsUntil(knex, "jobs", "run_after", { id: 1 });
  expect(wait).toBeGreaterThan(115);
  expect(wait).toBeLessThanOrEqual(122);
  expect(await suite.harness.jobs.failedJobs()).toEqual([]);
});

test("a 5xx on a write is not sent again by Octokit: the job retries, and looks first", async () => {
  const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    runner: { maxAttempts: 2 },
  });
  mockInstallationToken(nock(API));
  suite.recorder.watch(
    nock(API)
      .post(`/repos/${OWNER}/${REPO}/issues/7/comments`)
      .reply(500, { message: "Server Error" })
      .get(`/repos/${OWNER}/${REPO}/issues/7/comments`)
      .query({ per_page: 100 })
      .reply(200, []),
  );
  await queueReply(harness, 7, "hello");
  await harness.drain();
  expect(await secondsUntil(suite.database.knex, "jobs", "run_after", { id: 1 })).toBeGreaterThan(
    4,
  );
  expect(suite.recorder.writes()).toHaveLength(1);
});
