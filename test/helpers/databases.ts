/**
 * The databases store tests run against: always the embedded default (PGlite in memory),
 * and a real PostgreSQL server when TEST_DATABASE_URL is set (CI sets it). Each PostgreSQL
 * test gets a database of its own, dropped afterwards, so files can run in parallel.
 */
import knexFactory from "knex";
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../src/store/database.js";

export interface TestDatabase {
  name: string;
  open(): Promise<Database>;
}

async function openTemporaryPostgres(baseUrl: string): Promise<Database> {
  const name = `countersign_test_${randomBytes(6).toString("hex")}`;
  const admin = knexFactory({ client: "pg", connection: baseUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  return {
    ...database,
    async close() {
      await database.close();
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

export function testDatabases(): TestDatabase[] {
  const list: TestDatabase[] = [
    { name: "embedded PGlite", open: () => openDatabase({ embeddedPath: "memory://" }) },
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: "PostgreSQL server", open: () => openTemporaryPostgres(url) });
  return list;
}

/** Empties the app's tables between tests that share one database. */
export async function resetDatabase(database: Database): Promise<void> {
  await database.knex.raw(
    "TRUNCATE requests, request_events, jobs, team_cache RESTART IDENTITY CASCADE",
  );
}
