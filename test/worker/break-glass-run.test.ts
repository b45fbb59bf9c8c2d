/**
 * A break-glass command at execution (issue 17): one approval from the break-glass group is
 * enough, the audit commit says `Break-glass: yes`, and once it ran the usual reviewers are
 * asked for a follow-up review. A server that stopped offering break-glass rejects it. The
 * command runs on the real PostgreSQL (TEST_DATABASE_URL, a scratch schema).
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { breakGlassPolicy, effectivePolicy } from "../../src/policy/effective-policy.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { recordCalls, type Recorder } from "../helpers/recorder.js";
import { serverConfig } from "../helpers/server-floor.js";
import {
  OWNER,
  REPO,
  mockPublish,
  mockRecheck,
  mockRefusalWrites,
  requestFile,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the break-glass execution tests");

const WITH_BREAK_GLASS = serverConfig({
  "prod-db": {
    repos: ["acme/*"],
    approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
    break_glass: { team: "incident-commanders" },
  },
});
const WITHOUT = serverConfig({
  "prod-db": { repos: ["acme/*"], approvals: { all_of: [{ team: "dba" }, { team: "security" }] } },
});

function brokenPolicy(): ResourcePolicy {
  const floor = WITH_BREAK_GLASS.resources["prod-db"]?.floor as ResourcePolicy;
  return breakGlassPolicy(effectivePolicy(floor, undefined)) as ResourcePolicy;
}

describeWithTarget("break-glass at execution (real PostgreSQL)", () => {
  let database: Database;
  let scratch: Scratch;
  let recorder: Recorder;
  let table: string;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await openDatabase({ embeddedPath: "memory://" });
    scratch = await scratchSchema(TEST_SERVER_URL as string);
    table = `${scratch.schema}.users`;
    await scratch.query(`CREATE TABLE ${table} (id int PRIMARY KEY, status text);
      INSERT INTO ${table} VALUES (123, 'active')`);
    recorder = recordCalls();
  });
  afterEach(async () => {
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  const command = () => `UPDATE ${table} SET status = 'inactive' WHERE id = 123;`;

  test("one incident commander approves: it runs, the trailer says so, the usual reviewers are asked after", async () => {
    const env = { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL };
    const world = workerWorld(database, env, WITH_BREAK_GLASS);
    const request = await seedApproved(world, { policy: brokenPolicy(), command: command() });
    let followUp: unknown = null;
    recorder.watch(
      mockRecheck({
        fileContent: requestFile(request.id, command()),
        reviews: [{ id: 1, login: "ivan", state: "APPROVED" }],
        teams: { "incident-commanders": ["ivan"] },
      }),
    );
    recorder.watch(
      mockPublish()
        .post(`/repos/${OWNER}/${REPO}/pulls/42/requested_reviewers`, (body) => {
          followUp = body;
          return true;
        })
        .reply(201, {}),
    );

    expect(await world.executor().runOnce()).toBe(request.id);
    await world.publish();

    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "inactive" }]);
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      commit_message: string;
    };
    expect(merge.commit_message).toContain(
      "Approved-by: ivan (incident-commanders)\nBreak-glass: yes\n",
    );
    expect(followUp).toEqual({ team_reviewers: ["dba", "security"], reviewers: [] });
  });

  test("a server that stopped offering break-glass rejects it before anything runs", async () => {
    const world = workerWorld(
      database,
      { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL },
      WITHOUT,
    );
    const request = await seedApproved(world, { policy: brokenPolicy(), command: command() });
    // Refused on the policy: the fresh review check (which needs it) is never read.
    recorder.watch(
      mockRecheck({ fileContent: requestFile(request.id, command()), reviewsRead: false }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("rejected");
    expect(stored?.statusDetail).toContain("no longer offers break-glass");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "active" }]);
  });
});
