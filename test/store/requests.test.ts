import { RequestStore, type NewRequest } from "../../src/store/requests.js";
import type { CommandCheck } from "../../src/lifecycle/records.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
import { JobQueue, type NewJob } from "../../src/store/jobs.js";
import type { Database } from "../../src/store/database.js";
import { testDatabases } from "../helpers/databases.js";

const CHECK: CommandCheck = {
  dialect: "postgres",
  ok: true,
  error: null,
  statements: [],
  denied: [],
  warnings: [],
  readOnly: true,
};

const POLICY: ResourcePolicy = {
  name: "prod-db",
  approvals: { mode: "none" },
  autoApprove: [],
  timeoutMs: 60_000,
  guardrails: { deny: ["drop"], warn: [], allowUnparsed: false },
  output: "table",
  jit: null,
};

function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  return {
    sourceKey: "repo:1:comment:100",
    kind: "command",
    installationId: 7,
    repoId: 1,
    owner: "acme",
    repo: "ops",
    resource: "prod-db",
    command: "SELECT 1",
    reason: "check",
    requester: "alice",
    sourceType: "issue_comment",
    sourceNumber: 5,
    sourceCommentId: 100,
    sourceNodeId: "I_1",
    sourceCommentNodeId: "IC_100",
    sourceUrl: "https://github.com/acme/ops/issues/5#issuecomment-100",
    status: "pending",
    statusDetail: null,
    classification: CHECK,
    policy: POLICY,
    expiresAt: new Date(Date.now() + 60_000),
    ...overrides,
  };
}

describe.each(testDatabases())("request store on $name", ({ open }) => {
  let database: Database;
  let store: RequestStore;

  beforeEach(async () => {
    database = await open();
    store = new RequestStore(database.knex);
  });
  afterEach(async () => {
    await database.close();
  });

  test("a stored JSON column that does not fit its schema is an error when read", async () => {
    const { request } = await store.create(newRequest(), "alice");
    await database.knex("requests").where({ id: request.id }).update({ policy: '{"name":"x"}' });
    await expect(store.get(request.id)).rejects.toThrow(/stored policy does not fit its schema/);
    await database
      .knex("requests")
      .where({ id: request.id })
      .update({ policy: JSON.stringify(POLICY), result: '{"phase":1}' });
    await expect(store.get(request.id)).rejects.toThrow(/stored result does not fit its schema/);
  });

  test("creates a request with its first event and reads it back", async () => {
    const { created, request } = await store.create(newRequest(), "alice");
    expect(created).toBe(true);
    expect(request).toMatchObject({
      resource: "prod-db",
      status: "pending",
      installationId: 7,
      sourceCommentId: 100,
      classification: { statements: [] },
    });
    expect(await store.get(request.id)).toMatchObject({ id: request.id, command: "SELECT 1" });
    const events = await store.events(request.id);
    expect(events).toEqual([
      expect.objectContaining({ fromStatus: null, toStatus: "pending", actor: "alice" }),
    ]);
  });

  test("a redelivered intake finds the request it already made and writes nothing", async () => {
    const first = await store.create(newRequest(), "alice");
    const second = await store.create(newRequest({ command: "DROP TABLE users" }), "alice");
    expect(second.created).toBe(false);
    expect(second.request.id).toBe(first.request.id);
    expect(second.request.command).toBe("SELECT 1");
    expect(await store.events(first.request.id)).toHaveLength(1);
    const count = await database.knex("requests").count({ n: "*" }).first();
    expect(Number(count?.n)).toBe(1);
  });

  test("a request cannot be created in a later state", async () => {
    await expect(store.create(newRequest({ status: "approved" }), "alice")).rejects.toThrow(
      /cannot start in status approved/,
    );
  });

  test("a transition is a compare-and-set that records the event", async () => {
    const { request } = await store.create(newRequest(), "alice");
    const moved = await store.transition(request.id, "pending", "approved", {
      actor: "bob",
      detail: "dba 1/1",
    });
    expect(moved.ok).toBe(true);
    const again = await store.transition(request.id, "pending", "rejected", { actor: "carol" });
    expect(again).toEqual({ ok: false, current: expect.objectContaining({ status: "approved" }) });
    const events = await store.events(request.id);
    expect(events.map((event) => [event.fromStatus, event.toStatus, event.actor])).toEqual([
      [null, "pending", "alice"],
      ["pending", "approved", "bob"],
    ]);
  });

  test("two concurrent transitions of the same request: one wins, one is told it lost", async () => {
    const { request } = await store.create(newRequest(), "alice");
    const results = await Promise.all([
      store.transition(request.id, "pending", "approved", { actor: "bob" }),
      store.transition(request.id, "pending", "cancelled", { actor: "alice" }),
    ]);
    const winners = results.filter((result) => result.ok);
    const losers = results.filter((result) => !result.ok);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const final = await store.get(request.id);
    const winner = winners[0];
    if (winner?.ok !== true) throw new Error("expected a winner");
    expect(final?.status).toBe(winner.request.status);
    expect(losers[0]).toEqual({
      ok: false,
      current: expect.objectContaining({ status: final?.status }),
    });
    expect(await store.events(request.id)).toHaveLength(2);
  });

  test("illegal moves are refused before touching the database", async () => {
    const { request } = await store.create(newRequest(), "alice");
    await expect(
      store.transition(request.id, "pending", "succeeded", { actor: "x" }),
    ).rejects.toThrow(/illegal transition pending → succeeded/);
    expect((await store.get(request.id))?.status).toBe("pending");
  });

  test("a transition of a request that does not exist reports no current state", async () => {
    expect(await store.transition(999, "pending", "approved", { actor: "bob" })).toEqual({
      ok: false,
      current: null,
    });
  });

  test("patches record GitHub ids without a status change", async () => {
    const { request } = await store.create(newRequest(), "alice");
    const patched = await store.patch(request.id, {
      prNumber: 42,
      checkRunId: 9000,
      branch: "countersign/1",
    });
    expect(patched).toMatchObject({ prNumber: 42, checkRunId: 9000, status: "pending" });
    expect(await store.findByPullRequest("ACME", "ops", 42)).toMatchObject({ id: request.id });
  });

  test("the expiry sweep finds pending requests past their deadline only", async () => {
    const past = await store.create(
      newRequest({ sourceKey: "a", expiresAt: new Date(Date.now() - 1000) }),
      "alice",
    );
    await store.create(
      newRequest({ sourceKey: "b", expiresAt: new Date(Date.now() + 60_000) }),
      "alice",
    );
    const expired = await store.findExpired(new Date());
    expect(expired.map((request) => request.id)).toEqual([past.request.id]);
  });

  test("an approved request past its deadline expires too; a running one is the worker's", async () => {
    const approved = await store.create(
      newRequest({ sourceKey: "a", expiresAt: new Date(Date.now() - 1000) }),
      "alice",
    );
    await store.transition(approved.request.id, "pending", "approved", { actor: "bob" });
    const running = await store.create(
      newRequest({ sourceKey: "b", expiresAt: new Date(Date.now() - 1000) }),
      "alice",
    );
    await store.transition(running.request.id, "pending", "approved", { actor: "bob" });
    await store.transition(running.request.id, "approved", "running", { actor: "worker" });
    const expired = await store.findExpired(new Date());
    expect(expired.map((request) => request.id)).toEqual([approved.request.id]);
  });
});

describe.each(testDatabases())("job queue on $name", ({ open }) => {
  let database: Database;
  let jobs: JobQueue;

  beforeEach(async () => {
    database = await open();
    jobs = new JobQueue(database.knex);
  });
  afterEach(async () => {
    await database.close();
  });

  test("a dedupe key makes enqueueing idempotent", async () => {
    expect(
      await jobs.enqueue({ kind: "expire", installationId: 1, payload: {}, dedupeKey: "k" }),
    ).toBe(true);
    expect(
      await jobs.enqueue({ kind: "expire", installationId: 1, payload: {}, dedupeKey: "k" }),
    ).toBe(false);
    expect(await jobs.pendingCount()).toBe(1);
  });

  test("a claimed job is leased: nobody else gets it until the lease runs out", async () => {
    await jobs.enqueue({ kind: "source_edited", installationId: 1, payload: { editor: "n1" } });
    const first = await jobs.claim("w1", 60_000);
    expect(first).toMatchObject({ kind: "source_edited", payload: { editor: "n1" }, attempts: 1 });
    expect(await jobs.claim("w2", 60_000)).toBeNull();
    const later = new Date(Date.now() + 61_000);
    expect(await jobs.claim("w2", 60_000, later)).toMatchObject({ id: first?.id, attempts: 2 });
  });

  test("concurrent claims never hand one job to two workers", async () => {
    for (let n = 0; n < 5; n += 1)
      await jobs.enqueue({
        kind: "source_edited",
        installationId: 1,
        payload: { editor: `n${n}` },
      });
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, index) => jobs.claim(`w${index}`, 60_000)),
    );
    const ids = claims.filter((job) => job !== null).map((job) => job?.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  });

  test("failures retry later or give up with the error kept", async () => {
    await jobs.enqueue({ kind: "expire", installationId: 1, payload: {} });
    const job = await jobs.claim("w", 60_000);
    if (job === null) throw new Error("expected a job");
    await jobs.fail(job.id, "boom", 60_000);
    expect(await jobs.claim("w", 60_000)).toBeNull();
    const retried = await jobs.claim("w", 60_000, new Date(Date.now() + 61_000));
    expect(retried?.id).toBe(job.id);
    await jobs.fail(job.id, "boom again", null);
    expect(await jobs.pendingCount()).toBe(0);
    expect(await jobs.failedJobs()).toEqual([{ kind: "expire", lastError: "boom again" }]);
  });

  test("a payload that does not fit its kind is refused when queued", async () => {
    const unfit = { kind: "cancel", installationId: 1, payload: { actor: 7 } } as unknown as NewJob;
    await expect(jobs.enqueue(unfit)).rejects.toThrow(/job cancel: payload does not fit/);
    const unknown = {
      kind: "drop_everything",
      installationId: 1,
      payload: {},
    } as unknown as NewJob;
    await expect(jobs.enqueue(unknown)).rejects.toThrow(/unknown job kind drop_everything/);
    expect(await jobs.pendingCount()).toBe(0);
  });
});
