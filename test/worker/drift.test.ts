/**
 * The drift guard (issue 16), end to end: a request approved with a plan of a few rows meets,
 * at execution, a table that grew past the policy's factor. The worker plans again against the
 * real PostgreSQL (TEST_DATABASE_URL, a scratch schema), sends the request back to pending
 * with the old and new figures, dismisses the approvals given to the old plan, asks the rule's
 * teams again, and runs nothing. GitHub is nock; the store is the embedded PGlite.
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { recordCalls, type Recorder } from "../helpers/recorder.js";
import {
  OWNER,
  REPO,
  mockPublish,
  mockRecheck,
  mockRefusalWrites,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the drift guard tests");

const DUAL = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
  guardrails: { deny: ["drop", "truncate"] },
});
const APPROVALS = {
  reviews: [
    { id: 11, login: "bob", state: "APPROVED" },
    { id: 12, login: "carol", state: "APPROVED" },
  ],
  teams: { dba: ["bob"], security: ["carol"] },
};

describeWithTarget("drift between approval and execution (real PostgreSQL)", () => {
  let database: Database;
  let world: WorkerWorld;
  let scratch: Scratch;
  let recorder: Recorder;
  let table: string;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await openDatabase({ embeddedPath: "memory://" });
    scratch = await scratchSchema(TEST_SERVER_URL as string);
    table = `${scratch.schema}.orders`;
    await scratch.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, customer int NOT NULL, note text);
       INSERT INTO ${table} SELECT g, g % 10, NULL FROM generate_series(1, 20) g;
       ANALYZE ${table}`,
    );
    world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    recorder = recordCalls();
  });
  afterEach(async () => {
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  const command = () => `DELETE FROM ${table} WHERE customer = 3;`;

  test("rows inserted after approval grow the estimate past 10x: back to pending, approvals dismissed", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: command() });
    const approvedPlan = request.classification?.plan;
    expect(approvedPlan?.ok).toBe(true);
    const before = approvedPlan?.ok === true ? approvedPlan.statements[0] : undefined;
    expect(before).toMatchObject({ planned: true });

    await scratch.query(
      `INSERT INTO ${table} SELECT g, g % 10, NULL FROM generate_series(21, 100000) g;
       ANALYZE ${table}`,
    );
    const dismissed: { id: string; body: unknown }[] = [];
    let askedAgain: unknown = null;
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command()), ...APPROVALS }));
    recorder.watch(
      nock("https://api.github.com")
        .put(/\/repos\/acme\/ops\/pulls\/42\/reviews\/(\d+)\/dismissals/)
        .times(2)
        .reply(200, function (uri: string, body: unknown) {
          dismissed.push({ id: uri.split("/").at(-2) ?? "", body });
          return { id: 1, state: "DISMISSED" };
        })
        .post(`/repos/${OWNER}/${REPO}/pulls/42/requested_reviewers`, (body: unknown) => {
          askedAgain = body;
          return true;
        })
        .reply(201, {}),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    // Nothing ran: every row is still there.
    expect(await scratch.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 100000 }]);
    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("pending");
    expect(stored?.statusDetail).toMatch(/plan changed since approval/i);
    expect(stored?.statusDetail).toMatch(/statement 1/);
    // The new plan is the one the reviewers are now asked about.
    const now = stored?.classification?.plan;
    const after = now?.ok === true ? now.statements[0] : undefined;
    expect(
      after?.planned && before?.planned && after.estimatedRows > 10 * before.estimatedRows,
    ).toBe(true);
    expect(dismissed.map((entry) => entry.id).sort()).toEqual(["11", "12"]);
    expect(dismissed[0]?.body).toMatchObject({ event: "DISMISS" });
    expect(String((dismissed[0]?.body as { message: string }).message)).toMatch(/^Countersign: /);
    expect(askedAgain).toEqual({ team_reviewers: ["dba", "security"], reviewers: [] });
  });

  test("an estimate that stayed within the factor runs as approved", async () => {
    const request = await seedApproved(world, { policy: DUAL, command: command() });
    await scratch.query(
      `INSERT INTO ${table} SELECT g, g % 10, NULL FROM generate_series(21, 60) g; ANALYZE ${table}`,
    );
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command()), ...APPROVALS }));
    recorder.watch(mockPublish());

    expect(await world.executor().runOnce()).toBe(request.id);

    expect((await world.store.get(request.id))?.status).toBe("succeeded");
    expect(
      await scratch.query(`SELECT count(*)::int AS n FROM ${table} WHERE customer = 3`),
    ).toEqual([{ n: 0 }]);
  });
});
