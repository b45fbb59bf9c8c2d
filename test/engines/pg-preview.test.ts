/**
 * The dry run on a preview target (issue 16) against a REAL PostgreSQL: a second database this
 * file creates stands for the operator's staging copy. The command runs there through the
 * engine's own path and is always rolled back: the outcome shows the real counts and the
 * RETURNING rows, and the preview target is unchanged afterwards.
 */
import pg from "pg";
import { randomBytes } from "node:crypto";
import { previewCommand } from "../../src/engines/pg-preview.js";
import type { PreviewResult } from "../../src/engines/plan-types.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";

const describeWithDb = describeWithServer("the preview tests against a real server");

const TIMEOUTS = { statementTimeoutMs: 5_000, lockTimeoutMs: 1_000 };

function ran(result: PreviewResult): Extract<PreviewResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a dry run, got: ${result.reason}`);
  return result;
}

describeWithDb("previewCommand (real PostgreSQL at TEST_DATABASE_URL)", () => {
  // describe.skip still runs this body (without a server): a placeholder that is never dialled.
  const base = TEST_SERVER_URL ?? "postgres://unused@127.0.0.1:1/unused";
  const name = `cs_preview_${randomBytes(6).toString("hex")}`;
  const previewUrl = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  let admin: pg.Client;
  let db: pg.Client;

  async function digest(): Promise<string> {
    const { rows } = await db.query<{ d: string }>(
      "SELECT count(*) || ':' || md5(string_agg(id || ':' || status, ',' ORDER BY id)) AS d FROM users",
    );
    return rows[0]!.d;
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    db = new pg.Client({ connectionString: previewUrl });
    await db.connect();
    await db.query(`
      CREATE TABLE users (id int PRIMARY KEY, email text, status text NOT NULL);
      INSERT INTO users SELECT g, 'u' || g || '@example.com', 'active' FROM generate_series(1, 50) g;
    `);
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin?.end();
  });

  test("counts and RETURNING rows are real, and nothing is kept", async () => {
    const before = await digest();
    const result = ran(
      await previewCommand(
        previewUrl,
        "UPDATE users SET status = 'inactive' WHERE id <= 12 RETURNING id, status; DELETE FROM users WHERE id > 45",
        { ...TIMEOUTS, keepRows: 3 },
      ),
    );
    expect(result.outcome).toMatchObject({
      status: "succeeded",
      rolledBack: true,
      affectedRows: 17,
    });
    const [update, remove] = result.outcome.resultSets;
    expect(update).toMatchObject({ command: "UPDATE", affectedRows: 12, totalRows: 12 });
    expect(update?.columns).toEqual(["id", "status"]);
    expect(update?.rows).toEqual([
      ["1", "inactive"],
      ["2", "inactive"],
      ["3", "inactive"],
    ]);
    expect(remove).toMatchObject({ command: "DELETE", affectedRows: 5 });
    expect(Date.parse(result.ranAt)).not.toBeNaN();
    expect(await digest()).toBe(before);
  });

  test("over the resource's limit: reported as the execution would refuse it, rolled back", async () => {
    const before = await digest();
    const result = ran(
      await previewCommand(previewUrl, "UPDATE users SET status = 'x'", {
        ...TIMEOUTS,
        maxAffectedRows: 10,
      }),
    );
    expect(result.outcome.status).toBe("failed");
    expect(result.outcome.rolledBack).toBe(true);
    expect(result.outcome.error?.message).toMatch(/50/);
    expect(await digest()).toBe(before);
  });

  test("a command that fails on the preview reports the server's error", async () => {
    const result = ran(await previewCommand(previewUrl, "DELETE FROM no_such_table", TIMEOUTS));
    expect(result.outcome.status).toBe("failed");
    expect(result.outcome.error?.code).toBe("42P01");
  });

  test("the resource itself, or a target that is not PostgreSQL, is refused before connecting", async () => {
    const sameDatabase = previewUrl.replace("postgres://", "postgresql://");
    expect(
      await previewCommand(previewUrl, "SELECT 1", { ...TIMEOUTS, resourceUrl: sameDatabase }),
    ).toEqual({
      ok: false,
      reason:
        "The preview target is the resource itself; a dry run is only made on a separate copy.",
    });
    expect(await previewCommand("mssql://sa:pw@host/db", "SELECT 1", TIMEOUTS)).toMatchObject({
      ok: false,
    });
  });
});
