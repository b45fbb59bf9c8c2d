/**
 * The installation write budget in the store, on the embedded PGlite and (with
 * TEST_DATABASE_URL) a real PostgreSQL: bursts, reservations ahead, the window bound, pauses,
 * and concurrent takes that never hand out more tokens than there are.
 */
import type { Database } from "../../src/store/database.js";
import { WriteBudget, type WriteLimits } from "../../src/store/write-budget.js";
import { testDatabases } from "../helpers/databases.js";

const BIG = { limit: 1_000_000, windowMs: 3_600_000, burst: 100_000 };
/** 4 a minute, 2 at once: then one every 30 s. */
const SMALL: WriteLimits = { minute: { limit: 4, windowMs: 60_000, burst: 2 }, hour: BIG };

describe.each(testDatabases())("write budget on $name", ({ open }) => {
  let database: Database;
  let installation = 100;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(() => {
    installation += 1;
  });

  test("a burst goes at once; then tokens are reserved ahead, never beyond the limit per window", async () => {
    const budget = new WriteBudget(database.knex, SMALL);
    expect(await budget.take(installation, 0)).toEqual({ granted: true, waitMs: 0 });
    expect(await budget.take(installation, 0)).toEqual({ granted: true, waitMs: 0 });
    // The next token is 30 s away: refused when we would wait at most 1 s, nothing taken.
    const refused = await budget.take(installation, 1_000);
    expect(refused.granted).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(29_000);
    expect(refused.waitMs).toBeLessThanOrEqual(30_000);
    // Reserved ahead: 30 s, then 60 s; a fifth within the minute would be a fifth write.
    const third = await budget.take(installation, 60_000);
    const fourth = await budget.take(installation, 60_000);
    expect(third.granted && fourth.granted).toBe(true);
    expect(third.waitMs).toBeGreaterThan(29_000);
    expect(fourth.waitMs).toBeGreaterThan(59_000);
    const fifth = await budget.take(installation, 60_000);
    expect(fifth.granted).toBe(false);
    expect(fifth.waitMs).toBeGreaterThan(89_000);
  });

  test("the hour's bucket binds too", async () => {
    const hourly: WriteLimits = {
      minute: BIG,
      hour: { limit: 3, windowMs: 3_600_000, burst: 2 },
    };
    const budget = new WriteBudget(database.knex, hourly);
    await budget.take(installation, 0);
    await budget.take(installation, 0);
    const third = await budget.take(installation, 30_000);
    expect(third.granted).toBe(false);
    expect(third.waitMs).toBeGreaterThan(3_500_000);
  });

  test("a pause holds the installation's writes, is never shortened, and spares the others", async () => {
    const budget = new WriteBudget(database.knex, SMALL);
    await budget.pause(installation, 30_000);
    await budget.pause(installation, 5_000);
    const held = await budget.take(installation, 60_000);
    expect(held.granted).toBe(false);
    expect(held.waitMs).toBeGreaterThan(29_000);
    expect(held.waitMs).toBeLessThanOrEqual(30_000);
    expect(await budget.take(installation + 1000, 0)).toEqual({ granted: true, waitMs: 0 });
    // After the pause the minute's burst is spent: writes resume at the steady rate.
    await database
      .knex("write_budget")
      .where({ installation_id: installation })
      .update({
        paused_until: database.knex.raw("now() - interval '1 second'"),
      });
    const after = await budget.take(installation, 60_000);
    expect(after.granted).toBe(true);
    expect(after.waitMs).toBeGreaterThan(25_000);
  });

  test("concurrent takes (as from several replicas) never hand out more than the burst", async () => {
    const limits: WriteLimits = { minute: { limit: 10, windowMs: 60_000, burst: 5 }, hour: BIG };
    const replicas = [
      new WriteBudget(database.knex, limits),
      new WriteBudget(database.knex, limits),
    ];
    const takes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => replicas[index % 2]?.take(installation, 0)),
    );
    expect(takes.filter((take) => take?.granted)).toHaveLength(5);
  });
});
