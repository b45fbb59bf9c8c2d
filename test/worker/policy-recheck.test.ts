/**
 * The worker holds a request to the stricter of the policy frozen at intake and the policy
 * in force now (issue: the server owns the floor). Each case stops before anything runs, so
 * the target URL points nowhere: a connection attempt would fail the test. GitHub is nock;
 * the store is the embedded PGlite.
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordCalls, type Recorder } from "../helpers/recorder.js";
import { serverConfig } from "../helpers/server-floor.js";
import {
  mockPolicyReads,
  mockRecheck,
  mockRefusalWrites,
  mockToken,
  requestFile,
  resourcePolicy,
  seedApproved,
  workerWorld,
} from "../helpers/worker.js";

const NOWHERE = { COUNTERSIGN_RESOURCE_PROD_DB_URL: "postgres://nobody@127.0.0.1:1/none" };
const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";
/** What the request was frozen with at intake: no approvals (a lax floor at the time). */
const LAX = resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } });
const DBA_FLOOR = serverConfig({
  "prod-db": { repos: ["acme/*"], approvals: { all_of: [{ team: "dba" }] } },
});

let database: Database;
let recorder: Recorder;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(async () => {
  nock.cleanAll();
  database = await openDatabase({ embeddedPath: "memory://" });
  recorder = recordCalls();
});
afterEach(async () => {
  await database.close();
  expect(nock.pendingMocks()).toEqual([]);
});

function refusalComment(): string {
  const call = recorder.calls.find((entry) => entry.path.endsWith("/comments"));
  return (call?.body as { body: string } | undefined)?.body ?? "";
}

function closedPull(): boolean {
  const call = recorder.calls.find(
    (entry) => entry.method === "PATCH" && entry.path.endsWith("/pulls/42"),
  );
  return (call?.body as { state?: string } | undefined)?.state === "closed";
}

test("the floor tightened after intake: the worker sends the request back to pending", async () => {
  const world = workerWorld(database, NOWHERE, DBA_FLOOR);
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  recorder.watch(
    mockRecheck({
      fileContent: requestFile(request.id, COMMAND),
      reviews: [{ id: 1, login: "carol", state: "APPROVED" }],
      teams: { dba: ["bob"] },
    }),
  );
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  const stored = await world.store.get(request.id);
  expect(stored?.status).toBe("pending");
  expect(stored?.statusDetail).toContain("dba 0/1");
  expect(refusalComment()).toContain("was **not run**");
  expect(closedPull()).toBe(false);
});

test("a repository file tightened after intake counts too (read from the default branch now)", async () => {
  const world = workerWorld(
    database,
    NOWHERE,
    serverConfig({ "prod-db": { repos: ["acme/*"], approvals: "none" } }),
  );
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  recorder.watch(
    mockRecheck({
      fileContent: requestFile(request.id, COMMAND),
      repositoryConfig:
        "resources:\n  prod-db:\n    approvals:\n      all_of: [{ team: security }]\n",
      reviews: [],
      teams: { security: ["carol"] },
    }),
  );
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  const stored = await world.store.get(request.id);
  expect(stored?.status).toBe("pending");
  expect(stored?.statusDetail).toContain("security 0/1");
});

test("a requester whose write permission was removed after approval: rejected, not run", async () => {
  const world = workerWorld(database, NOWHERE);
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  recorder.watch(
    mockRecheck({ fileContent: requestFile(request.id, COMMAND), permission: "read" }),
  );
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  const stored = await world.store.get(request.id);
  expect(stored?.status).toBe("rejected");
  expect(stored?.statusDetail).toContain("alice no longer has write permission");
  expect(closedPull()).toBe(true);
  // Stopped at the permission: the PR and the command were never read.
  expect(recorder.calls.some((entry) => entry.path.endsWith("/files"))).toBe(false);
});

test("an approval older than the resource's timeout expires instead of running", async () => {
  const world = workerWorld(database, NOWHERE);
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  await world.store.patch(request.id, { expiresAt: new Date(Date.now() - 60_000) });
  recorder.watch(mockToken());
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  const stored = await world.store.get(request.id);
  expect(stored?.status).toBe("expired");
  expect(refusalComment()).toContain("is **expired** and was **not run**");
  expect(closedPull()).toBe(true);
  expect(recorder.calls.filter((entry) => entry.method === "GET")).toEqual([]);
});

test("a timeout shortened on the server since intake expires an older approval", async () => {
  const world = workerWorld(
    database,
    NOWHERE,
    serverConfig({ "prod-db": { repos: ["acme/*"], approvals: "none", timeout: "1h" } }),
  );
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  await database
    .knex("requests")
    .where({ id: request.id })
    .update({ created_at: new Date(Date.now() - 2 * 3_600_000) });
  recorder.watch(mockPolicyReads(mockToken()));
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  expect((await world.store.get(request.id))?.status).toBe("expired");
  expect(refusalComment()).toContain("as it stands now");
});

test("a resource the server no longer lists for the repository is rejected", async () => {
  const world = workerWorld(
    database,
    NOWHERE,
    serverConfig({ "prod-db": { repos: ["acme/infra"], approvals: "none" } }),
  );
  const request = await seedApproved(world, { policy: LAX, command: COMMAND });
  recorder.watch(mockToken());
  recorder.watch(mockRefusalWrites());

  await world.executor().runOnce();

  expect((await world.store.get(request.id))?.statusDetail).toContain(
    "prod-db is not available to acme/ops on this server any more",
  );
});
