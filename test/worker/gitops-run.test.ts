/**
 * A GitOps request at execution (issue 17, item 4): the author's own pull request, its file
 * the bare command (no header), runs under the same re-check and is merged as the audit
 * record; the result goes on the pull request alone (it is also the thread the request came
 * from, so there is no link comment). A second file pushed since is refused before anything
 * runs. The command runs on the real PostgreSQL (TEST_DATABASE_URL, a scratch schema).
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { recordCalls, type Recorder } from "../helpers/recorder.js";
import {
  FILE_PATH,
  PR,
  mockPublish,
  mockRecheck,
  mockRefusalWrites,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the GitOps execution tests");

describeWithTarget("a GitOps request at execution (real PostgreSQL)", () => {
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
  const policy = resourcePolicy({ approvals: { all_of: [{ team: "dba" }] } });

  /** An approved request whose source is its own pull request, as GitOps intake records it. */
  async function seedGitops(world: WorkerWorld) {
    const request = await seedApproved(world, { policy, command: command() });
    await database
      .knex("requests")
      .where({ id: request.id })
      .update({
        source_key: `repo:1:pull_request:${PR}:head111`,
        source_type: "pull_request",
        source_number: PR,
        source_comment_id: null,
        source_comment_node_id: null,
        source_node_id: "PR_node_42",
        branch: "alice/deactivate-123",
      });
    return request;
  }

  const afterIntake = (request: { createdAt: Date }) =>
    new Date(request.createdAt.getTime() + 1000).toISOString();

  test("runs, answers on the pull request alone, and merges it as the audit record", async () => {
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedGitops(world);
    recorder.watch(
      mockRecheck({
        fileContent: `${command()}\n`,
        // Given after the pull request was taken in: an earlier one would not count.
        reviews: [{ id: 1, login: "bob", state: "APPROVED", submittedAt: afterIntake(request) }],
        teams: { dba: ["bob"] },
      }),
    );
    recorder.watch(mockPublish());

    expect(await world.executor().runOnce()).toBe(request.id);
    await world.publish();

    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "inactive" }]);
    const graphql = recorder.calls.find((call) => call.path === "/graphql")?.body as {
      query: string;
      variables: Record<string, unknown>;
    };
    // The result comment on the pull request; no link comment to a thread that is itself.
    expect(graphql.variables.pr).toBe("PR_node_42");
    expect(graphql.variables).not.toHaveProperty("thread");
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      sha: string;
      commit_message: string;
    };
    expect(merge.sha).toBe("head111");
    expect(merge.commit_message).toContain("Approved-by: bob (dba)");
    expect(await world.store.get(request.id)).toMatchObject({ status: "succeeded" });
  });

  test("a file added since is refused before anything runs", async () => {
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedGitops(world);
    recorder.watch(
      mockRecheck({
        fileContent: `${command()}\n`,
        files: [FILE_PATH, ".github/workflows/deploy.yml"],
        reviewsRead: false,
      }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("rejected");
    expect(stored?.statusDetail).toContain(".github/workflows/deploy.yml");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "active" }]);
  });

  // The branch was brought up to date with a main that holds a file at this path: the PR
  // modifies it now, and the audit merge would overwrite that file.
  test("a request file that is no longer added but modified is refused before anything runs", async () => {
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedGitops(world);
    recorder.watch(
      mockRecheck({ fileContent: `${command()}\n`, fileStatus: "modified", reviewsRead: false }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("rejected");
    expect(stored?.statusDetail).toContain("no longer adds");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "active" }]);
  });

  // The stored status said approved, but the only approval GitHub lists predates the request:
  // it approved the pull request as it was then. The fresh re-check does not count it.
  test("an approval given before the pull request became a request does not let it run", async () => {
    const world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL });
    const request = await seedGitops(world);
    const before = new Date(request.createdAt.getTime() - 3_600_000).toISOString();
    recorder.watch(
      mockRecheck({
        fileContent: `${command()}\n`,
        reviews: [{ id: 1, login: "bob", state: "APPROVED", submittedAt: before }],
        teams: { dba: ["bob"] },
      }),
    );
    recorder.watch(mockRefusalWrites());

    await world.executor().runOnce();

    const stored = await world.store.get(request.id);
    expect(stored?.status).toBe("pending");
    expect(stored?.statusDetail).toContain("the approval rule no longer holds (dba 0/1");
    expect(await scratch.query(`SELECT status FROM ${table}`)).toEqual([{ status: "active" }]);
    expect(recorder.writes().some((call) => call.endsWith("/merge"))).toBe(false);
  });
});
