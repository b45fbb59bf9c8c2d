/**
 * Bench (#15): N approved requests queued at once; how long from approval to the start of
 * each execution, how many executions a minute, and how many GitHub writes a minute.
 *
 * Real: the app's store (a fresh database on the local PostgreSQL, created and dropped
 * here), the execution worker and the job runner of the app, the commands (run on the same
 * PostgreSQL), LISTEN/NOTIFY wake-ups. Simulated: GitHub, a local HTTP server answering as
 * GitHub does after BENCH_READ_MS (reads) and BENCH_WRITE_MS (writes), with Probot's own
 * Octokit (retries and write spacing as in production).
 *
 * Run: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench --
 * approval-to-start. Knobs: BENCH_REQUESTS (20), BENCH_RESOURCES (4), BENCH_RESOURCE_CONCURRENCY
 * (5), COUNTERSIGN_WORKER_CONCURRENCY (20), BENCH_COMMAND_MS (200), BENCH_READ_MS (60),
 * BENCH_WRITE_MS (120). Without a database URL it exits 2 (skipped).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import pg from "pg";
import { Probot, ProbotOctokit } from "probot";
import type { GitHub } from "../src/github/client.js";
import { jobHandlers } from "../src/jobs/handlers.js";
import { JobRunner } from "../src/jobs/runner.js";
import { parseServerConfig, type ServerConfig } from "../src/policy/server-config.js";
import { createServices, type Services } from "../src/requests/services.js";
import { openDatabase } from "../src/store/database.js";
import { createExecutor } from "../src/worker/executor.js";
import { withoutProcessThrottle, writeGuard } from "../src/github/write-guard.js";
import { WriteBudget } from "../src/store/write-budget.js";

const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!url) {
  console.error(
    "Set BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g. postgres://postgres@127.0.0.1:5432/test",
  );
  process.exit(2);
}
const knob = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const N = knob("BENCH_REQUESTS", 20);
const RESOURCES = knob("BENCH_RESOURCES", 4);
const RESOURCE_CONCURRENCY = knob("BENCH_RESOURCE_CONCURRENCY", 5);
const WORKER_CONCURRENCY = knob("COUNTERSIGN_WORKER_CONCURRENCY", 20);
const COMMAND_MS = knob("BENCH_COMMAND_MS", 200);
const READ_MS = knob("BENCH_READ_MS", 60);
const WRITE_MS = knob("BENCH_WRITE_MS", 120);
const quiet = process.env.BENCH_DEBUG
  ? {
      info: () => undefined,
      warn: (o: object, m: string) => console.error("warn", m, JSON.stringify(o)),
      error: (o: object, m: string) => console.error("error", m, JSON.stringify(o)),
    }
  : { info: () => undefined, warn: () => undefined, error: () => undefined };

const filePath = (n: number) => `requests/db/2026/12/${n}.sql`;
const command = `SELECT pg_sleep(${COMMAND_MS / 1000});`;
const fileContent = (n: number) => `-- Countersign request #${n}\n\n${command}\n`;

/** GitHub as the worker and the publisher meet it, answering after a realistic delay. */
function fakeGitHub(writes: number[]) {
  const route = (method: string, path: string): [number, unknown] => {
    const pr = /\/pulls\/(\d+)/.exec(path)?.[1];
    const n = Number(pr ?? 0);
    const pull = {
      number: n,
      state: "open",
      merged: false,
      html_url: `https://github.com/acme/ops/pull/${n}`,
      head: { sha: `head${n}`, ref: `countersign/${n}` },
      base: { ref: "main" },
    };
    if (method === "POST" && path.endsWith("/access_tokens"))
      return [201, { token: "t", expires_at: "2999-01-01T00:00:00Z", permissions: {} }];
    if (path.endsWith("/contents/.github/countersign.yml")) return [404, { message: "Not Found" }];
    if (path.endsWith("/collaborators/alice/permission")) return [200, { permission: "write" }];
    if (method === "GET" && /\/pulls\/\d+$/.test(path)) return [200, pull];
    if (path.endsWith("/files")) return [200, [{ filename: filePath(n), status: "added" }]];
    if (path.endsWith("/reviews")) return [200, []];
    if (path.endsWith("/commits"))
      return [200, [{ sha: `head${n}`, author: { login: "countersign[bot]" } }]];
    const file = /\/contents\/requests\/db\/2026\/12\/(\d+)\.sql$/.exec(path)?.[1];
    if (file !== undefined) {
      const content = Buffer.from(fileContent(Number(file))).toString("base64");
      return [200, { type: "file", encoding: "base64", content }];
    }
    if (path === "/graphql")
      return [
        200,
        { data: { result: { commentEdge: { node: { url: "https://x/1" } } }, link: {} } },
      ];
    if (method === "PATCH" && path.includes("/check-runs/")) return [200, { id: 1 }];
    if (method === "PATCH" && pr !== undefined) return [200, { number: n }];
    if (method === "PUT" && path.endsWith("/merge")) return [200, { sha: "m", merged: true }];
    return [500, { message: `unexpected ${method} ${path}` }];
  };
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    const method = request.method ?? "GET";
    // Probot talks to an Enterprise-style host: REST under /api/v3, GraphQL at /api/graphql.
    const raw = decodeURIComponent((request.url ?? "").split("?")[0] ?? "");
    const path = raw === "/api/graphql" ? "/graphql" : raw.replace(/^\/api\/v3/, "");
    const isWrite = method !== "GET" && !path.endsWith("/access_tokens");
    if (isWrite) writes.push(Date.now());
    setTimeout(
      () => {
        const [status, body] = route(method, path);
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      },
      isWrite ? WRITE_MS : READ_MS,
    );
  });
}

function benchConfig(): ServerConfig {
  const resources: Record<string, object> = {};
  for (let r = 0; r < RESOURCES; r += 1) {
    resources[`db${r}`] = {
      repos: ["acme/*"],
      approvals: "none",
      guardrails: { deny: [] },
      concurrency: RESOURCE_CONCURRENCY,
    };
  }
  const parsed = parseServerConfig({ resources });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

/** N requests as intake and the PR job leave them, still pending; returns their ids. */
async function seed(services: Services, config: ServerConfig): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 1; n <= N; n += 1) {
    const resource = `db${n % RESOURCES}`;
    const policy = config.resources[resource]!.floor;
    const { request } = await services.store.create(
      {
        sourceKey: `bench:${n}`,
        kind: "command",
        installationId: 2,
        repoId: 1,
        owner: "acme",
        repo: "ops",
        resource,
        command,
        reason: null,
        requester: "alice",
        sourceType: "issue_comment",
        sourceNumber: 7,
        sourceCommentId: n,
        sourceNodeId: "I_7",
        sourceCommentNodeId: `IC_${n}`,
        sourceUrl: "https://github.com/acme/ops/issues/7",
        status: "pending",
        statusDetail: null,
        classification: await services.checkCommand(command, policy),
        policy,
        expiresAt: new Date(Date.now() + 3_600_000),
      },
      "alice",
    );
    await services.store.patch(request.id, {
      branch: `countersign/${request.id}`,
      filePath: filePath(request.id),
      prNumber: request.id,
      prNodeId: `PR_${request.id}`,
      headSha: `head${request.id}`,
      checkRunId: 9000 + request.id,
      prUrl: `https://github.com/acme/ops/pull/${request.id}`,
    });
    ids.push(request.id);
  }
  return ids;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** The most writes in any 60-second window. */
function peakPerMinute(times: number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= 60_000) j += 1;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const store = `countersign_bench_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${store}`);
  const storeUrl = new URL(url as string);
  storeUrl.pathname = `/${store}`;
  const writes: number[] = [];
  const github = fakeGitHub(writes);
  await new Promise<void>((done) => github.listen(0, "127.0.0.1", done));
  const port = (github.address() as AddressInfo).port;
  const database = await openDatabase({ url: storeUrl.toString() });
  try {
    const config = benchConfig();
    const env: NodeJS.ProcessEnv = {};
    for (const name of Object.keys(config.resources))
      env[`COUNTERSIGN_RESOURCE_${name.toUpperCase()}_URL`] = url;
    const services = createServices(database, env, config);
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const probot = new Probot({
      appId: 123,
      privateKey,
      baseUrl: `http://127.0.0.1:${port}/api/v3`,
      logLevel: "fatal",
      // As in production (src/server/main.ts): the writes are spaced by the store's budget.
      Octokit: ProbotOctokit.defaults(withoutProcessThrottle),
    });
    const guard = writeGuard(new WriteBudget(database.knex), { log: quiet });
    const githubFor = async (id: number) => guard((await probot.auth(id)) as GitHub, id);
    const ids = await seed(services, config);
    const executor = createExecutor(
      { ...services, log: quiet, githubFor },
      { url: storeUrl.toString(), shared: true },
      { concurrency: WORKER_CONCURRENCY, pollMs: 1_000 },
    );
    const runner = new JobRunner(services.jobs, jobHandlers(services, quiet), githubFor, quiet);
    executor.start();
    runner.start();
    await new Promise((done) => setTimeout(done, 300)); // the first poll and the LISTEN

    const approvedAt = new Map<number, number>();
    for (const id of ids) {
      const moved = await services.store.transition(id, "pending", "approved", { actor: "bench" });
      if (!moved.ok) throw new Error(`could not approve ${id}`);
      approvedAt.set(id, Date.now());
    }
    const begun = Math.min(...approvedAt.values());
    let done: { id: number; startedAt: string; status: string }[] = [];
    while (done.length < N) {
      await new Promise((tick) => setTimeout(tick, 50));
      const rows = await Promise.all(ids.map((id) => services.store.get(id)));
      done = rows
        .filter((row) => row !== null && row.result?.phase === "finished")
        .map((row) => ({ id: row!.id, startedAt: row!.result!.startedAt, status: row!.status }));
      if (Date.now() - begun > 120_000) {
        const statuses = rows.map(
          (row) => `${row?.id}:${row?.status}:${row?.result?.phase ?? "-"}`,
        );
        throw new Error(`not finished after 2 minutes: ${statuses.join(" ")}`);
      }
    }
    const executedBy = Date.now();
    while ((await services.jobs.pendingCount()) > 0)
      await new Promise((tick) => setTimeout(tick, 100));
    const publishedBy = Date.now();
    await executor.stop(10_000);
    await runner.stop();

    const waits = done
      .map((row) => Date.parse(row.startedAt) - (approvedAt.get(row.id) ?? 0))
      .sort((a, b) => a - b);
    const failed = done.filter((row) => row.status !== "succeeded").length;
    const spanMin = (publishedBy - begun) / 60_000;
    console.log(
      `machine: ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}; ` +
        `${N} requests over ${RESOURCES} resources (concurrency ${RESOURCE_CONCURRENCY} each), ` +
        `worker concurrency ${WORKER_CONCURRENCY}, command ${COMMAND_MS} ms, GitHub reads ${READ_MS} ms, writes ${WRITE_MS} ms`,
    );
    console.log(
      `approval → execution start: median ${percentile(waits, 50)} ms, p95 ${percentile(waits, 95)} ms, max ${waits.at(-1)} ms`,
    );
    console.log(
      `executions: ${N} in ${((executedBy - begun) / 1000).toFixed(1)} s = ` +
        `${((N * 60_000) / (executedBy - begun)).toFixed(0)} per minute (${failed} not succeeded)`,
    );
    console.log(
      `GitHub writes: ${writes.length} (${(writes.length / N).toFixed(1)} per execution), all published ` +
        `${((publishedBy - begun) / 1000).toFixed(1)} s after the approvals; peak ${peakPerMinute(writes)} in any ` +
        `60 s, average ${(writes.length / Math.max(spanMin, 1 / 60)).toFixed(0)} per minute over that span`,
    );
  } finally {
    github.close();
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS ${store} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
