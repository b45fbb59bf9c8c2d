/**
 * The MySQL engine's pure parts, without a server: cells, pinned settings, URLs and errors.
 */
import { stringifyMysqlCell } from "../../src/engines/mysql-cells.js";
import type { MysqlColumn } from "../../src/engines/mysql-cells.js";
import { describeMysqlError, mysqlCommitFailure } from "../../src/engines/mysql-errors.js";
import {
  changedVariable,
  flavourOf,
  pinStatement,
  sqlModeRefusal,
  watchQuery,
  watchedVariables,
} from "../../src/engines/mysql-pins.js";
import { splitMysqlStatements } from "../../src/engines/mysql-split.js";
import { parseMysqlUrl } from "../../src/engines/mysql-url.js";

const text = (columnType: number): MysqlColumn => ({
  columnType,
  characterSet: 45,
  encoding: "utf8",
});
const binary = (columnType: number): MysqlColumn => ({
  columnType,
  characterSet: 63,
  encoding: "binary",
});

describe("stringifyMysqlCell", () => {
  it.each([
    ["NULL stays null", text(0xfd), null, null],
    ["VARCHAR as UTF-8", text(0xfd), Buffer.from("é😀"), "é😀"],
    ["VARBINARY as hex", binary(0xfd), Buffer.from([0xde, 0xad]), "\\xdead"],
    ["BLOB as hex", binary(0xfc), Buffer.from([0x00, 0xff]), "\\x00ff"],
    ["BIT as hex", binary(0x10), Buffer.from([0x05]), "\\x05"],
    ["GEOMETRY as hex", binary(0xff), Buffer.from([0x01]), "\\x01"],
    ["MySQL JSON (binary charset) as text", binary(0xf5), Buffer.from('{"a": 1}'), '{"a": 1}'],
    [
      "DECIMAL exactly",
      binary(0xf6),
      Buffer.from("12345678901234567890.123"),
      "12345678901234567890.123",
    ],
    [
      "BIGINT UNSIGNED exactly",
      binary(0x08),
      Buffer.from("18446744073709551615"),
      "18446744073709551615",
    ],
    ["DOUBLE as printed", binary(0x05), Buffer.from("0.30000000000000004"), "0.30000000000000004"],
    [
      "DATETIME in ISO 8601",
      binary(0x0c),
      Buffer.from("2024-03-05 06:07:08.5"),
      "2024-03-05T06:07:08.5",
    ],
    [
      "TIMESTAMP in ISO 8601",
      binary(0x07),
      Buffer.from("2024-03-05 06:07:08"),
      "2024-03-05T06:07:08",
    ],
    [
      "a zero DATETIME as written",
      binary(0x0c),
      Buffer.from("0000-00-00 00:00:00"),
      "0000-00-00 00:00:00",
    ],
    ["DATE as is", binary(0x0a), Buffer.from("2024-03-05"), "2024-03-05"],
    ["TIME as is", binary(0x0b), Buffer.from("-838:59:59"), "-838:59:59"],
  ])("%s", (_what, column, raw, expected) => {
    expect(stringifyMysqlCell(column, raw)).toBe(expected);
  });

  it("reads MariaDB's JSON (LONGTEXT with the json format) as text", () => {
    const column = { ...text(0xfc), extendedFormat: "json" };
    expect(stringifyMysqlCell(column, Buffer.from("[1]"))).toBe("[1]");
  });

  it("decodes another character set by its name, and shows bytes it cannot decode as hex", () => {
    expect(stringifyMysqlCell({ ...text(0xfd), encoding: "latin1" }, Buffer.from([0xe9]))).toBe(
      "é",
    );
    expect(stringifyMysqlCell({ ...text(0xfd), encoding: "no-such" }, Buffer.from("a"))).toBe(
      "\\x61",
    );
  });
});

describe("pinned settings", () => {
  it("pins the lock timeout in whole seconds rounded up, and the statement bound per flavour", () => {
    expect(pinStatement("mariadb", { statementTimeoutMs: 300, lockTimeoutMs: 1_001 })).toBe(
      "SET SESSION innodb_lock_wait_timeout = 2, SESSION lock_wait_timeout = 2, SESSION max_statement_time = 0.300",
    );
    expect(pinStatement("mysql", { statementTimeoutMs: 12_345, lockTimeoutMs: 1 })).toBe(
      "SET SESSION innodb_lock_wait_timeout = 1, SESSION lock_wait_timeout = 1, SESSION max_execution_time = 12345",
    );
  });

  it("tells the flavour from VERSION()", () => {
    expect(flavourOf("10.11.19-MariaDB-0+deb12u1")).toBe("mariadb");
    expect(flavourOf("8.0.36")).toBe("mysql");
  });

  it("reads the watched variables through a table, so the read clears the warning list", () => {
    expect(watchQuery("mariadb")).toMatch(/^SELECT @@SESSION\.autocommit, .* FROM \(SELECT 1\) AS/);
  });

  it("names the first watched variable that changed", () => {
    const names = watchedVariables("mariadb");
    const baseline = names.map(() => "1");
    expect(changedVariable("mariadb", baseline, [...baseline])).toBeNull();
    const now = [...baseline];
    now[names.indexOf("max_statement_time")] = "0.000000";
    expect(changedVariable("mariadb", baseline, now)).toBe("max_statement_time");
  });

  it("refuses to run under every sql_mode flag that changes how the command is read", () => {
    expect(sqlModeRefusal("STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION")).toBeNull();
    expect(sqlModeRefusal("REAL_AS_FLOAT,ONLY_FULL_GROUP_BY,NO_KEY_OPTIONS")).toBeNull();
    expect(sqlModeRefusal("")).toBeNull();
    expect(sqlModeRefusal("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI")).toMatch(
      /includes ANSI_QUOTES, PIPES_AS_CONCAT, IGNORE_SPACE,/,
    );
    expect(sqlModeRefusal("no_backslash_escapes")).toMatch(/includes NO_BACKSLASH_ESCAPES,/);
    for (const mode of [
      "HIGH_NOT_PRECEDENCE",
      "ORACLE",
      "SIMULTANEOUS_ASSIGNMENT",
      "EMPTY_STRING_IS_NULL",
      "PIPES_AS_CONCAT",
      "IGNORE_SPACE",
    ]) {
      const refusal = sqlModeRefusal(`STRICT_TRANS_TABLES,${mode}`);
      expect(refusal).toContain(`includes ${mode},`);
      expect(refusal).toContain("the command was not run");
    }
    expect(sqlModeRefusal(null)).toMatch(/could not be read/);
  });
});

describe("parseMysqlUrl", () => {
  it("reads address, login, database and parameters", () => {
    expect(
      parseMysqlUrl("mariadb://app%40x:p%3Ass@[::1]:3307/shop?ssl=true&connectTimeout=2500"),
    ).toEqual({
      ok: true,
      target: {
        host: "::1",
        port: 3307,
        user: "app@x",
        password: "p:ss",
        database: "shop",
        connectTimeoutMs: 2_500,
        tls: true,
      },
    });
    const plain = parseMysqlUrl("mysql://root@db/test");
    expect(plain.ok && [plain.target.port, plain.target.password, plain.target.tls]).toEqual([
      3306,
      "",
      false,
    ]);
  });

  it.each([
    ["mysql://root:Secret-Pw-1@/x", /malformed|no host/],
    ["mysql://db/x", /no user/],
    ["mysql://root:Secret-Pw-1@db/x/y", /more than one database/],
    ["mysql://root:Secret-Pw-1@db/x?sslmode=require", /Unknown .* parameter "sslmode"/],
    ["mysql://root:Secret-Pw-1@db/x?ssl=maybe", /ssl must be true or false/],
    ["mysql://root:Secret-Pw-1@db/x?connectTimeout=0", /connectTimeout/],
    ["mysql://root:Secret-Pw-%zz@db/x", /malformed %-escape/],
    ["postgres://root:Secret-Pw-1@db/x", /Not a MySQL/],
  ])("refuses %s without quoting it", (url, why) => {
    const parsed = parseMysqlUrl(url);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(why);
      expect(parsed.error).not.toContain("Secret-Pw");
    }
  });
});

describe("describeMysqlError", () => {
  const context = { statementTimeoutMs: 300, lockTimeoutMs: 1_500, killedByTimer: false };
  const serverError = (errno: number, message: string, sqlState = "HY000") =>
    Object.assign(new Error(message), { errno, sqlState, code: "ER_X" });

  it("explains the lock timeout with the rounded seconds, and places the statement", () => {
    const split = splitMysqlStatements("SELECT 1;\nUPDATE t SET a = 1");
    const unit = split.ok ? split.statements[1] : undefined;
    expect(
      describeMysqlError(serverError(1205, "Lock wait timeout exceeded"), "execute", {
        ...context,
        statement: { unit: unit!, number: 2 },
      }),
    ).toEqual({
      code: "1205",
      message:
        "Lock timeout: a statement waited longer than 2 s for a row lock (innodb_lock_wait_timeout, 1500 ms rounded up to whole seconds) and was stopped. Server said: Lock wait timeout exceeded [SQLSTATE HY000] (statement 2 of the command, starting on line 2)",
    });
  });

  it("explains both servers' statement timeouts, and the engine's own timer", () => {
    for (const errno of [1969, 3024])
      expect(
        describeMysqlError(serverError(errno, "interrupted"), "execute", context).message,
      ).toMatch(/^Statement timeout: .*300 ms and was interrupted/);
    expect(
      describeMysqlError(new Error("stopped"), "execute", { ...context, killedByTimer: true }),
    ).toEqual({
      message:
        "Statement timeout: a statement ran longer than 300 ms and Countersign stopped it (KILL QUERY). Server said: stopped",
    });
  });

  it("reports a network failure by its code, never Node's negative errno", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      errno: -111,
      code: "ECONNREFUSED",
    });
    expect(describeMysqlError(refused, "connect", context)).toEqual({
      code: "ECONNREFUSED",
      message: "Could not connect to MySQL/MariaDB: connect ECONNREFUSED 127.0.0.1:1",
    });
  });

  it("describes anything thrown without throwing", () => {
    expect(describeMysqlError(null, "execute", context).message).toMatch(/no error message/);
  });
});

describe("mysqlCommitFailure", () => {
  it("counts only a deadlock on COMMIT as rolled back; anything else is unknown", () => {
    const deadlock = Object.assign(new Error("Deadlock found"), { errno: 1213 });
    expect(mysqlCommitFailure(deadlock)).toEqual({
      committed: false,
      rolledBack: true,
      error: deadlock,
    });
    const lost = Object.assign(new Error("Connection lost"), { code: "PROTOCOL_CONNECTION_LOST" });
    expect(mysqlCommitFailure(lost)).toEqual({
      committed: false,
      rolledBack: false,
      reason: "PROTOCOL_CONNECTION_LOST: Connection lost",
    });
  });
});
