/**
 * `not_before` (issue 17): an approved command whose execution window or `/schedule` lies
 * ahead is not offered to workers until then; `/schedule` records it once, with its event,
 * only on an open command request. On PGlite and, with TEST_DATABASE_URL, a real PostgreSQL.
 */
import { RequestStore, type NewRequest } from "../../src/store/requests.js";
import type { CommandCheck } from "../../src/lifecycle/records.js";
import type { ResourcePolicy } from "../../src/policy/config.js";
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
  window: [
    {
      days: ["mon", "tue", "wed", "thu", "fri"],
      startMinute: 540,
      endMinute: 1020,
      timeZone: "UTC",
    },
  ],
};

function newRequest(commentId: number): NewRequest {
  return {
    sourceKey: `repo:1:comment:${commentId}`,
    kind: "command",
    installationId: 7,
    repoId: 1,
    owner: "acme",
    repo: "ops",
    resource: "prod-db",
    command: "SELECT 1",
    reason: null,
    requester: "alice",
    sourceType: "issue_comment",
    sourceNumber: 5,
    sourceCommentId: commentId,
    sourceNodeId: "I_1",
    sourceCommentNodeId: `IC_${commentId}`,
    sourceUrl: `https://github.com/acme/ops/issues/5#issuecomment-${commentId}`,
    status: "pending",
    statusDetail: null,
    classification: CHECK,
    policy: POLICY,
    expiresAt: new Date(Date.now() + 60_000),
  };
}

const NOW = new Date("2026-12-07T10:00:00Z");

describe.each(testDatabases())("not_before on $name", ({ open }) => {
  let database: Database;
  let store: RequestStore;

  beforeEach(async () => {
    database = await open();
    store = new RequestStore(database.knex);
  });
  afterEach(async () => {
    await database.close();
  });

  /** An approved command with a PR, as the worker looks for them. */
  async function approved(commentId: number, notBefore: Date | null): Promise<number> {
    const { request } = await store.create(newRequest(commentId), "alice");
    await store.patch(request.id, { prNumber: 40 + commentId, headSha: "abc", notBefore });
    const moved = await store.transition(request.id, "pending", "approved", { actor: "test" });
    if (!moved.ok) throw new Error("not approved");
    return request.id;
  }

  test("findClaimable skips a request whose not_before is still ahead of now", async () => {
    const none = await approved(1, null);
    const past = await approved(2, new Date(NOW.getTime() - 1_000));
    const exactlyNow = await approved(3, NOW);
    const ahead = await approved(4, new Date(NOW.getTime() + 60_000));

    const claimable = (await store.findClaimable(10, NOW)).map((row) => row.id);
    expect(claimable).toEqual([none, past, exactlyNow]);

    const later = (await store.findClaimable(10, new Date(NOW.getTime() + 60_000))).map(
      (row) => row.id,
    );
    expect(later).toEqual([none, past, exactlyNow, ahead]);
  });

  test("the record reads not_before back as a Date", async () => {
    const id = await approved(1, new Date("2026-12-07T09:00:00Z"));
    const stored = await store.get(id);
    expect(stored?.notBefore).toEqual(new Date("2026-12-07T09:00:00Z"));
    expect(stored?.scheduledBy).toBeNull();
  });

  test("schedule records the time, who set it and one event; the same again changes nothing", async () => {
    const id = await approved(1, null);
    const at = new Date("2026-12-08T09:30:00Z");
    const first = await store.schedule(id, at, "bob", "scheduled by bob");
    expect(first?.changed).toBe(true);
    expect(first?.request).toMatchObject({ notBefore: at, scheduledBy: "bob", status: "approved" });
    const again = await store.schedule(id, at, "bob", "scheduled by bob");
    expect(again?.changed).toBe(false);
    const notes = (await store.events(id)).filter((event) => event.detail === "scheduled by bob");
    expect(notes).toEqual([
      expect.objectContaining({ actor: "bob", fromStatus: "approved", toStatus: "approved" }),
    ]);
  });

  test("schedule does nothing on a request that no longer waits to run", async () => {
    const id = await approved(1, null);
    await store.transition(id, "approved", "cancelled", { actor: "alice" });
    expect(await store.schedule(id, new Date("2026-12-08T09:30:00Z"), "bob", "x")).toBeNull();
    expect((await store.get(id))?.notBefore).toBeNull();
  });
});
