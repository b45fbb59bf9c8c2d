/**
 * MysqlEngine against a REAL MySQL/MariaDB server (TEST_MYSQL_URL, or the local MariaDB at
 * 127.0.0.1:3306; skipped loudly when neither answers). Every test works in a scratch database
 * of this suite's own, dropped at the end.
 */
import mysql from "mysql2/promise";
import { MysqlEngine } from "../../src/engines/mysql.js";
import { parseMysqlUrl } from "../../src/engines/mysql-url.js";
import type { ExecuteOptions, ExecutionOutcome } from "../../src/engines/types.js";
import {
  createScratchDatabase,
  describeWithMysql,
  type ScratchDatabase,
} from "../helpers/mysql-server.js";

const describeWithServer = await describeWithMysql("the MySQL engine tests against a real server");

function options(sql: string, extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    sql,
    readOnly: false,
    statementTimeoutMs: 10_000,
    lockTimeoutMs: 2_000,
    keepRows: 50,
    ...extra,
  };
}

function engineFor(url: string): MysqlEngine {
  const parsed = parseMysqlUrl(url);
  if (!parsed.ok) throw new Error(parsed.error);
  return new MysqlEngine(url, parsed.target);
}

function expectFailed(outcome: ExecutionOutcome): NonNullable<ExecutionOutcome["error"]> {
  expect(outcome.status).toBe("failed");
  expect(outcome.error).toBeDefined();
  return outcome.error as NonNullable<ExecutionOutcome["error"]>;
}

describeWithServer("MysqlEngine (real MySQL/MariaDB)", () => {
  let db: ScratchDatabase;
  let engine: MysqlEngine;

  async function count(where = "TRUE", table = "users"): Promise<number> {
    const [rows] = await db.admin.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`,
    );
    return Number(rows[0]?.n);
  }

  async function sleepersOnServer(): Promise<number> {
    const [rows] = await db.admin.query<mysql.RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'",
    );
    return Number(rows[0]?.n);
  }

  /** Until the command's SLEEP(30) runs on the server (polled: no fixed delay to guess). */
  async function untilSleeping(): Promise<void> {
    for (let tries = 0; tries < 200; tries += 1) {
      if ((await sleepersOnServer()) === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("SELECT SLEEP(30) never showed up in the process list");
  }

  beforeAll(async () => {
    db = await createScratchDatabase();
    engine = engineFor(db.url);
  });

  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.admin.query("DROP TABLE IF EXISTS users");
    await db.admin.query(
      "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50), status VARCHAR(20) NOT NULL DEFAULT 'active') ENGINE=InnoDB",
    );
    await db.admin.query(
      "INSERT INTO users (id, name) VALUES (1,'user1'),(2,'user2'),(3,'user3'),(4,'user4'),(5,'user5'),(6,'user6'),(7,'user7'),(8,'user8'),(9,'user9'),(10,'user10')",
    );
  });

  it("reads rows and stringifies cells exactly (decimals, big integers, binary hex, JSON text, ISO dates, NULL)", async () => {
    const outcome = await engine.execute(
      options(
        `SELECT 42 AS i, CAST('12345678901234567890.123' AS DECIMAL(30,3)) AS n,
                18446744073709551615 AS big, 'x' AS t, NULL AS nothing, X'DEADBEEF' AS b,
                JSON_OBJECT('a', JSON_ARRAY(1, 2)) AS j,
                CAST('2024-03-05 06:07:08.123456' AS DATETIME(6)) AS ts, DATE'2024-03-05' AS d,
                TIME'10:11:12' AS tm, b'101' AS bits, 0.1e0 + 0.2e0 AS f, 'é😀' AS u, 1, 1`,
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.resultSets).toHaveLength(1);
    const set = outcome.resultSets[0]!;
    expect(set.command).toBe("SELECT");
    expect(set.affectedRows).toBeNull();
    expect(set.totalRows).toBe(1);
    // Duplicate column names survive (rows are arrays).
    expect(set.columns).toEqual([
      "i",
      "n",
      "big",
      "t",
      "nothing",
      "b",
      "j",
      "ts",
      "d",
      "tm",
      "bits",
      "f",
      "u",
      "1",
      "1",
    ]);
    expect(set.rows[0]).toEqual([
      "42",
      "12345678901234567890.123",
      "18446744073709551615",
      "x",
      null,
      "\\xdeadbeef",
      '{"a": [1, 2]}',
      "2024-03-05T06:07:08.123456",
      "2024-03-05",
      "10:11:12",
      "\\x05",
      "0.30000000000000004",
      "é😀",
      "1",
      "1",
    ]);
  });

  it("streams a large result: counts every row, keeps only keepRows", async () => {
    const outcome = await engine.execute(
      options(
        "SELECT a.id AS a, b.id AS b, c.id AS c, d.id AS d, e.id AS e FROM users a, users b, users c, users d, users e ORDER BY a.id, b.id, c.id, d.id, e.id",
        { keepRows: 3 },
      ),
    );
    expect(outcome.status).toBe("succeeded");
    const set = outcome.resultSets[0]!;
    expect(set.totalRows).toBe(100_000);
    expect(set.rows).toEqual([
      ["1", "1", "1", "1", "1"],
      ["1", "1", "1", "1", "2"],
      ["1", "1", "1", "1", "3"],
    ]);
  });

  it("commits writes and reports affected rows per statement and in total", async () => {
    const outcome = await engine.execute(
      options(
        `UPDATE users SET status = 'inactive' WHERE id <= 3;
         INSERT INTO users (id, name) VALUES (11, 'eleven'), (12, 'twelve');
         DELETE FROM users WHERE id = 12`,
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.resultSets.map((s) => [s.command, s.affectedRows])).toEqual([
      ["UPDATE", 3],
      ["INSERT", 2],
      ["DELETE", 1],
    ]);
    expect(outcome.affectedRows).toBe(6);
    expect(await count("status = 'inactive'")).toBe(3);
    expect(await count()).toBe(11);
  });

  it("splits statements as MySQL reads them (quotes, backslash escapes, backticks, -- and # comments)", async () => {
    const outcome = await engine.execute(
      options(
        [
          "-- leading comment; with a semicolon",
          "SELECT 'a;b' AS s, 'it\\'s; fine' AS e, \"dq;\" AS d;",
          "# hash comment; too",
          "/* block; comment */ SELECT 1 AS `semi;colon`;",
          "SELECT 3--1 AS arithmetic;",
          "INSERT INTO users (id, name) VALUES (20, 'x;y')",
        ].join("\n"),
      ),
    );
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets.map((s) => s.command)).toEqual([
      "SELECT",
      "SELECT",
      "SELECT",
      "INSERT",
    ]);
    expect(outcome.resultSets[0]!.rows).toEqual([["a;b", "it's; fine", "dq;"]]);
    expect(outcome.resultSets[1]!.columns).toEqual(["semi;colon"]);
    expect(outcome.resultSets[2]!.rows).toEqual([["4"]]);
    expect(await count("name = 'x;y'")).toBe(1);
  });

  it("rolls back when affected rows exceed maxAffectedRows, and the table is unchanged", async () => {
    const outcome = await engine.execute(
      options("UPDATE users SET status = 'inactive'", { maxAffectedRows: 5 }),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("COUNTERSIGN_MAX_AFFECTED_ROWS");
    expect(error.message).toContain("would have affected 10 row(s)");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.affectedRows).toBe(10);
    expect(await count("status = 'inactive'")).toBe(0);
  });

  it("commits when affected rows are exactly at the limit", async () => {
    const outcome = await engine.execute(
      options("UPDATE users SET status = 'inactive' WHERE id <= 5", { maxAffectedRows: 5 }),
    );
    expect(outcome.status).toBe("succeeded");
    expect(await count("status = 'inactive'")).toBe(5);
  });

  it("read-only: the server refuses a write (1792) and nothing changes", async () => {
    const outcome = await engine.execute(
      options("UPDATE users SET status = 'ro' WHERE id = 1", { readOnly: true }),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("1792");
    expect(error.message).toMatch(/read-only.*READ ONLY transaction/);
    expect(outcome.rolledBack).toBe(true);
    expect(await count("status = 'ro'")).toBe(0);
  });

  it("read-only: a SELECT succeeds and its transaction is ended by COMMIT (nothing to roll back)", async () => {
    const outcome = await engine.execute(
      options("SELECT id FROM users ORDER BY id LIMIT 2", { readOnly: true }),
    );
    expect(outcome).toMatchObject({ status: "succeeded", rolledBack: false });
    expect(outcome.resultSets[0]!.rows).toEqual([["1"], ["2"]]);
  });

  it("a dry run (alwaysRollBack) reports the writes and keeps none of them", async () => {
    const outcome = await engine.execute(
      options("UPDATE users SET status = 'dry' WHERE id <= 2", { alwaysRollBack: true }),
    );
    expect(outcome).toMatchObject({ status: "succeeded", rolledBack: true, affectedRows: 2 });
    expect(await count("status = 'dry'")).toBe(0);
  });

  it("rolls back earlier statements when a later one errors, with the server's code and the statement's line", async () => {
    const outcome = await engine.execute(
      options(
        "INSERT INTO users (id, name) VALUES (40, 'forty');\nSELECT no_such_column FROM users",
      ),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("1054");
    expect(error.message).toContain("no_such_column");
    expect(error.message).toContain("[SQLSTATE 42S22]");
    expect(error.message).toContain("statement 2 of the command, starting on line 2");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.resultSets.map((s) => s.command)).toEqual(["INSERT"]);
    expect(await count("id = 40")).toBe(0);
  });

  it("keeps the server's warnings (SHOW WARNINGS after each statement) as notices", async () => {
    const outcome = await engine.execute(options("SELECT 1/0 AS boom; SELECT 2 AS fine"));
    expect(outcome.status).toBe("succeeded");
    expect(outcome.resultSets[0]!.rows).toEqual([[null]]);
    expect(outcome.notices).toEqual(["Warning 1365: Division by 0"]);
  });

  it("fails a statement that waits for a row lock longer than the lock timeout (rounded up to 1 s)", async () => {
    const holder = await mysql.createConnection(db.url);
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT * FROM users WHERE id = 1 FOR UPDATE");
      const outcome = await engine.execute(
        options(
          "UPDATE users SET status = 'first' WHERE id = 2; UPDATE users SET status = 'locked' WHERE id = 1",
          { lockTimeoutMs: 300 },
        ),
      );
      const error = expectFailed(outcome);
      expect(error.code).toBe("1205");
      expect(error.message).toMatch(/^Lock timeout: .*1 s .*300 ms rounded up/);
      expect(outcome.rolledBack).toBe(true);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect(await count("status IN ('first', 'locked')")).toBe(0);
  });

  it("fails a statement over the statement timeout and rolls back earlier statements", async () => {
    const outcome = await engine.execute(
      options("INSERT INTO users (id, name) VALUES (30, 'x'); SELECT SLEEP(5)", {
        statementTimeoutMs: 300,
      }),
    );
    const error = expectFailed(outcome);
    expect(["1969", "3024"]).toContain(error.code);
    expect(error.message).toMatch(/^Statement timeout: .*300 ms/);
    expect(outcome.rolledBack).toBe(true);
    expect(await count("id = 30")).toBe(0);
  });

  it("an abort stops a running SELECT SLEEP(30) on the server (KILL QUERY) and rolls back", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = engine.execute(
      options("INSERT INTO users (id, name) VALUES (31, 'x'); SELECT SLEEP(30)", {
        signal: controller.signal,
        statementTimeoutMs: 60_000,
      }),
    );
    await untilSleeping();
    controller.abort(new Error("cancelled by the requester"));
    const outcome = await running;
    expect(Date.now() - started).toBeLessThan(15_000);
    const error = expectFailed(outcome);
    expect(error.code).toBe("COUNTERSIGN_ABORTED");
    expect(error.message).toContain("cancelled by the requester");
    expect(outcome.rolledBack).toBe(true);
    expect(await sleepersOnServer()).toBe(0);
    expect(await count("id = 31")).toBe(0);
  });

  it("close() stops a running command on the server and rolls it back", async () => {
    const closing = engineFor(db.url);
    const running = closing.execute(
      options("INSERT INTO users (id, name) VALUES (32, 'x'); SELECT SLEEP(30)", {
        statementTimeoutMs: 60_000,
      }),
    );
    await untilSleeping();
    await closing.close();
    const outcome = await running;
    expect(expectFailed(outcome).code).toBe("COUNTERSIGN_ABORTED");
    expect(await sleepersOnServer()).toBe(0);
    expect(await count("id = 32")).toBe(0);
    const after = await closing.execute(options("SELECT 1"));
    expect(expectFailed(after).message).toBe("The engine is closed.");
  });

  it("beforeCommit returning false rolls the command back", async () => {
    const outcome = await engine.execute(
      options("INSERT INTO users (id, name) VALUES (33, 'x')", {
        beforeCommit: () => Promise.resolve(false),
      }),
    );
    expect(expectFailed(outcome).code).toBe("COUNTERSIGN_ABORTED");
    expect(outcome.rolledBack).toBe(true);
    expect(await count("id = 33")).toBe(0);
  });

  it("stops when a statement changes a pinned setting where the refusals cannot see it (a stored function)", async () => {
    await db.admin.query("DROP FUNCTION IF EXISTS loosen");
    await db.admin.query(
      "CREATE FUNCTION loosen() RETURNS INT NOT DETERMINISTIC BEGIN SET SESSION innodb_lock_wait_timeout = 3600; RETURN 1; END",
    );
    const outcome = await engine.execute(
      options("UPDATE users SET status = 'x' WHERE id = 1; SELECT loosen(); SELECT 'never'"),
    );
    const error = expectFailed(outcome);
    expect(error.code).toBe("COUNTERSIGN_SETTING_CHANGED");
    expect(error.message).toContain("Statement 2 changed innodb_lock_wait_timeout");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.resultSets).toHaveLength(2);
    expect(await count("status = 'x'")).toBe(0);
  });

  it("says when a rollback could not undo writes to a non-transactional (MyISAM) table", async () => {
    await db.admin.query("DROP TABLE IF EXISTS plain");
    await db.admin.query("CREATE TABLE plain (id INT) ENGINE=MyISAM");
    const outcome = await engine.execute(
      options("INSERT INTO plain VALUES (1), (2)", { maxAffectedRows: 1 }),
    );
    expect(expectFailed(outcome).code).toBe("COUNTERSIGN_MAX_AFFECTED_ROWS");
    expect(outcome.notices.join("\n")).toMatch(/ROLLBACK: Warning 1196: .*non-transactional/);
    // The limitation is real: the rows stay.
    expect(await count("TRUE", "plain")).toBe(2);
  });

  it("refuses transaction control, DDL, DELIMITER and ride-along statements, and runs nothing", async () => {
    for (const sql of [
      "UPDATE users SET status = 'x'; COMMIT",
      "START TRANSACTION; UPDATE users SET status = 'x'",
      "SAVEPOINT a",
      "SET autocommit = 1; UPDATE users SET status = 'x'",
      "LOCK TABLES users WRITE",
      "UPDATE users SET status = 'x'; DROP TABLE users",
      "UPDATE users SET status = 'x'; TRUNCATE users",
      "CREATE TABLE t2 (id INT)",
      "DELIMITER //\nUPDATE users SET status = 'x' //",
      "SELECT 1 /*!50000 , (SELECT SLEEP(1)) */",
      "SET SESSION max_statement_time = 0; SELECT SLEEP(1)",
      "CALL p()",
      "PREPARE s FROM 'DROP TABLE users'",
    ]) {
      const outcome = await engine.execute(options(sql));
      expect({ sql, code: expectFailed(outcome).code, rolledBack: outcome.rolledBack }).toEqual({
        sql,
        code: "COUNTERSIGN_REFUSED_STATEMENT",
        rolledBack: false,
      });
      expect(outcome.resultSets).toEqual([]);
    }
    expect(await count("status = 'x'")).toBe(0);
    expect(await count()).toBe(10);
  });

  it("redacts the user and password from an access-denied error", async () => {
    const target = new URL(db.url);
    target.username = "countersign_no_such_user";
    target.password = "Sup3r-Secret-Pw";
    const bad = engineFor(target.toString());
    const outcome = await bad.execute(options("SELECT 1"));
    const error = expectFailed(outcome);
    expect(error.code).toBe("1045");
    expect(error.message).toMatch(/^Could not connect to MySQL\/MariaDB: Access denied for user/);
    expect(error.message).toContain("[redacted]");
    const everything = JSON.stringify(outcome);
    expect(everything).not.toContain("countersign_no_such_user");
    expect(everything).not.toContain("Sup3r-Secret-Pw");
    expect(outcome.rolledBack).toBe(false);
    await bad.close();
  });

  it("fails fast and redacted on a closed port", async () => {
    const bad = engineFor("mysql://alice:Sup3r-Secret-Pw@127.0.0.1:1/test?connectTimeout=2000");
    const outcome = await bad.execute(options("SELECT 1"));
    expect(expectFailed(outcome).message).toMatch(
      /^Could not connect to MySQL\/MariaDB: .*ECONNREFUSED/,
    );
    expect(outcome.error?.code).toBe("ECONNREFUSED");
    expect(JSON.stringify(outcome)).not.toMatch(/alice|Sup3r-Secret-Pw/);
    await bad.close();
  });
});
