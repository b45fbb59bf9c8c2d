/**
 * Operator endpoints beside Probot's own routes: `/healthz` (the process answers),
 * `/readyz` (the store answers, its migrations are current, the job queue moves) and
 * `/metrics` (Prometheus). A handler returns false for any other path so Probot goes on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Knex } from "knex";
import { migrationsCurrent } from "../store/database.js";
import type { JobQueue } from "../store/jobs.js";
import type { Metrics } from "./metrics.js";

/** A due job older than this means nobody is running jobs. */
export const STUCK_QUEUE_SECONDS = 600;

export interface ReadinessSources {
  knex: Knex;
  jobs: JobQueue;
}

export interface Readiness {
  ready: boolean;
  checks: { store: string; migrations: string; queue: string };
}

export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const checks = { store: "ok", migrations: "ok", queue: "ok" };
  try {
    await sources.knex.raw("select 1");
  } catch (error) {
    checks.store = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
    return { ready: false, checks: { ...checks, migrations: "unknown", queue: "unknown" } };
  }
  try {
    if (!(await migrationsCurrent(sources.knex))) checks.migrations = "pending migrations";
    const { oldestDueAgeSeconds } = await sources.jobs.stats();
    if (oldestDueAgeSeconds > STUCK_QUEUE_SECONDS) {
      checks.queue = `stuck: the oldest due job has waited ${Math.round(oldestDueAgeSeconds)} s`;
    }
  } catch (error) {
    checks.migrations = `unknown: ${error instanceof Error ? error.message : String(error)}`;
  }
  const ready = Object.values(checks).every((value) => value === "ok");
  return { ready, checks };
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

export function operatorRoutes(sources: ReadinessSources, metrics: Metrics): Handler {
  return async (request, response) => {
    if (request.method !== "GET") return false;
    const path = (request.url ?? "").split("?")[0];
    switch (path) {
      case "/healthz":
        sendJson(response, 200, { status: "ok" });
        return true;
      case "/readyz": {
        const readiness = await checkReadiness(sources);
        sendJson(response, readiness.ready ? 200 : 503, readiness);
        return true;
      }
      case "/metrics": {
        const { contentType, body } = await metrics.render();
        response.writeHead(200, { "content-type": contentType });
        response.end(body);
        return true;
      }
      default:
        return false;
    }
  };
}
