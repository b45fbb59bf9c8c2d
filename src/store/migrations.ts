/**
 * Schema migrations, kept in code rather than files so the same list runs from `src/` under
 * Jest and from `dist/` in production without a loader for either.
 */
import type { Knex } from "knex";

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const MIGRATIONS: Migration[] = [
  {
    name: "001_requests_events_jobs",
    async up(knex) {
      await knex.schema.createTable("requests", (table) => {
        table.increments("id").primary();
        // repository id + comment/issue/PR id: a redelivered webhook finds the request it made.
        table.string("source_key", 200).notNullable().unique();
        table.string("kind", 16).notNullable();
        table.bigInteger("installation_id").notNullable();
        table.bigInteger("repo_id").notNullable();
        table.string("owner", 100).notNullable();
        table.string("repo", 100).notNullable();
        table.string("resource", 100).notNullable();
        table.text("command").notNullable();
        table.text("reason");
        table.string("requester", 100).notNullable();
        table.string("source_type", 32).notNullable();
        table.integer("source_number").notNullable();
        table.bigInteger("source_comment_id");
        table.string("source_node_id", 100);
        table.string("source_comment_node_id", 100);
        table.text("source_url").notNullable();
        table.string("status", 16).notNullable();
        table.text("status_detail");
        table.string("branch", 200);
        table.text("file_path");
        table.integer("pr_number");
        table.string("pr_node_id", 100);
        table.string("head_sha", 64);
        table.bigInteger("check_run_id");
        table.text("classification");
        table.text("policy");
        table.text("result");
        table.bigInteger("grant_duration_ms");
        table.timestamp("grant_ends_at", { useTz: true });
        table.integer("grant_id");
        table.string("lease_owner", 100);
        table.timestamp("lease_expires_at", { useTz: true });
        table.timestamp("expires_at", { useTz: true });
        table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.index(["status", "expires_at"]);
        table.index(["owner", "repo", "pr_number"]);
      });
      await knex.schema.createTable("request_events", (table) => {
        table.increments("id").primary();
        table.integer("request_id").notNullable().references("requests.id").onDelete("CASCADE");
        table.string("from_status", 16);
        table.string("to_status", 16).notNullable();
        table.string("actor", 100).notNullable();
        table.text("detail");
        table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.index(["request_id"]);
      });
      await knex.schema.createTable("jobs", (table) => {
        table.increments("id").primary();
        table.string("kind", 64).notNullable();
        table.integer("request_id").references("requests.id").onDelete("CASCADE");
        // Makes enqueueing idempotent: a redelivered webhook cannot queue the same work twice.
        table.string("dedupe_key", 250).unique();
        table.bigInteger("installation_id").notNullable();
        table.text("payload").notNullable();
        table.timestamp("run_after", { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.integer("attempts").notNullable().defaultTo(0);
        table.string("locked_by", 100);
        table.timestamp("locked_until", { useTz: true });
        table.text("last_error");
        table.timestamp("done_at", { useTz: true });
        table.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
        table.index(["done_at", "run_after"]);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists("jobs");
      await knex.schema.dropTableIfExists("request_events");
      await knex.schema.dropTableIfExists("requests");
    },
  },
  {
    name: "002_review_cache_team_cache",
    async up(knex) {
      await knex.schema.alterTable("requests", (table) => {
        // Reviews as webhooks delivered them: a warm re-evaluation needs no GitHub read.
        table.text("reviews");
        // Logins that pushed to the request branch (their approvals never count).
        table.text("pushers");
        // Digest of the status last shown on GitHub: unchanged status, no write.
        table.string("status_digest", 64);
        table.string("pr_url", 500);
      });
      // Team members, shared by every replica; a membership webhook deletes the row.
      await knex.schema.createTable("team_cache", (table) => {
        table.string("team_key", 200).primary();
        table.text("members").notNullable();
        table.timestamp("fetched_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists("team_cache");
      await knex.schema.alterTable("requests", (table) => {
        table.dropColumns("reviews", "pushers", "status_digest", "pr_url");
      });
    },
  },
  {
    name: "003_base_branch",
    async up(knex) {
      // The branch a request PR must merge into: a base edited afterwards is refused.
      await knex.schema.alterTable("requests", (table) => {
        table.string("base_branch", 250);
      });
    },
    async down(knex) {
      await knex.schema.alterTable("requests", (table) => {
        table.dropColumn("base_branch");
      });
    },
  },
  {
    name: "004_reconciler",
    async up(knex) {
      // Who does a job that one replica must do at a time (the redelivery reconciler): the
      // holder renews its lease; anyone may take an expired one.
      await knex.schema.createTable("leader_leases", (table) => {
        table.string("name", 100).primary();
        table.string("holder", 100).notNullable();
        table.timestamp("expires_at", { useTz: true }).notNullable();
        // What the leader has done so far (the reconciler: the newest delivery it has seen).
        table.text("cursor");
      });
      // Each failed delivery is asked to be redelivered once, whichever replica leads.
      await knex.schema.createTable("webhook_redeliveries", (table) => {
        table.string("guid", 100).primary();
        table.bigInteger("delivery_id").notNullable();
        table.string("event", 100);
        table.timestamp("requested_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists("webhook_redeliveries");
      await knex.schema.dropTableIfExists("leader_leases");
    },
  },
  {
    name: "005_job_delivery_and_cancel",
    async up(knex) {
      // The webhook delivery a job came from, so every log line of the job can name it.
      await knex.schema.alterTable("jobs", (table) => {
        table.string("delivery_id", 100);
      });
      // A /cancel of a running command: the worker holding it polls this and stops it.
      await knex.schema.alterTable("requests", (table) => {
        table.string("cancel_requested_by", 100);
      });
    },
    async down(knex) {
      await knex.schema.alterTable("requests", (table) => {
        table.dropColumn("cancel_requested_by");
      });
      await knex.schema.alterTable("jobs", (table) => {
        table.dropColumn("delivery_id");
      });
    },
  },
  {
    name: "006_write_budget",
    async up(knex) {
      // One GitHub write budget per installation, shared by every replica and worker
      // (store/write-budget.ts): a minute's and an hour's token bucket, and the pause GitHub
      // asked for after a rate limit.
      await knex.schema.createTable("write_budget", (table) => {
        table.bigInteger("installation_id").primary();
        table.double("minute_tokens").notNullable();
        table.double("hour_tokens").notNullable();
        table.timestamp("refilled_at", { useTz: true }).notNullable();
        table.timestamp("paused_until", { useTz: true });
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists("write_budget");
    },
  },
  {
    name: "007_not_before",
    async up(knex) {
      // Execution windows and `/schedule` (issue 17): an approved command is not claimed before
      // this instant; who set it with `/schedule` (null: the worker, waiting for the window).
      await knex.schema.alterTable("requests", (table) => {
        table.timestamp("not_before", { useTz: true });
        table.string("scheduled_by", 100);
      });
    },
    async down(knex) {
      await knex.schema.alterTable("requests", (table) => {
        table.dropColumns("not_before", "scheduled_by");
      });
    },
  },
  {
    name: "008_one_open_gitops_request_per_pull",
    async up(knex) {
      // GitOps intake (issue 17): two looks at one pull request (pushes close together) must
      // not both take it in; the second insert fails, its job retries and finds the first.
      await knex.raw(
        `CREATE UNIQUE INDEX requests_one_open_per_pull ON requests (repo_id, pr_number)
         WHERE source_type = 'pull_request' AND status IN ('pending', 'approved', 'running')`,
      );
    },
    async down(knex) {
      await knex.raw("DROP INDEX IF EXISTS requests_one_open_per_pull");
    },
  },
];

/** A knex migration source over the in-code list above. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
