/**
 * The redelivery reconciler against nock and the embedded store: failed deliveries are
 * asked for again once, deliveries that got through (or were refused on purpose) never,
 * and only the replica holding the lease does it.
 */
import nock from "nock";
import type { GitHub } from "../../src/github/client.js";
import { reconcileDeliveries } from "../../src/requests/redeliver.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ReconcilerState } from "../../src/store/reconciler-state.js";
import { API, testProbot } from "../helpers/worker.js";

let database: Database;
let state: ReconcilerState;
let github: GitHub;
const NOW = new Date("2026-12-04T15:00:00Z");

function delivery(
  id: number,
  guid: string,
  minutesAgo: number,
  statusCode: number,
  redelivery = false,
): object {
  return {
    id,
    guid,
    delivered_at: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString().replace(".000", ""),
    redelivery,
    duration: 0.2,
    status: statusCode === 202 ? "OK" : `Invalid HTTP Response: ${statusCode}`,
    status_code: statusCode,
    event: "issue_comment",
    action: "created",
    installation_id: 2,
    repository_id: 1,
  };
}

const LIST = [
  delivery(16, "g-late", 1, 500),
  delivery(15, "g-retried", 3, 202, true),
  delivery(14, "g-bad", 5, 400),
  delivery(13, "g-retried", 8, 500),
  delivery(12, "g-lost", 10, 502),
  delivery(11, "g-ok", 20, 202),
  delivery(10, "g-too-old", 90, 500),
];

beforeAll(async () => {
  nock.disableNetConnect();
  github = (await testProbot().auth()) as GitHub;
});
afterAll(() => nock.enableNetConnect());
beforeEach(async () => {
  database = await openDatabase({ embeddedPath: "memory://" });
  state = new ReconcilerState(database.knex);
});
afterEach(async () => {
  await database.close();
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const deps = (holder: string) => ({ state, holder, leaseMs: 60_000, now: () => NOW });

test("failed deliveries of the last hour are redelivered once, oldest first", async () => {
  const asked: number[] = [];
  nock(API)
    .get("/app/hook/deliveries")
    .query({ per_page: 100 })
    .twice()
    .reply(200, LIST)
    .post(/\/app\/hook\/deliveries\/\d+\/attempts/)
    .twice()
    .reply(202, function (uri) {
      asked.push(Number(/deliveries\/(\d+)/.exec(uri)?.[1]));
      return {};
    });

  const first = await reconcileDeliveries(deps("replica-a"), github);
  expect(first).toEqual({ leader: true, seen: 6, redelivered: ["g-lost", "g-late"] });
  // Not g-ok (delivered), g-retried (a later attempt got through), g-bad (refused on
  // purpose: 4xx), g-too-old (before the first look-back).
  expect(asked).toEqual([12, 16]);

  // The next run sees them again (the cursor trails) but asks nothing twice.
  const second = await reconcileDeliveries(deps("replica-a"), github);
  expect(second.redelivered).toEqual([]);
});

test("only the lease holder reconciles; an expired lease can be taken over", async () => {
  nock(API).get("/app/hook/deliveries").query(true).reply(200, []);
  expect((await reconcileDeliveries(deps("replica-a"), github)).leader).toBe(true);
  expect(await reconcileDeliveries(deps("replica-b"), github)).toEqual({
    leader: false,
    seen: 0,
    redelivered: [],
  });
  await database.knex("leader_leases").update({ expires_at: new Date(Date.now() - 1000) });
  expect(await state.lead("webhook-redelivery", "replica-b", 60_000)).toBe(true);
});

test("a redelivery GitHub refused is asked for again next time", async () => {
  nock(API)
    .get("/app/hook/deliveries")
    .query(true)
    .reply(200, [delivery(12, "g-lost", 10, 502)])
    .post("/app/hook/deliveries/12/attempts")
    .reply(500, { message: "oops" });
  await expect(reconcileDeliveries(deps("replica-a"), github)).rejects.toThrow();
  expect(await state.claimRedelivery("g-lost", 12, "issue_comment.created")).toBe(true);
});
