/**
 * Opens the app's own database: PostgreSQL when DATABASE_URL is set, otherwise an embedded
 * PGlite (PostgreSQL compiled to WASM) in a local directory, so `npm start` needs no server
 * and both run the very same SQL, including `FOR UPDATE SKIP LOCKED`.
 */
import knexFactory, { type Knex } from "knex";
import ClientPgLite from "knex-pglite";
import { migrationSource } from "./migrations.js";

export interface DatabaseOptions {
  /** postgres:// URL; when absent the embedded store is used. */
  url?: string;
  /** Directory of the embedded store; `memory://` keeps it in memory (tests). */
  embeddedPath?: string;
}

export interface Database {
  knex: Knex;
  /** True for PostgreSQL servers: LISTEN/NOTIFY and several processes are available. */
  shared: boolean;
  close(): Promise<void>;
}

export const DEFAULT_EMBEDDED_PATH = ".countersign-data";

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const knex = options.url
    ? knexFactory({
        client: "pg",
        connection: options.url,
        pool: { min: 0, max: 10 },
      })
    : knexFactory({
        client: ClientPgLite,
        dialect: "postgres",
        connection:
          options.embeddedPath === "memory://"
            ? {}
            : { filename: options.embeddedPath ?? DEFAULT_EMBEDDED_PATH },
      } as Knex.Config);
  await migrateToLatest(knex);
  return {
    knex,
    shared: Boolean(options.url),
    close: () => knex.destroy(),
  };
}

/** Runs every migration not yet applied (at start, and by `npm run migrate`). */
export async function migrateToLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource });
}

/** True when every migration the code knows has been applied (for /readyz). */
export async function migrationsCurrent(knex: Knex): Promise<boolean> {
  const [, pending] = (await knex.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return pending.length === 0;
}
