/**
 * Execution windows at the worker (issue 17), with an injected clock: an approved command
 * outside its window is not run and stays `approved`, its `not_before` is the next opening,
 * and its PR says when it runs; inside the window, or at the time an approver scheduled, it
 * runs; a break-glass command runs outside the window. GitHub is nock; the store is PGlite;
 * the commands that run do so on the real PostgreSQL (TEST_DATABASE_URL, a scratch schema).
 * The cases that must not run point the resource nowhere: a connection would fail the test.
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { breakGlassPolicy, effectivePolicy } from "../../src/policy/effective-policy.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
import { createCommandChecker } from "../../src/requests/command-check.js";
import type { GitHub } from "../../src/github/client.js";
import { Executor } from "../../src/worker/executor.js";
import type { RequestRecord } from "../../src/store/requests.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { recordCalls, type Recorder } from "../helpers/recorder.js";
import { openServerConfig, serverConfig } from "../helpers/server-floor.js";
import {
  API,
  CHECK_RUN,
  HEAD,
  OWNER,
  PR,
  REPO,
  mockPublish,
  mockRecheck,
  mockToken,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";
import type { ServerConfig } from "../../src/policy/server-config.js";

const NOWHERE = { COUNTERSIGN_RESOURCE_PROD_DB_URL: "postgres://nobody@127.0.0.1:1/none" };
const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";
const OFFICE = {
  days: ["mon", "tue", "wed", "thu", "fri"],
  hours: "09:00-17:00",
  time_zone: "Europe/Berlin",
};
const DBA = { all_of: [{ team: "dba" }] };
/** Frozen at intake: one dba approval, Berlin office hours, a month's timeout. */
const IN_OFFICE_HOURS = resourcePolicy({ approvals: DBA, timeout: "30d", window: OFFICE });
const ANY_TIME = resourcePolicy({ approvals: DBA, timeout: "30d" });

/** Saturday 5 December 2026, 11:00 in Berlin. */
const SATURDAY = new Date("2026-12-05T10:00:00Z");
/** Monday 7 December 2026, 09:00 in Berlin: the window's next opening. */
const MONDAY_OPENING = new Date("2026-12-07T08:00:00Z");
const WAITS =
  "Approved — waits for the execution window (Mon–Fri 09:00–17:00 Europe/Berlin); runs at Mon 2026-12-07 09:00 Europe/Berlin (2026-12-07 08:00 UTC)";

let database: Database;
let recorder: Recorder;
let clock: Date;

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

/** The world's executor, on the test's clock. */
function executor(world: WorkerWorld, server: ServerConfig): Executor {
  return new Executor(
    {
      store: world.store,
      jobs: world.jobs,
      teams: world.teams,
      checkCommand: createCommandChecker(world.env),
      env: world.env,
      serverConfig: server,
      log: world.log,
      githubFor: async (id) => (await world.probot.auth(id)) as GitHub,
      now: () => clock,
    },
    { pollMs: 50 },
  );
}

/**
 * An approved request made an hour before the clock, bob's approval in its review cache and
 * the dba team in the team cache, as the review webhooks leave them.
 */
async function approvedAt(
  world: WorkerWorld,
  policy: ResourcePolicy,
  command = COMMAND,
): Promise<RequestRecord> {
  const request = await seedApproved(world, { policy, command });
  await database
    .knex("requests")
    .where({ id: request.id })
    .update({
      created_at: new Date(clock.getTime() - 3_600_000),
      expires_at: new Date(clock.getTime() + 7 * 86_400_000),
    });
  await world.teams.put("acme/dba", ["bob"]);
  const review = {
    id: 1,
    login: "bob",
    isBot: false,
    state: "APPROVED" as const,
    commitId: HEAD,
    submittedAt: new Date(clock.getTime() - 1_800_000).toISOString(),
  };
  return world.store.patch(request.id, { reviews: [review], pushers: [] });
}

/** The status writes the queued publication makes: the check run and the PR body. */
function mockStatusWrites(scope: nock.Scope = nock(API)): nock.Scope {
  return scope
    .patch(`/repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN}`)
    .reply(200, { id: CHECK_RUN })
    .patch(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
    .reply(200, { number: PR });
}

function checkRunTitle(): string {
  const call = recorder.calls.find((entry) => entry.path.endsWith(`/check-runs/${CHECK_RUN}`));
  return (call?.body as { output?: { title: string } } | undefined)?.output?.title ?? "";
}

function pullBody(): string {
  const call = recorder.calls.find(
    (entry) => entry.method === "PATCH" && entry.path.endsWith(`/pulls/${PR}`),
  );
  return (call?.body as { body?: string } | undefined)?.body ?? "";
}

describe("outside the window", () => {
  test("not run, still approved, not_before the next opening, and the PR says when", async () => {
    clock = SATURDAY;
    const world = workerWorld(database, NOWHERE);
    const request = await approvedAt(world, IN_OFFICE_HOURS);
    // Known from the frozen policy alone: no GitHub read is spent before the PR is told.
    recorder.watch(mockToken());
    recorder.watch(mockStatusWrites());

    expect(await executor(world, openServerConfig()).runOnce()).toBe(request.id);
    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("approved");
    expect(stored?.notBefore).toEqual(MONDAY_OPENING);
    expect(stored?.leaseOwner).toBeNull();
    const events = await world.store.events(request.id);
    expect(events.map((event) => event.detail).at(-1)).toBe(
      "Not run at Sat 2026-12-05 11:00 Europe/Berlin (2026-12-05 10:00 UTC): outside the execution window (Mon–Fri 09:00–17:00 Europe/Berlin); it runs at Mon 2026-12-07 09:00 Europe/Berlin (2026-12-07 08:00 UTC).",
    );
    // Nothing was executed: no "executing" result, no running event left behind.
    expect(stored?.result).toBeNull();

    await world.publish();
    expect(recorder.calls.filter((call) => call.method === "GET")).toEqual([]);
    expect(checkRunTitle()).toBe(WAITS);
    expect(pullBody()).toContain("dba 1/1");
    expect(pullBody()).toContain("outside the execution window");

    // Not claimable again before Monday 09:00, however often the worker looks.
    clock = new Date(MONDAY_OPENING.getTime() - 1_000);
    expect(await executor(world, openServerConfig()).runOnce()).toBeNull();
  });

  test("a window the repository added since intake defers it at the last check", async () => {
    clock = SATURDAY;
    const world = workerWorld(database, NOWHERE);
    const request = await approvedAt(world, ANY_TIME);
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, COMMAND),
        repositoryConfig:
          "resources:\n  prod-db:\n    approvals:\n      all_of: [{ team: dba }]\n    timeout: 30d\n    window: { days: [mon, tue, wed, thu, fri], hours: '09:00-17:00', time_zone: Europe/Berlin }\n",
        reviews: [{ id: 1, login: "bob", state: "APPROVED" }],
        teams: { dba: ["bob"] },
      }),
    );
    recorder.watch(mockStatusWrites());

    expect(await executor(world, openServerConfig()).runOnce()).toBe(request.id);
    await world.publish();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("approved");
    expect(stored?.notBefore).toEqual(MONDAY_OPENING);
    expect(pullBody()).toContain("outside the execution window");
    expect(checkRunTitle()).toBe("Approved — runs at Mon 2026-12-07 08:00 UTC at the earliest");
  });

  test("windows with no common opening: never run, looked at again in an hour", async () => {
    clock = SATURDAY;
    const floor = serverConfig({
      "prod-db": {
        repos: ["acme/*"],
        approvals: DBA,
        timeout: "30d",
        window: { days: ["mon"], hours: "09:00-10:00", time_zone: "UTC" },
      },
    });
    const repository = resourcePolicy({
      approvals: DBA,
      window: { days: ["tue"], hours: "09:00-10:00", time_zone: "UTC" },
    });
    const policy = effectivePolicy(floor.resources["prod-db"]?.floor as ResourcePolicy, repository);
    const world = workerWorld(database, NOWHERE, floor);
    const request = await approvedAt(world, policy);
    recorder.watch(mockToken());
    recorder.watch(mockStatusWrites());

    await executor(world, floor).runOnce();
    await world.publish();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("approved");
    expect(stored?.notBefore).toEqual(new Date(SATURDAY.getTime() + 3_600_000));
    expect(checkRunTitle()).toContain("no common opening found yet, looks again at");
  });
});

const describeWithTarget = describeWithServer("the execution-window runs");

describeWithTarget("inside the window (real PostgreSQL)", () => {
  let scratch: Scratch;
  let table: string;
  const env = () => ({ COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });

  beforeEach(async () => {
    scratch = await scratchSchema(TEST_SERVER_URL as string);
    table = `${scratch.schema}.users`;
    await scratch.query(`CREATE TABLE ${table} (id int PRIMARY KEY, status text);
      INSERT INTO ${table} VALUES (123, 'active')`);
  });
  afterEach(async () => {
    await scratch.drop();
  });

  const command = () => `UPDATE ${table} SET status = 'inactive' WHERE id = 123;`;

  test("at the window's opening the waiting command runs", async () => {
    clock = SATURDAY;
    const world = workerWorld(database, env());
    const request = await approvedAt(world, IN_OFFICE_HOURS, command());
    await world.store.patch(request.id, { notBefore: MONDAY_OPENING });

    expect(await executor(world, openServerConfig()).runOnce()).toBeNull();

    clock = new Date(MONDAY_OPENING.getTime() + 60_000);
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, command()),
        reviews: [{ id: 1, login: "bob", state: "APPROVED" }],
        teams: { dba: ["bob"] },
      }),
    );
    recorder.watch(mockPublish());
    expect(await executor(world, openServerConfig()).runOnce()).toBe(request.id);
    await world.publish();

    expect((await world.store.get(request.id))?.status).toBe("succeeded");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "inactive" }]);
  });

  test("a time an approver scheduled inside the window holds until then", async () => {
    clock = new Date("2026-12-07T09:00:00Z");
    const world = workerWorld(database, env());
    const request = await approvedAt(world, IN_OFFICE_HOURS, command());
    const at = new Date("2026-12-07T13:30:00Z");
    await world.store.schedule(request.id, at, "bob", "scheduled by bob");

    expect(await executor(world, openServerConfig()).runOnce()).toBeNull();

    clock = at;
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, command()),
        reviews: [{ id: 1, login: "bob", state: "APPROVED" }],
        teams: { dba: ["bob"] },
      }),
    );
    recorder.watch(mockPublish());
    expect(await executor(world, openServerConfig()).runOnce()).toBe(request.id);
    await world.publish();
    expect((await world.store.get(request.id))?.status).toBe("succeeded");
  });

  test("a break-glass command runs outside the window", async () => {
    clock = SATURDAY;
    const floor = serverConfig({
      "prod-db": {
        repos: ["acme/*"],
        approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
        break_glass: { team: "incident-commanders" },
        timeout: "30d",
        window: OFFICE,
      },
    });
    const broken = breakGlassPolicy(
      effectivePolicy(floor.resources["prod-db"]?.floor as ResourcePolicy, undefined),
    ) as ResourcePolicy;
    expect(broken.window).toHaveLength(1);
    const world = workerWorld(database, env(), floor);
    const request = await approvedAt(world, broken, command());
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, command()),
        reviews: [{ id: 1, login: "ivan", state: "APPROVED" }],
        teams: { "incident-commanders": ["ivan"] },
      }),
    );
    recorder.watch(
      mockPublish().post(`/repos/${OWNER}/${REPO}/pulls/${PR}/requested_reviewers`).reply(201, {}),
    );

    expect(await executor(world, floor).runOnce()).toBe(request.id);
    await world.publish();

    expect((await world.store.get(request.id))?.status).toBe("succeeded");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "inactive" }]);
  });
});
