/**
 * MySQL/MariaDB engine (DESIGN §1.5, issue 17 item 6) on the mysql2 package, for `mysql://` and
 * `mariadb://` URLs.
 *
 * One connection per execution, never with multipleStatements: the command is split by
 * mysql-split.ts and each statement is sent alone. Before connecting, everything the one
 * transaction cannot hold is refused (mysql-refusals.ts): transaction control, every statement
 * MySQL commits implicitly (DDL, account management, maintenance), CALL, dynamic SQL, LOAD DATA,
 * executable comments, and SETs of what the engine pins. The transaction is `START TRANSACTION
 * READ ONLY` for a read-only command (the server refuses its writes, on every storage engine),
 * else `START TRANSACTION`, with the lock and statement bounds pinned before it and checked after
 * every statement together with the transaction still being open (mysql-pins.ts). Rows are
 * streamed, only `keepRows` kept; `SHOW WARNINGS` after each statement becomes notices; the
 * affected-row limit is checked before COMMIT by the skeleton's finish decision. A stop (abort,
 * close) kills the running statement from a second connection (`KILL QUERY`) and rolls back.
 *
 * The flow is the execution skeleton's; the MySQL calls are in mysql-session.ts.
 */
import { ExecutionRunner } from "./execution-skeleton.js";
import { mysqlDialect } from "./mysql-session.js";
import type { MysqlStatement } from "./mysql-split.js";
import type { MysqlTarget } from "./mysql-url.js";
import { credentialRedactor } from "./redact.js";
import type { Engine, ExecuteOptions, ExecutionOutcome } from "./types.js";

export class MysqlEngine implements Engine {
  readonly kind = "mysql" as const;
  private readonly runner: ExecutionRunner<MysqlStatement>;

  /** `target` comes from parseMysqlUrl(url); `url` is kept only to redact its credentials. */
  constructor(url: string, target: MysqlTarget) {
    this.runner = new ExecutionRunner(mysqlDialect(target), credentialRedactor(url));
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  execute(options: ExecuteOptions): Promise<ExecutionOutcome> {
    return this.runner.execute(options);
  }
}
