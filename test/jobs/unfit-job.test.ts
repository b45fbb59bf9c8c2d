/**
 * A stored job that does not fit its kind (written by an older version, or edited by hand)
 * can never succeed: the runner fails it for good on its first attempt, without retrying it
 * for half an hour, and reports it like any job that gave up.
 */
import type { Job } from "../../src/store/jobs.js";
import { createHarness, INSTALLATION_ID } from "../helpers/github.js";
import { openServerConfig } from "../helpers/server-floor.js";
import { handlerSuite } from "../helpers/suite.js";

const suite = handlerSuite({ optionalToken: true });

async function storeRaw(kind: string, payload: unknown, requestId: number | null): Promise<void> {
  await suite.database.knex("jobs").insert({
    kind,
    installation_id: INSTALLATION_ID,
    request_id: requestId,
    payload: JSON.stringify(payload),
    run_after: suite.database.knex.fn.now(),
  });
}

test.each<[string, string, unknown, number | null, RegExp]>([
  ["a payload missing a field", "reply", { owner: "acme", repo: "ops" }, null, /number|body/],
  ["an unknown kind", "launch_rockets", {}, null, /launch_rockets/],
  [
    "a request job naming no request",
    "source_edited",
    { editor: "mallory" },
    null,
    /names no request/,
  ],
])("%s: failed for good at once, reported once", async (_, kind, payload, requestId, why) => {
  const gaveUp: { job: Job; reason: string }[] = [];
  const failures: [string, boolean][] = [];
  const harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
    runner: {
      maxAttempts: 6,
      onGaveUp: (job, reason) => {
        gaveUp.push({ job, reason });
        return Promise.resolve();
      },
      onJobFailed: (failedKind, final) => failures.push([failedKind, final]),
    },
  });
  await storeRaw(kind, payload, requestId);

  await harness.drain();

  expect(failures).toEqual([[kind, true]]);
  expect(gaveUp).toHaveLength(1);
  expect(gaveUp[0]?.job).toMatchObject({ kind, attempts: 1 });
  expect(gaveUp[0]?.reason).toMatch(why);
  const [failed] = await harness.jobs.failedJobs();
  expect(failed?.kind).toBe(kind);
  expect(await harness.jobs.pendingCount()).toBe(0);
});
