/**
 * Two replicas (two harnesses, each a Probot with its own job runner and write guard) on ONE
 * store share the installation's write budget: the writes GitHub receives never exceed the
 * limit in any window. Scaled down so the test takes seconds, not minutes: 8 writes per 2 s
 * window with a burst of 2 (then 3 a second), instead of 80 a minute with a burst of 10;
 * the code path (guard → store budget → sleep → write) is the one production runs.
 */
import nock from "nock";
import type { Database } from "../../src/store/database.js";
import type { WriteLimits } from "../../src/store/write-budget.js";
import { testDatabases } from "../helpers/databases.js";
import { API, createHarness, INSTALLATION_ID, mockInstallationToken } from "../helpers/github.js";
import { OWNER, REPO } from "../helpers/payloads.js";
import { openServerConfig } from "../helpers/server-floor.js";

const WINDOW_MS = 2_000;
const LIMIT = 8;
const SCALED: WriteLimits = {
  minute: { limit: LIMIT, windowMs: WINDOW_MS, burst: 2 },
  hour: { limit: 1_000_000, windowMs: 3_600_000, burst: 100_000 },
};
const WRITES = 16;

/** The most arrivals in any window of `windowMs` that starts at an arrival. */
function busiestWindow(arrivals: number[], windowMs: number): number {
  return Math.max(
    ...arrivals.map(
      (start) => arrivals.filter((at) => at >= start && at < start + windowMs).length,
    ),
  );
}

describe.each(testDatabases())("two replicas on $name", ({ open }) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
    nock.disableNetConnect();
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await database.close();
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
  });

  test(`never more than ${LIMIT} writes in any ${WINDOW_MS} ms window between them`, async () => {
    const replicas = [0, 1].map(() =>
      createHarness(database, {}, openServerConfig(), undefined, undefined, {
        writeLimits: SCALED,
      }),
    );
    for (let number = 1; number <= WRITES; number += 1) {
      await replicas[0]?.jobs.enqueue({
        kind: "reply",
        payload: { owner: OWNER, repo: REPO, number, body: `reply ${number}` },
        installationId: INSTALLATION_ID,
      });
    }
    mockInstallationToken(nock(API));
    mockInstallationToken(nock(API));
    const arrivals: number[] = [];
    nock(API)
      .post(/^\/repos\/acme\/ops\/issues\/\d+\/comments$/)
      .times(WRITES)
      .reply(() => {
        arrivals.push(performance.now());
        return [201, { id: arrivals.length, html_url: "https://github.com/acme/ops/issues/1" }];
      });

    const ran = await Promise.all(replicas.map((replica) => replica.drain()));

    expect(arrivals).toHaveLength(WRITES);
    // Both replicas took jobs: the bound below holds between them, not per process.
    expect(ran[0]).toBeGreaterThan(0);
    expect(ran[1]).toBeGreaterThan(0);
    expect((ran[0] ?? 0) + (ran[1] ?? 0)).toBe(WRITES);
    expect(busiestWindow(arrivals, WINDOW_MS)).toBeLessThanOrEqual(LIMIT);
    // Not vacuous: the budget held writes back (16 writes cannot fit one window).
    expect(busiestWindow(arrivals, WINDOW_MS)).toBeGreaterThanOrEqual(LIMIT - 2);
    expect(await replicas[0]?.jobs.failedJobs()).toEqual([]);
  }, 30_000);
});
