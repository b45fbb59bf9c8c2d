/**
 * The sql_mode refusal against the modes a REAL MySQL/MariaDB server reports: a composite
 * mode (ANSI, ORACLE, …) is spelled out in @@sql_mode, and each one that changes how a command
 * is read must be refused from the server's own spelling. Modes are set on this suite's own
 * session only; the server's global setting is never touched.
 */
import mysql from "mysql2/promise";
import { mysqlConnectionOptions } from "../../src/engines/mysql-connection.js";
import { sqlModeRefusal } from "../../src/engines/mysql-pins.js";
import { parseMysqlUrl } from "../../src/engines/mysql-url.js";
import { TEST_MYSQL_URL, describeWithMysql } from "../helpers/mysql-server.js";

const describeWithServer = await describeWithMysql("the sql_mode tests against a real server");

describeWithServer("sql_mode as the server reports it", () => {
  let session: mysql.Connection;

  beforeAll(async () => {
    session = await mysql.createConnection(TEST_MYSQL_URL);
  });

  afterAll(async () => {
    await session?.end();
  });

  async function reported(mode: string): Promise<string> {
    await session.query("SET SESSION sql_mode = ?", [mode]);
    const [rows] = await session.query<mysql.RowDataPacket[]>("SELECT @@SESSION.sql_mode AS mode");
    return String(rows[0]?.mode);
  }

  test.each(["ANSI", "ANSI_QUOTES", "NO_BACKSLASH_ESCAPES", "HIGH_NOT_PRECEDENCE", "MYSQL40"])(
    "%s is refused",
    async (mode) => {
      expect(sqlModeRefusal(await reported(mode))).toMatch(/the command was not run/);
    },
  );

  test("the server's common defaults run", async () => {
    for (const mode of [
      "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
      "TRADITIONAL",
      "",
    ]) {
      expect(sqlModeRefusal(await reported(mode))).toBeNull();
    }
  });

  test("MariaDB's ORACLE mode is refused; MySQL has no such mode", async () => {
    const [rows] = await session.query<mysql.RowDataPacket[]>("SELECT VERSION() AS version");
    if (!/mariadb/i.test(String(rows[0]?.version))) {
      await expect(reported("ORACLE")).rejects.toThrow(/sql_mode/);
      return;
    }
    const oracle = await reported("ORACLE");
    expect(oracle).toContain("SIMULTANEOUS_ASSIGNMENT");
    expect(sqlModeRefusal(oracle)).toMatch(
      /includes ANSI_QUOTES, PIPES_AS_CONCAT, IGNORE_SPACE, ORACLE, SIMULTANEOUS_ASSIGNMENT,/,
    );
  });

  test("the engine's own connection does not ask for IGNORE_SPACE (mysql2's default does)", async () => {
    const parsed = parseMysqlUrl(TEST_MYSQL_URL);
    if (!parsed.ok) throw new Error(parsed.error);
    const engines = await mysql.createConnection(mysqlConnectionOptions(parsed.target));
    try {
      // rowsAsArray and raw bytes are the engine's choices: read the one cell as text.
      const [rows] = await engines.query<mysql.RowDataPacket[]>("SELECT @@SESSION.sql_mode");
      const mode = String(rows[0]?.[0]);
      expect(mode).not.toContain("IGNORE_SPACE");
      expect(sqlModeRefusal(mode)).toBeNull();
    } finally {
      await engines.end();
    }
    // A fresh connection on mysql2's defaults shows what the flag would do.
    const plain = await mysql.createConnection(TEST_MYSQL_URL);
    try {
      const [defaults] = await plain.query<mysql.RowDataPacket[]>("SELECT @@SESSION.sql_mode AS m");
      expect(String(defaults[0]?.m)).toContain("IGNORE_SPACE");
    } finally {
      await plain.end();
    }
  });
});
