/**
 * Helpers for the execution worker's tests: a Probot for installation tokens (no webhook
 * handlers: the worker has none), a request seeded in the state the review handlers leave
 * it in (`approved`, PR 42 on head111, check run 9001), the GitHub calls of one execution
 * as nock interceptors, and a scratch schema on the real PostgreSQL the commands run on.
 */
import type { ServerConfig } from "../../src/policy/server-config.js";
import { openServerConfig } from "./server-floor.js";
import nock from "nock";
import pg from "pg";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import type { GitHub } from "../../src/github/client.js";
import { parseConfig, type ResourcePolicy } from "../../src/policy/config.js";
import { createCommandChecker } from "../../src/requests/command-check.js";
import type { Database } from "../../src/store/database.js";
import { RequestStore, type RequestRecord } from "../../src/store/requests.js";
import { TeamCache } from "../../src/store/team-cache.js";
import {
  Executor,
  type ExecutorDeps,
  type ExecutorOptions,
  type StopResult,
} from "../../src/worker/executor.js";
import { jobHandlers } from "../../src/jobs/handlers.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { createServices } from "../../src/requests/services.js";
import type { JobQueue } from "../../src/store/jobs.js";

export const API = "https://api.github.com";
export const OWNER = "acme";
export const REPO = "ops";
export const INSTALLATION_ID = 2;
export const PR = 42;
export const HEAD = "head111";
export const CHECK_RUN = 9001;
export const PR_URL = `https://github.com/${OWNER}/${REPO}/pull/${PR}`;

export const { privateKey: PRIVATE_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export interface LogLine {
  level: string;
  fields: object;
  message: string;
}

/** A logger that keeps every line, so tests can check what was (not) logged. */
export function recordingLog(): {
  lines: LogLine[];
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
} {
  const lines: LogLine[] = [];
  const at = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

export function testProbot(): Probot {
  return new Probot({
    appId: 123,
    privateKey: PRIVATE_KEY,
    logLevel: "fatal",
    // No retries or throttling: a call the test did not expect must fail loudly and at once.
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
}

export function resourcePolicy(resource: object, name = "prod-db"): ResourcePolicy {
  const parsed = parseConfig({ resources: { [name]: resource } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config.resources[name] as ResourcePolicy;
}

export const FILE_PATH = "requests/prod-db/2026/11/1.sql";

/** The request file as intake writes it: header comments, then the command. */
export function requestFile(id: number, command: string): string {
  return `-- Countersign request #${id}\n-- Resource:     prod-db\n-- Requested by: alice\n\n${command}\n`;
}

export interface WorkerWorld {
  store: RequestStore;
  teams: TeamCache;
  jobs: JobQueue;
  probot: Probot;
  log: ReturnType<typeof recordingLog>;
  env: NodeJS.ProcessEnv;
  executor(options?: ExecutorOptions): Executor;
  /** Runs the queued jobs (the outcomes' publications), as the app's job runner would. */
  publish(): Promise<number>;
}

/**
 * An executor whose every run (and sweep) is followed by the job runner publishing what it
 * queued, as the app's job runner would a moment later: tests see the whole story.
 */
class PublishingExecutor extends Executor {
  constructor(
    deps: ExecutorDeps,
    options: ExecutorOptions,
    private readonly publisher: JobRunner,
  ) {
    super(deps, options);
  }

  override async runOnce(): Promise<number | null> {
    const id = await super.runOnce();
    await this.publisher.drain();
    return id;
  }

  override async sweep(): Promise<number> {
    const moved = await super.sweep();
    await this.publisher.drain();
    return moved;
  }

  override async stop(deadlineMs?: number): Promise<StopResult> {
    const result = await super.stop(deadlineMs);
    await this.publisher.drain();
    return result;
  }
}

export function workerWorld(
  database: Database,
  env: NodeJS.ProcessEnv,
  server: ServerConfig = openServerConfig(OWNER),
): WorkerWorld {
  const services = createServices(database, env, server);
  const { store, teams, jobs } = services;
  const probot = testProbot();
  const log = recordingLog();
  const githubFor = async (installationId: number) => (await probot.auth(installationId)) as GitHub;
  const publisher = new JobRunner(jobs, jobHandlers(services, log), githubFor, log, {
    maxAttempts: 1,
  });
  return {
    store,
    teams,
    jobs,
    probot,
    log,
    env,
    publish: () => publisher.drain(),
    executor: (options = {}) =>
      new PublishingExecutor(
        {
          store,
          jobs,
          teams,
          checkCommand: services.checkCommand,
          env,
          serverConfig: server,
          log,
          githubFor,
        },
        { pollMs: 50, ...options },
        publisher,
      ),
  };
}

/** A request as intake + approval leave it: `approved`, PR 42 at head111, check run 9001. */
export async function seedApproved(
  world: WorkerWorld,
  options: {
    policy: ResourcePolicy;
    command: string;
    sourceCommentId?: number;
    /** Approved under this grant rather than by reviews. */
    grantId?: number;
  },
): Promise<RequestRecord> {
  const commentId = options.sourceCommentId ?? 5001;
  const check = await createCommandChecker(world.env)(options.command, options.policy);
  const { request } = await world.store.create(
    {
      sourceKey: `repo:1:comment:${commentId}`,
      kind: "command",
      installationId: INSTALLATION_ID,
      repoId: 1,
      owner: OWNER,
      repo: REPO,
      resource: options.policy.name,
      command: options.command,
      reason: "INC-7",
      requester: "alice",
      sourceType: "issue_comment",
      sourceNumber: 7,
      sourceCommentId: commentId,
      sourceNodeId: "I_node_7",
      sourceCommentNodeId: `IC_node_${commentId}`,
      sourceUrl: `https://github.com/${OWNER}/${REPO}/issues/7#issuecomment-${commentId}`,
      status: "pending",
      statusDetail: null,
      classification: check,
      policy: options.policy,
      grantId: options.grantId ?? null,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
    "alice",
  );
  await world.store.patch(request.id, {
    branch: `countersign/${request.id}`,
    filePath: FILE_PATH,
    prNumber: PR,
    // Every request PR records the branch it merges into (the audit branch).
    baseBranch: "main",
    prNodeId: "PR_node_42",
    headSha: HEAD,
    checkRunId: CHECK_RUN,
    prUrl: PR_URL,
  });
  const approved = await world.store.transition(request.id, "pending", "approved", {
    actor: "countersign",
    detail: "approved in the test",
  });
  if (!approved.ok) throw new Error("could not approve the seeded request");
  return approved.request;
}

export interface ReadsOptions {
  fileContent: string;
  files?: string[];
  /** GitHub's status of the request file in the PR ("added" unless given). */
  fileStatus?: string;
  headSha?: string;
  state?: string;
  /** Reviews (read fresh on every re-check, even when none are needed) and team members. */
  /** `submittedAt` defaults to 2026-11-01 10:0x UTC, in list order. */
  reviews?: { id: number; login: string; state: string; commitId?: string; submittedAt?: string }[];
  teams?: Record<string, string[]>;
  /** False when the re-check stops before reading reviews (the file is refused first). */
  reviewsRead?: boolean;
  /** False for later runs of one Probot instance: it caches the installation token. */
  tokenExchange?: boolean;
  /** The repository's `.github/countersign.yml` now; absent: the repository has none. */
  repositoryConfig?: string;
  /** The requester's permission now (default write). */
  permission?: string;
}

/**
 * The policy reads that open every re-check: the repository's file as it is now (through
 * Probot's config plugin: the repository, then the organisation's `.github`), then the
 * requester's permission.
 */
export function mockPolicyReads(
  scope: nock.Scope,
  options: { repositoryConfig?: string; permission?: string } = {},
): nock.Scope {
  const path = encodeURIComponent(".github/countersign.yml");
  if (options.repositoryConfig === undefined) {
    scope
      .get(`/repos/${OWNER}/${REPO}/contents/${path}`)
      .reply(404, { message: "Not Found" })
      .get(`/repos/${OWNER}/.github/contents/${path}`)
      .reply(404, { message: "Not Found" });
  } else {
    scope.get(`/repos/${OWNER}/${REPO}/contents/${path}`).reply(200, options.repositoryConfig, {
      "content-type": "application/vnd.github.raw; charset=utf-8",
    });
  }
  return scope;
}

function mockRequesterPermission(scope: nock.Scope, permission: string): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/collaborators/alice/permission`)
    .reply(200, { permission, role_name: permission, user: { login: "alice" } });
}

/** The reads of the fresh re-check, in the order the worker makes them. */
export function mockRecheck(options: ReadsOptions, scope: nock.Scope = nock(API)): nock.Scope {
  const head = options.headSha ?? HEAD;
  const pull = {
    number: PR,
    state: options.state ?? "open",
    merged: false,
    html_url: PR_URL,
    head: { sha: head, ref: "countersign/1" },
    base: { ref: "main" },
  };
  if (options.tokenExchange !== false) mockToken(scope);
  mockPolicyReads(scope, options);
  const permission = options.permission ?? "write";
  mockRequesterPermission(scope, permission);
  if (permission !== "write" && permission !== "admin" && permission !== "maintain") return scope;
  scope.get(`/repos/${OWNER}/${REPO}/pulls/${PR}`).reply(200, pull);
  if ((options.state ?? "open") !== "open") return scope;
  scope
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/files`)
    .query(true)
    .reply(
      200,
      (options.files ?? [FILE_PATH]).map((filename) => ({
        filename,
        status: filename === FILE_PATH ? (options.fileStatus ?? "added") : "added",
      })),
    );
  const touchesOthers =
    (options.files ?? [FILE_PATH]).some((file) => file !== FILE_PATH) ||
    (options.fileStatus ?? "added") !== "added";
  if (head !== HEAD || touchesOthers) return scope;
  scope
    // Octokit encodes the whole path parameter, slashes included.
    .get(`/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(FILE_PATH)}`)
    .query({ ref: head })
    .reply(200, {
      type: "file",
      encoding: "base64",
      path: FILE_PATH,
      content: Buffer.from(options.fileContent, "utf8").toString("base64"),
    });
  if (options.reviewsRead !== false) {
    const reviews = options.reviews ?? [];
    scope
      .get(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
      .reply(200, pull)
      .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/reviews`)
      .query(true)
      .reply(
        200,
        reviews.map((review, index) => ({
          id: review.id,
          user: { login: review.login, type: "User" },
          state: review.state,
          commit_id: review.commitId ?? head,
          submitted_at:
            review.submittedAt ?? new Date(Date.UTC(2026, 10, 1, 10, index)).toISOString(),
          body: "",
        })),
      )
      .get(`/repos/${OWNER}/${REPO}/pulls/${PR}/commits`)
      .query(true)
      .reply(200, [
        {
          sha: head,
          author: { login: "countersign[bot]" },
          committer: { login: "web-flow" },
        },
      ])
      // GitHub's record of the branch's pushes: Countersign created it (listActivities).
      .get(`/repos/${OWNER}/${REPO}/activity`)
      .query(true)
      .reply(200, [
        {
          id: 1,
          ref: "refs/heads/countersign/1",
          activity_type: "branch_creation",
          actor: { login: "countersign[bot]", type: "Bot" },
        },
      ]);
    for (const [team, members] of Object.entries(options.teams ?? {})) {
      scope
        .get(`/orgs/${OWNER}/teams/${team}/members`)
        .query(true)
        .reply(
          200,
          members.map((login) => ({ login })),
        );
    }
  }
  return scope;
}

/**
 * The writes that publish an outcome: comments (GraphQL), check run, PR body, and the merge
 * after a read of the pull request's base (`baseNow`, "main" unless given: a changed base
 * is not merged into, and the merge is not asked).
 */
export function mockPublish(
  options: { merge?: { status: number; body: object }; baseNow?: string } = {},
  scope: nock.Scope = nock(API),
): nock.Scope {
  const baseNow = options.baseNow ?? "main";
  scope
    .get(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
    .reply(200, {
      number: PR,
      state: "open",
      merged: false,
      merge_commit_sha: null,
      head: { sha: HEAD },
      base: { ref: baseNow },
    })
    .post("/graphql")
    .reply(200, {
      data: { result: { commentEdge: { node: { url: `${PR_URL}#issuecomment-777` } } }, link: {} },
    })
    .patch(`/repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN}`)
    .reply(200, { id: CHECK_RUN })
    .patch(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
    .reply(200, { number: PR });
  if (baseNow !== "main") return scope;
  return scope.put(`/repos/${OWNER}/${REPO}/pulls/${PR}/merge`).reply(
    options.merge?.status ?? 200,
    options.merge?.body ?? {
      sha: "merge999",
      merged: true,
      message: "Pull Request successfully merged",
    },
  );
}

/** A schema of its own on the target PostgreSQL, dropped afterwards. */
export interface Scratch {
  schema: string;
  client: pg.Client;
  query<T extends pg.QueryResultRow>(sql: string): Promise<T[]>;
  drop(): Promise<void>;
}

export async function scratchSchema(url: string): Promise<Scratch> {
  const schema = `cs_worker_${randomBytes(5).toString("hex")}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  return {
    schema,
    client,
    query: async <T extends pg.QueryResultRow>(sql: string) => (await client.query<T>(sql)).rows,
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Waits until `check` holds (polling), or fails after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The installation token exchange (once per Probot instance: it caches the token). */
export function mockToken(scope: nock.Scope = nock(API)): nock.Scope {
  return scope
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(201, { token: "test-token", expires_at: "2999-01-01T00:00:00Z", permissions: {} });
}

/**
 * The three writes of a re-check that refuses before running: the check run, the PR body
 * (closed too, unless the request only went back to pending) and the explaining comment.
 */
export function mockRefusalWrites(scope: nock.Scope = nock(API)): nock.Scope {
  return scope
    .patch(`/repos/${OWNER}/${REPO}/check-runs/${CHECK_RUN}`)
    .reply(200, {})
    .patch(`/repos/${OWNER}/${REPO}/pulls/${PR}`)
    .reply(200, {})
    .post(`/repos/${OWNER}/${REPO}/issues/${PR}/comments`)
    .reply(201, { id: 1, html_url: `${PR_URL}#issuecomment-1` });
}
