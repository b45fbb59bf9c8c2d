/**
 * Every function the MySQL guardrails take for a read must be one the REAL server resolves
 * natively. A name the server does not know is looked up as a stored function of the current
 * database (which may write, lock or write files), and the server says so by answering
 * ER_SP_DOES_NOT_EXIST (1305) when there is none. So each name is called with no arguments in
 * an empty database of this suite's own: a native function answers with a result, a wrong
 * argument count (1582) or a syntax error (a keyword function's own grammar), never 1305.
 */
import mysql from "mysql2/promise";
import { READ_BUILTINS } from "../../src/guardrails/mysql-functions.js";
import {
  createScratchDatabase,
  describeWithMysql,
  type ScratchDatabase,
} from "../helpers/mysql-server.js";

const describeWithServer = await describeWithMysql("the native-function tests");
const ER_SP_DOES_NOT_EXIST = 1305;

describeWithServer("the read allowlist against the real server", () => {
  let scratch: ScratchDatabase;
  let session: mysql.Connection;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    session = await mysql.createConnection(scratch.url);
  });

  afterAll(async () => {
    await session?.end();
    await scratch?.drop();
  });

  async function lookedUpAsStored(name: string): Promise<boolean> {
    try {
      await session.query(`SELECT ${name}()`);
      return false;
    } catch (error) {
      return (error as { errno?: number }).errno === ER_SP_DOES_NOT_EXIST;
    }
  }

  test("no allowlisted name is looked up as a stored function", async () => {
    const stored: string[] = [];
    for (const name of READ_BUILTINS) if (await lookedUpAsStored(name)) stored.push(name);
    expect(stored).toEqual([]);
  });

  test("the probe tells them apart: names the allowlist dropped are stored-function lookups", async () => {
    for (const name of ["json_probe", "any_value", "point", "regexp_like"]) {
      expect(await lookedUpAsStored(name)).toBe(true);
    }
    expect(await lookedUpAsStored("json_extract")).toBe(false);
  });
});
