/**
 * Tests that need a real MySQL/MariaDB server. TEST_MYSQL_URL names it (CI sets it); when it is
 * unset, the local server at 127.0.0.1:3306 is used if it answers, and otherwise the suites are
 * skipped, loudly. A TEST_MYSQL_URL that does not answer fails the suites rather than skip them.
 * Each suite works in a database of its own, created here and dropped after it.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import mysql from "mysql2/promise";

const DEFAULT_URL = "mysql://root@127.0.0.1:3306/test";

export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL || DEFAULT_URL;

function answers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({
      host: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port || 3306),
    });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** `describe` when a server is there (or TEST_MYSQL_URL insists), else `describe.skip` and a warning. */
export async function describeWithMysql(what: string): Promise<jest.Describe> {
  if (process.env.TEST_MYSQL_URL) return describe;
  if (await answers(DEFAULT_URL)) return describe;
  console.warn(
    `TEST_MYSQL_URL is not set and no MySQL/MariaDB server answers at 127.0.0.1:3306: ${what} are SKIPPED.`,
  );
  return describe.skip;
}

/** A database of the suite's own on the test server, and an admin connection to it. */
export interface ScratchDatabase {
  /** TEST_MYSQL_URL with the scratch database as its path. */
  url: string;
  name: string;
  admin: mysql.Connection;
  drop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `cs_mysql_${randomBytes(6).toString("hex")}`;
  const target = new URL(TEST_MYSQL_URL);
  target.pathname = `/${name}`;
  const admin = await mysql.createConnection({
    host: target.hostname.replace(/^\[|\]$/g, ""),
    port: Number(target.port || 3306),
    user: decodeURIComponent(target.username),
    password: decodeURIComponent(target.password),
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`USE ${name}`);
  return {
    url: target.toString(),
    name,
    admin,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
