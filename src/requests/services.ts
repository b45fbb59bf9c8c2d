/**
 * The app's services over one database, built once per process (the app server, the
 * separate worker, and the tests all use this).
 */
import { NodeIds } from "../github/node-ids.js";
import type { Database } from "../store/database.js";
import { JobQueue } from "../store/jobs.js";
import { RequestStore } from "../store/requests.js";
import { TeamCache } from "../store/team-cache.js";
import { createCommandChecker, type CheckCommand } from "./command-check.js";
import type { ServerConfig } from "../policy/server-config.js";

export interface Services {
  /** GraphQL node ids of teams, labels and users, looked up once. */
  nodeIds: NodeIds;
  database: Database;
  store: RequestStore;
  jobs: JobQueue;
  teams: TeamCache;
  checkCommand: CheckCommand;
  /** The server's environment: resource URLs. */
  env: NodeJS.ProcessEnv;
  /** The server file: which resources exist, for which repositories, and their floors. */
  serverConfig: ServerConfig;
  now(): Date;
}

export function createServices(
  database: Database,
  env: NodeJS.ProcessEnv,
  serverConfig: ServerConfig,
): Services {
  return {
    database,
    nodeIds: new NodeIds(),
    store: new RequestStore(database.knex),
    jobs: new JobQueue(database.knex),
    teams: new TeamCache(database.knex),
    checkCommand: createCommandChecker(env),
    env,
    serverConfig,
    now: () => new Date(),
  };
}
