/**
 * The lease sweeper stops a dead worker's session by its pid AND its start time, against a
 * real PostgreSQL: a pid that now names a later session (reused) is never terminated. The
 * sessions here are this test's own.
 */
import pg from "pg";
import { terminateSession } from "../../src/engines/pg-terminate.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";

const describeWithDb = describeWithServer("the session termination tests against a real server");

describeWithDb("terminateSession (real PostgreSQL at TEST_DATABASE_URL)", () => {
  const url = TEST_SERVER_URL ?? "";
  let victim: pg.Client;
  let identity: { backendPid: number; backendStart: string };

  beforeEach(async () => {
    victim = new pg.Client({ connectionString: url, application_name: "countersign-test-victim" });
    victim.on("error", () => undefined);
    await victim.connect();
    const { rows } = await victim.query<{ pid: number; start: string }>(
      `SELECT pg_backend_pid() AS pid,
              (extract(epoch FROM backend_start) * 1000000)::bigint::text AS start
         FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    );
    identity = { backendPid: rows[0]!.pid, backendStart: rows[0]!.start };
  });

  afterEach(async () => {
    await victim.end().catch(() => undefined);
  });

  async function alive(): Promise<boolean> {
    return victim.query("SELECT 1").then(
      () => true,
      () => false,
    );
  }

  test("the same pid with another start time (a reused pid) is left alone", async () => {
    const reused = { ...identity, backendStart: String(BigInt(identity.backendStart) + 1n) };
    expect(await terminateSession(url, reused)).toEqual({ terminated: false });
    expect(await alive()).toBe(true);
  });

  test("the recorded session is terminated", async () => {
    expect(await terminateSession(url, identity)).toEqual({ terminated: true });
    expect(await alive()).toBe(false);
  });

  test("a resource that is not PostgreSQL is not touched, and says so", async () => {
    expect(await terminateSession("mssql://sa:secret@db/app", identity)).toEqual({
      terminated: false,
      problem: "only PostgreSQL sessions can be terminated",
    });
    expect(await alive()).toBe(true);
  });
});
