/**
 * Time-boxed grants at execution (DESIGN §2): the grantee's commands run without
 * per-command approval while the window is open, each still re-checked, run by the worker
 * and merged with a trailer naming the grant; once the window has ended, a command waiting
 * under it goes back to waiting for normal approval. GitHub is nock; commands run on the
 * real PostgreSQL at TEST_DATABASE_URL.
 */
import nock from "nock";
import { serverConfig } from "../helpers/server-floor.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import type { Database } from "../../src/store/database.js";
import { openDatabase } from "../../src/store/database.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  INSTALLATION_ID,
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

const TARGET = TEST_SERVER_URL;
const describeWithTarget = describeWithServer("the grant execution tests");

const POLICY = resourcePolicy({
  approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
  jit: { max_duration: "2h", approvals: { all_of: [{ team: "dba" }] } },
});
const GRANT_PR = 50;
const GRANT_HEAD = "grant50sha";
const TEAMS = { dba: ["bob"], security: ["carol"] };

describeWithTarget("commands under a grant, run by the worker", () => {
  let database: Database;
  let world: WorkerWorld;
  let scratch: Scratch;
  let table: string;
  let grantId: number;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await openDatabase({ embeddedPath: "memory://" });
    scratch = await scratchSchema(TARGET as string);
    table = `${scratch.schema}.users`;
    await scratch.query(
      `CREATE TABLE ${table} (id int primary key, runs int not null default 0);
       INSERT INTO ${table} VALUES (1, 0)`,
    );
    world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET });
    // Alice's grant: approved by bob (dba) under the jit rule, 30 minutes from now.
    const { request: grant } = await world.store.create(
      {
        sourceKey: "repo:1:comment:900",
        kind: "grant",
        grantDurationMs: 1_800_000,
        installationId: INSTALLATION_ID,
        repoId: 1,
        owner: OWNER,
        repo: REPO,
        resource: "prod-db",
        command: "time-boxed access to prod-db for 30m",
        reason: "incident 123",
        requester: "alice",
        sourceType: "issue_comment",
        sourceNumber: 7,
        sourceCommentId: 900,
        sourceNodeId: "I_node_7",
        sourceCommentNodeId: "IC_node_900",
        sourceUrl: `https://github.com/${OWNER}/${REPO}/issues/7#issuecomment-900`,
        status: "pending",
        statusDetail: null,
        classification: null,
        policy: POLICY,
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      "alice",
    );
    await world.store.patch(grant.id, {
      prNumber: GRANT_PR,
      headSha: GRANT_HEAD,
      branch: `countersign/${grant.id}`,
    });
    const approved = await world.store.transition(grant.id, "pending", "approved", {
      actor: "countersign",
      patch: { grantEndsAt: new Date(Date.now() + 1_800_000) },
    });
    if (!approved.ok) throw new Error("could not approve the grant");
    grantId = grant.id;
  });
  afterEach(async () => {
    await scratch.drop();
    await database.close();
    expect(nock.pendingMocks()).toEqual([]);
  });

  const bump = () => `UPDATE ${table} SET runs = runs + 1 WHERE id = 1;`;

  /** The grant's own approval, read from GitHub again before a command runs under it. */
  function mockGrantFresh(scope: nock.Scope): nock.Scope {
    const pull = {
      number: GRANT_PR,
      state: "open",
      merged: false,
      head: { sha: GRANT_HEAD },
      base: { ref: "main" },
    };
    return scope
      .get(`/repos/${OWNER}/${REPO}/pulls/${GRANT_PR}`)
      .reply(200, pull)
      .get(`/repos/${OWNER}/${REPO}/pulls/${GRANT_PR}/reviews`)
      .query(true)
      .reply(200, [
        {
          id: 77,
          user: { login: "bob", type: "User" },
          state: "APPROVED",
          commit_id: GRANT_HEAD,
          submitted_at: new Date().toISOString(),
          body: "",
        },
      ])
      .get(`/repos/${OWNER}/${REPO}/pulls/${GRANT_PR}/commits`)
      .query(true)
      .reply(200, [])
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .reply(200, [])
      .get(`/orgs/${OWNER}/teams/dba/members`)
      .query(true)
      .reply(200, [{ login: "bob" }]);
  }

  test("two commands run without approval; after the window a third waits for approval", async () => {
    const executor = world.executor();
    for (const [index, comment] of [5001, 5002].entries()) {
      const request = await seedApproved(world, {
        policy: POLICY,
        command: bump(),
        sourceCommentId: comment,
        grantId,
      });
      const recorder = recordCalls();
      const scope = mockRecheck({
        fileContent: requestFile(request.id, bump()),
        reviews: [],
        teams: TEAMS,
        // One Probot instance: the token is exchanged once, then cached.
        tokenExchange: index === 0,
      });
      recorder.watch(mockGrantFresh(scope));
      recorder.watch(mockPublish());
      expect(await executor.runOnce()).toBe(request.id);
      expect((await world.store.get(request.id))?.status).toBe("succeeded");
      const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
        commit_message: string;
      };
      expect(merge.commit_message).toContain(`Approved-by: none (under grant ${grantId})`);
      expect(merge.commit_message).toContain(`Grant: ${grantId}`);
    }
    expect(await scratch.query(`SELECT runs FROM ${table}`)).toEqual([{ runs: 2 }]);
    expect(await world.store.countGrantCommands(grantId)).toBe(2);

    // The window closes (here: between approval and claim of the third command).
    await world.store.patch(grantId, { grantEndsAt: new Date(Date.now() - 1000) });
    const third = await seedApproved(world, {
      policy: POLICY,
      command: bump(),
      sourceCommentId: 5003,
      grantId,
    });
    const scope = mockRecheck({
      fileContent: requestFile(third.id, bump()),
      reviews: [],
      teams: TEAMS,
      tokenExchange: false,
    });
    mockRefusalWrites(scope);
    await executor.runOnce();
    expect((await world.store.get(third.id))?.status).toBe("pending");
    expect(await scratch.query(`SELECT runs FROM ${table}`)).toEqual([{ runs: 2 }]);
  });

  test("JIT turned off on the server after the grant: the command waits for approval", async () => {
    const strict = workerWorld(
      database,
      { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET },
      serverConfig({
        "prod-db": {
          repos: ["acme/*"],
          approvals: "none",
          guardrails: { deny: [], allow_unparsed: true },
          timeout: "30d",
          jit: false,
        },
      }),
    );
    const request = await seedApproved(strict, {
      policy: POLICY,
      command: bump(),
      sourceCommentId: 5009,
      grantId,
    });
    const scope = mockRecheck({
      fileContent: requestFile(request.id, bump()),
      reviews: [],
      teams: TEAMS,
    });
    // No read of the grant's reviews: without JIT the grant covers nothing.
    mockRefusalWrites(scope);
    await strict.executor().runOnce();
    expect((await strict.store.get(request.id))?.status).toBe("pending");
    expect(await scratch.query(`SELECT runs FROM ${table}`)).toEqual([{ runs: 0 }]);
  });
});
