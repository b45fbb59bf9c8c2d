/**
 * Intake's GitHub reads happen in its job, not in the webhook (issue #15, item 7): the
 * delivery is answered without a single GitHub call, a read GitHub fails makes the job
 * retry instead of losing the intake, and a redelivered webhook queues nothing new.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import {
  API,
  createHarness,
  mockConfig,
  mockInstallationToken,
  mockPermission,
  type Harness,
} from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated, issueOpened } from "../helpers/payloads.js";
import { openServerConfig } from "../helpers/server-floor.js";

const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of:
        - { team: dba, min: 1 }
`;
const CONFIG_PATH = `/repos/${OWNER}/${REPO}/contents/${encodeURIComponent(".github/countersign.yml")}`;
const PERMISSION_PATH = `/repos/${OWNER}/${REPO}/collaborators/alice/permission`;
const SOURCE_KEY = "repo:186853002:comment:5001";

const suite = handlerSuite();

interface JobRow {
  kind: string;
  delivery_id: string | null;
  request_id: number | null;
  payload: string;
  attempts: number;
  done_at: Date | string | null;
  last_error: string | null;
}

async function jobs(kind?: string): Promise<JobRow[]> {
  const query = suite.database.knex("jobs").orderBy("id");
  return (await (kind === undefined ? query : query.where({ kind }))) as JobRow[];
}

async function requestCount(): Promise<number> {
  const row = await suite.database.knex("requests").count({ n: "*" }).first();
  return Number(row?.n);
}

/** Any request nock could not answer: with no interceptor at all, every GitHub call. */
function unansweredCalls(): string[] {
  const calls: string[] = [];
  nock.emitter.on("no match", (request: { method?: string; path?: string }) => {
    calls.push(`${request.method ?? "?"} ${request.path ?? "?"}`);
  });
  return calls;
}

afterEach(() => {
  nock.emitter.removeAllListeners("no match");
});

describe("the webhook answers without calling GitHub", () => {
  test.each<[string, string, object, object]>([
    [
      "a /run comment",
      "issue_comment",
      issueCommentCreated({ body: "/run prod-db\n```sql\nSELECT 1;\n```\nReason: INC-7" }),
      { kind: "run", resource: "prod-db", command: "SELECT 1;", reason: "INC-7" },
    ],
    [
      "a /jit comment",
      "issue_comment",
      issueCommentCreated({ body: '/jit prod-db 30m --reason "incident 123"' }),
      {
        kind: "jit",
        resource: "prod-db",
        durationMs: 30 * 60_000,
        durationText: "30m",
        reason: "incident 123",
      },
    ],
    [
      "an issue with a /run block",
      "issues",
      issueOpened({ body: "/run prod-db\n```sql\nSELECT 1;\n```" }),
      { kind: "run", resource: "prod-db", command: "SELECT 1;", reason: null },
    ],
  ])("%s: the intake job is queued with the delivery id", async (_, name, payload, command) => {
    // No interceptor, not even for a token: any GitHub call would fail the delivery.
    const calls = unansweredCalls();
    await suite.deliver(name, payload, "delivery-fast");
    expect(calls).toEqual([]);

    const [job, ...others] = await jobs();
    expect(others).toEqual([]);
    expect(job).toMatchObject({ kind: "intake", delivery_id: "delivery-fast", request_id: null });
    const queued = JSON.parse(String(job?.payload)) as { source: object; command: object };
    expect(queued.command).toEqual(command);
    expect(queued.source).toMatchObject({
      deliveryId: "delivery-fast",
      installationId: 2,
      owner: OWNER,
      repo: REPO,
      author: "alice",
    });
    expect(await requestCount()).toBe(0);
  });
});

describe("a redelivered webhook", () => {
  test("queues one intake job, which makes one request", async () => {
    const payload = issueCommentCreated({ body: "/run prod-db SELECT 1" });
    await suite.deliver("issue_comment", payload, "delivery-1");
    // GitHub's redelivery keeps the id; the reconciler's or a second replica's may not.
    await suite.deliver("issue_comment", payload, "delivery-1");
    await suite.deliver("issue_comment", payload, "delivery-2");
    const intakes = await jobs("intake");
    expect(intakes).toHaveLength(1);
    expect(intakes[0]?.delivery_id).toBe("delivery-1");

    const reads = mockInstallationToken(nock(API));
    mockPermission(mockConfig(reads, OWNER, REPO, CONFIG), OWNER, REPO, "alice", "write");
    expect(await suite.harness.runner.runOnce()).toBe(true);
    expect(await requestCount()).toBe(1);
    const opens = await jobs("open_request");
    expect(opens).toHaveLength(1);
    // The open_request job names the delivery that brought the command.
    expect(opens[0]?.delivery_id).toBe("delivery-1");
    expect(await suite.harness.jobs.pendingCount()).toBe(1);
  });

  test("an intake job run again after it made its request reads nothing and makes nothing", async () => {
    const reads = mockInstallationToken(nock(API));
    mockPermission(mockConfig(reads, OWNER, REPO, CONFIG), OWNER, REPO, "alice", "write");
    await suite.deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    expect(await suite.harness.runner.runOnce()).toBe(true);
    // As if its replica died between the request and marking the job done.
    await suite.database.knex("jobs").where({ kind: "intake" }).update({ done_at: null });
    const calls = unansweredCalls();
    expect(await suite.harness.runner.runOnce()).toBe(true);
    expect(calls).toEqual([]);
    expect((await jobs("intake"))[0]).toMatchObject({ attempts: 2, last_error: null });
    expect(await requestCount()).toBe(1);
    expect(await jobs("open_request")).toHaveLength(1);
    expect(await jobs("reply")).toEqual([]);
  });
});

describe("a read that fails makes the job retry", () => {
  let harness: Harness;
  beforeEach(() => {
    // The harness's runner gives up after one attempt; this one retries as production does.
    harness = createHarness(suite.database, {}, openServerConfig(), undefined, undefined, {
      runner: { maxAttempts: 3 },
    });
  });

  /** The retry is due now rather than after its backoff. */
  async function makeRetryDue(): Promise<void> {
    await suite.database
      .knex("jobs")
      .where({ kind: "intake" })
      .update({ run_after: new Date(Date.now() - 1_000) });
  }

  test.each([
    ["the permission", (scope: nock.Scope) => scope.get(PERMISSION_PATH).reply(502, "Bad Gateway")],
    [
      "the configuration",
      (scope: nock.Scope) =>
        mockPermission(scope, OWNER, REPO, "alice", "write")
          .get(CONFIG_PATH)
          .reply(502, "Bad Gateway"),
    ],
  ])("%s read answered 502, then the retry: exactly one request", async (_, failing) => {
    failing(mockInstallationToken(nock(API)));
    await harness.probot.receive({
      id: "delivery-502",
      name: "issue_comment",
      payload: issueCommentCreated({ body: "/run prod-db SELECT 1" }),
    } as Parameters<Harness["probot"]["receive"]>[0]);

    expect(await harness.runner.runOnce()).toBe(true);
    const [failed] = await jobs("intake");
    expect(failed).toMatchObject({ attempts: 1, done_at: null });
    expect(failed?.last_error).toMatch(/Bad Gateway|502/);
    // Not a refusal: nothing said on the thread, no request, and the retry is not due yet.
    expect(await requestCount()).toBe(0);
    expect(await jobs("reply")).toEqual([]);
    expect(await harness.runner.runOnce()).toBe(false);

    mockPermission(mockConfig(nock(API), OWNER, REPO, CONFIG), OWNER, REPO, "alice", "write");
    await makeRetryDue();
    expect(await harness.runner.runOnce()).toBe(true);

    expect(await requestCount()).toBe(1);
    expect(await harness.store.findBySource(SOURCE_KEY)).toMatchObject({
      status: "pending",
      resource: "prod-db",
      command: "SELECT 1",
    });
    const [done] = await jobs("intake");
    expect(done).toMatchObject({ attempts: 2, last_error: null });
    expect(done?.done_at).not.toBeNull();
    expect(await jobs("open_request")).toHaveLength(1);
    expect(await jobs("reply")).toEqual([]);
  });
});

describe("the configuration is read as context.config read it", () => {
  test("a file that `_extends` the organisation's is merged key by key, arrays concatenated", async () => {
    const reads = mockInstallationToken(nock(API));
    mockPermission(reads, OWNER, REPO, "alice", "write");
    mockConfig(
      reads,
      OWNER,
      REPO,
      "_extends: .github\nresources:\n  prod-db:\n    timeout: 2h\n    guardrails: { deny: [drop] }\n",
    );
    mockConfig(
      reads,
      OWNER,
      ".github",
      "resources:\n  prod-db:\n    approvals: { all_of: [{ team: dba }] }\n    guardrails: { deny: [truncate] }\n",
    );
    await suite.deliver("issue_comment", issueCommentCreated({ body: "/run prod-db SELECT 1" }));
    expect(await suite.harness.runner.runOnce()).toBe(true);
    const request = await suite.harness.store.findBySource(SOURCE_KEY);
    expect(request?.status).toBe("pending");
    expect(request?.policy).toMatchObject({
      approvals: { mode: "all_of", groups: [{ key: "dba" }] },
      timeoutMs: 2 * 3_600_000,
    });
    expect(request?.policy?.guardrails.deny).toEqual(expect.arrayContaining(["drop", "truncate"]));
  });
});
