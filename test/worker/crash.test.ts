/**
 * Crash safety with real processes: the worker runs as `npm run worker` does (the compiled
 * src/server/worker-main.ts, in a child process), claims a request and starts its command;
 * the test SIGKILLs it mid-run. A second worker (this process) then finds the lease
 * expired: the request ends `unknown`, the PR says it may or may not have run, and the
 * command is never executed again.
 *
 * Honest set-up, no shortcuts:
 * - the child is the real entry point, compiled from src/ by tsc (`--noCheck`: only the
 *   JavaScript is needed here; types are checked by `npm run typecheck`) into a temporary
 *   directory beside links to templates/ and node_modules/, as dist/ would be;
 * - the app's store is a real PostgreSQL database shared by both processes (the embedded
 *   store cannot be shared), the command runs on the real PostgreSQL at TEST_DATABASE_URL;
 * - GitHub for the child is a local HTTP server speaking the same API (GHE_HOST), because
 *   nock only intercepts inside this process; it records every call the child made.
 * Without TEST_DATABASE_URL this test is skipped, loudly.
 */
import nock from "nock";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import pg from "pg";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  FILE_PATH,
  HEAD,
  INSTALLATION_ID,
  PRIVATE_KEY,
  PR_URL,
  eventually,
  mockPublish,
  mockToken,
  requestFile,
  resourcePolicy,
  scratchSchema,
  seedApproved,
  workerWorld,
  type Scratch,
  type WorkerWorld,
} from "../helpers/worker.js";

const TARGET = TEST_SERVER_URL;
const describeWithTarget = describeWithServer(
  "the SIGKILL crash tests (two processes sharing PostgreSQL)",
);

const ROOT = resolve(process.cwd());

/** Compiles src/ into a temporary package laid out like the real one (dist/ + templates/). */
function buildWorker(): string {
  const dir = mkdtempSync(join(tmpdir(), "countersign-worker-"));
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const built = spawnSync(
    process.execPath,
    [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(dir, "dist"), "--noCheck"],
    { encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`tsc failed: ${built.stdout}${built.stderr}`);
  symlinkSync(join(ROOT, "templates"), join(dir, "templates"));
  // The child's server file: prod-db for acme/*, floor open so the request's own policy rules.
  writeFileSync(
    join(dir, "countersign.server.yml"),
    "resources:\n  prod-db:\n    repos: [acme/*]\n    approvals: none\n    guardrails: { deny: [], allow_unparsed: true }\n    auto_approve: [read]\n    timeout: 30d\n",
  );
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
  return dir;
}

interface FakeGitHub {
  server: Server;
  port: number;
  calls: string[];
}

/** The re-check reads the child makes, answered as GitHub would; anything else is a 500. */
async function fakeGitHub(fileContent: string): Promise<FakeGitHub> {
  const calls: string[] = [];
  const pull = {
    number: 42,
    state: "open",
    merged: false,
    html_url: PR_URL,
    head: { sha: HEAD, ref: "countersign/1" },
    base: { ref: "main" },
  };
  const server = createServer((request, response) => {
    const url = decodeURIComponent(request.url ?? "");
    calls.push(`${request.method} ${url.split("?")[0]}`);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const api = "/api/v3";
    if (
      request.method === "POST" &&
      url === `${api}/app/installations/${INSTALLATION_ID}/access_tokens`
    ) {
      return send(201, {
        token: "child-token",
        expires_at: "2999-01-01T00:00:00Z",
        permissions: {},
      });
    }
    if (request.method === "GET" && url === `${api}/repos/acme/ops/pulls/42`)
      return send(200, pull);
    // The policy reads of the re-check: no repository file (the server's floor alone), and
    // the requester still has write permission.
    if (request.method === "GET" && url.endsWith("/contents/.github/countersign.yml")) {
      return send(404, { message: "Not Found" });
    }
    if (
      request.method === "GET" &&
      url === `${api}/repos/acme/ops/collaborators/alice/permission`
    ) {
      return send(200, { permission: "write", user: { login: "alice" } });
    }
    if (request.method === "GET" && url.startsWith(`${api}/repos/acme/ops/pulls/42/files`)) {
      return send(200, [{ filename: FILE_PATH, status: "added" }]);
    }
    // The fresh review check runs even when no review is needed (approvals: none here).
    if (request.method === "GET" && url.startsWith(`${api}/repos/acme/ops/pulls/42/reviews`)) {
      return send(200, []);
    }
    if (request.method === "GET" && url.startsWith(`${api}/repos/acme/ops/activity`)) {
      return send(200, []);
    }
    if (request.method === "GET" && url.startsWith(`${api}/repos/acme/ops/pulls/42/commits`)) {
      return send(200, [{ sha: HEAD, author: { login: "countersign[bot]" }, committer: null }]);
    }
    if (
      request.method === "GET" &&
      url === `${api}/repos/acme/ops/contents/${FILE_PATH}?ref=${HEAD}`
    ) {
      return send(200, {
        type: "file",
        path: FILE_PATH,
        encoding: "base64",
        content: Buffer.from(fileContent, "utf8").toString("base64"),
      });
    }
    send(500, { message: `unexpected call ${request.method} ${url}` });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, port: (server.address() as AddressInfo).port, calls };
}

describeWithTarget("a worker killed mid-run (separate process, SIGKILL)", () => {
  const admin = new pg.Client({ connectionString: TARGET });
  const storeName = `countersign_crash_${randomBytes(5).toString("hex")}`;
  let storeUrl: string;
  let buildDir: string;
  let database: Database;
  let world: WorkerWorld;
  let scratch: Scratch;
  let github: FakeGitHub | null = null;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    buildDir = buildWorker();
    await admin.connect();
    await admin.query(`CREATE DATABASE ${storeName}`);
    const url = new URL(TARGET as string);
    url.pathname = `/${storeName}`;
    storeUrl = url.toString();
    database = await openDatabase({ url: storeUrl });
    scratch = await scratchSchema(TARGET as string);
    world = workerWorld(database, { COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET });
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
  }, 60_000);

  afterAll(async () => {
    child?.kill("SIGKILL");
    github?.server.close();
    // If the test failed before the sweep, the killed worker's backend may still sleep: end
    // that one (its query names this test's own schema) so the schema can be dropped.
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'countersign' AND query LIKE $1",
      [`%${scratch.schema}%pg_sleep%`],
    );
    await scratch.drop();
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS ${storeName} WITH (FORCE)`);
    await admin.end();
    rmSync(buildDir, { recursive: true, force: true });
    nock.enableNetConnect();
  });

  test("the request ends unknown, the PR says so, and the command never runs again", async () => {
    const runs = `${scratch.schema}.runs`;
    await scratch.query(`CREATE TABLE ${runs} (n int)`);
    const command = `INSERT INTO ${runs} VALUES (1); SELECT pg_sleep(20);`;
    const policy = resourcePolicy({ approvals: "none", guardrails: { deny: ["drop"] } });
    const request = await seedApproved(world, { policy, command });
    github = await fakeGitHub(requestFile(request.id, command));

    let output = "";
    child = spawn(process.execPath, [join(buildDir, "dist", "server", "worker-main.js")], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: storeUrl,
        APP_ID: "123",
        PRIVATE_KEY,
        GHE_HOST: `127.0.0.1:${github.port}`,
        GHE_PROTOCOL: "http",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
        COUNTERSIGN_RESOURCE_PROD_DB_URL: TARGET,
        COUNTERSIGN_CONFIG: join(buildDir, "countersign.server.yml"),
        COUNTERSIGN_LEASE_MS: "1500",
        COUNTERSIGN_POLL_MS: "100",
        COUNTERSIGN_WORKER_ID: "child-worker",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

    // The child claimed it, recorded "executing", and its command is on the server.
    await eventually(
      async () => {
        const current = await world.store.get(request.id);
        const phase = (current?.result as { phase?: string } | null)?.phase;
        const active = await scratch.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'countersign' AND query LIKE '%pg_sleep(20)%' AND state = 'active'`,
        );
        return current?.status === "running" && phase === "executing" && active[0]?.n === 1;
      },
      30_000,
      `the child worker to start the command (child output: ${output.slice(0, 2000)})`,
    );
    expect((await world.store.get(request.id))?.leaseOwner).toBe("child-worker");

    child.kill("SIGKILL");
    await new Promise((done) => child?.once("exit", done));

    // This process's worker sweeps once the lease has expired.
    const recorder = recordCalls();
    recorder.watch(mockToken());
    recorder.watch(mockPublish());
    const executor = world.executor({ workerId: "survivor" });
    await eventually(async () => (await executor.sweep()) === 1, 10_000, "the lease to expire");

    const stored = await world.store.get(request.id);
    expect(stored).toMatchObject({ status: "unknown", leaseOwner: null });
    const events = await world.store.events(request.id);
    expect(events.map((event) => `${event.fromStatus}→${event.toStatus}`)).toEqual([
      "null→pending",
      "pending→approved",
      "approved→running",
      "running→unknown",
    ]);
    expect(events.at(-1)?.detail).toContain("may or may not have run");

    const graphql = recorder.calls.find((call) => call.path === "/graphql")?.body as {
      variables: { body: string };
    };
    expect(graphql.variables.body).toContain("**may or may not have run**");
    const merge = recorder.calls.find((call) => call.path.endsWith("/merge"))?.body as {
      commit_message: string;
    };
    expect(merge.commit_message).toContain(
      "Result: unknown; the worker running it stopped before reporting an outcome",
    );
    expect(merge.commit_message).not.toContain("Output-SHA256");

    // Never again by itself: nothing to claim, however long we wait.
    expect(await executor.runOnce()).toBeNull();
    await new Promise((done) => setTimeout(done, 300));
    expect(await executor.runOnce()).toBeNull();
    expect((await world.store.get(request.id))?.status).toBe("unknown");
    // The killed transaction never committed; no second execution started.
    expect(await scratch.query(`SELECT count(*)::int AS n FROM ${runs}`)).toEqual([{ n: 0 }]);
    // The killed worker's session does not run on to the end of its 20 s sleep: the sweeper
    // terminated the backend the child recorded before running the command (#15).
    expect(stored?.result?.session).toMatchObject({ backendPid: expect.any(Number) });
    expect(events.at(-1)?.detail).toMatch(/terminated its session on the server \(backend \d+\)/);
    await eventually(
      async () =>
        (
          await scratch.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'countersign' AND query LIKE '%pg_sleep(20)%'`,
          )
        )[0]?.n === 0,
      5_000,
      "the dead worker's backend to be gone",
    );
    // The child only read (it died before publishing anything).
    expect(
      github.calls.every((call) => call.startsWith("GET ") || call.includes("access_tokens")),
    ).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  }, 90_000);
});
