/**
 * The MySQL engine's statement splitter and its refusals, without a server (pure).
 */
import { prepareMysqlCommand } from "../../src/engines/mysql-refusals.js";
import { splitMysqlStatements } from "../../src/engines/mysql-split.js";

function texts(sql: string): string[] {
  const split = splitMysqlStatements(sql);
  if (!split.ok) throw new Error(split.message);
  return split.statements.map((s) => s.text);
}

function refusal(sql: string): { code: string; message: string } | null {
  const prepared = prepareMysqlCommand(sql);
  return prepared.ok ? null : { code: prepared.code, message: prepared.message };
}

describe("splitMysqlStatements", () => {
  it.each([
    ["SELECT 1; SELECT 2", ["SELECT 1", "SELECT 2"]],
    ["SELECT 'a;b'; SELECT \"c;d\"", ["SELECT 'a;b'", 'SELECT "c;d"']],
    // A backslash escapes the quote: the string goes on past it.
    ["SELECT 'it\\'s; one'; SELECT 2", ["SELECT 'it\\'s; one'", "SELECT 2"]],
    ["SELECT 'it''s; one'; SELECT 2", ["SELECT 'it''s; one'", "SELECT 2"]],
    // A backslash at the end of a string escapes the quote, so ';' is still inside it.
    ["SELECT 'a\\\\'; SELECT 2", ["SELECT 'a\\\\'", "SELECT 2"]],
    ["SELECT 1 AS `a;b``c`; SELECT 2", ["SELECT 1 AS `a;b``c`", "SELECT 2"]],
    // Backticks have no backslash escapes.
    ["SELECT 1 AS `a\\`; SELECT 2", ["SELECT 1 AS `a\\`", "SELECT 2"]],
    ["SELECT 1 -- x; y\n; SELECT 2", ["SELECT 1 -- x; y", "SELECT 2"]],
    ["SELECT 1 # x; y\n; SELECT 2", ["SELECT 1 # x; y", "SELECT 2"]],
    ["SELECT 1 /* x; y */; SELECT 2", ["SELECT 1 /* x; y */", "SELECT 2"]],
    // `--` without a following space is two minus signs, not a comment.
    ["SELECT 3--1; SELECT 2", ["SELECT 3--1", "SELECT 2"]],
    // Only \n ends a line comment, as in the server's lexer.
    ["SELECT 1 -- x\r; SELECT 2", ["SELECT 1 -- x\r; SELECT 2"]],
    // Optimizer hints are comments the server reads, never statements.
    ["SELECT /*+ MAX_EXECUTION_TIME(1) */ 1", ["SELECT /*+ MAX_EXECUTION_TIME(1) */ 1"]],
    [";; SELECT 1 ;; -- only a comment\n;", ["SELECT 1"]],
  ])("%j → %j", (sql, expected) => {
    expect(texts(sql)).toEqual(expected);
  });

  it("gives each statement its offset and starting line", () => {
    const sql = "SELECT 1;\n\n  UPDATE t SET a = 1";
    const split = splitMysqlStatements(sql);
    expect(split.ok && split.statements.map((s) => [s.offset, s.line])).toEqual([
      [0, 1],
      [13, 3],
    ]);
  });

  it.each([
    ["SELECT 'open", /unterminated string/],
    ["SELECT `open", /unterminated quoted identifier/],
    ["SELECT 1 /* open", /unterminated \/\* comment/],
    ["SELECT 1 /*! , SLEEP(1) */", /Executable comments/],
    ["SELECT 1 /*!50000 ; DROP TABLE t */", /Executable comments/],
    ["SELECT 1 /*M!100000 , 2 */", /Executable comments/],
    ["SELECT 1\u0000; DROP TABLE t", /NUL character/],
  ])("refuses %j", (sql, why) => {
    const split = splitMysqlStatements(sql);
    expect(split.ok).toBe(false);
    if (!split.ok) {
      expect(split.code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
      expect(split.message).toMatch(why);
    }
  });

  it("refuses an empty command", () => {
    expect(splitMysqlStatements("-- nothing\n/* at all */ ;")).toEqual({
      ok: false,
      code: "COUNTERSIGN_EMPTY",
      message: "The command contains no SQL statement.",
    });
  });
});

describe("prepareMysqlCommand: what runs", () => {
  it.each([
    "SELECT * FROM users WHERE id = 1",
    "(SELECT 1) UNION (SELECT 2)",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "WITH x AS (SELECT 1 AS id) UPDATE users SET status = 'x' WHERE id IN (SELECT id FROM x)",
    "INSERT INTO users (id) VALUES (1) ON DUPLICATE KEY UPDATE status = 'x'",
    "REPLACE INTO users (id) VALUES (1)",
    "UPDATE users SET status = 'commit' WHERE name = 'rollback'",
    "DELETE FROM users WHERE id = 1",
    "SELECT * FROM users FOR UPDATE",
    "SELECT COUNT(*) INTO @n FROM users",
    "SET @x = 1, @`y` = 'autocommit'",
    "SET SESSION time_zone = '+00:00'",
    "SET @@SESSION.group_concat_max_len = 100000",
    "SHOW WARNINGS",
    "DESCRIBE users",
    "EXPLAIN SELECT * FROM users",
    "DO SLEEP(0)",
    "VALUES (1), (2)",
  ])("runs %j", (sql) => {
    expect(refusal(sql)).toBeNull();
  });
});

describe("prepareMysqlCommand: what is refused before connecting", () => {
  it.each([
    // Transaction control.
    ["COMMIT", /transaction control/],
    ["UPDATE users SET a = 1; ROLLBACK", /ROLLBACK is not allowed.*\(statement 2, line 1\)/],
    ["START TRANSACTION", /transaction control/],
    ["BEGIN", /transaction control/],
    ["BEGIN NOT ATOMIC SELECT 1; END", /transaction control/],
    ["SAVEPOINT a", /transaction control/],
    ["RELEASE SAVEPOINT a", /transaction control/],
    ["XA START 'x'", /transaction control/],
    ["LOCK TABLES users WRITE", /transaction control/],
    ["UNLOCK TABLES", /transaction control/],
    ["SET autocommit = 1", /names autocommit/],
    ["SET @@autocommit = 0", /names autocommit/],
    ["SET SESSION TRANSACTION READ WRITE", /SET TRANSACTION/],
    ["SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", /SET TRANSACTION/],
    ["set completion_type = 2", /names completion_type/],
    // Implicit commits.
    ["CREATE TABLE t (id INT)", /commit the open transaction implicitly/],
    ["CREATE TEMPORARY TABLE t (id INT)", /implicitly/],
    ["ALTER TABLE users ADD COLUMN x INT", /implicitly/],
    ["DROP TABLE users", /implicitly/],
    ["TRUNCATE users", /implicitly/],
    ["RENAME TABLE users TO old_users", /implicitly/],
    ["GRANT SELECT ON *.* TO 'x'@'%'", /implicitly/],
    ["REVOKE ALL ON *.* FROM 'x'@'%'", /implicitly/],
    ["ANALYZE TABLE users", /implicitly/],
    ["OPTIMIZE TABLE users", /implicitly/],
    ["FLUSH PRIVILEGES", /implicitly/],
    ["START SLAVE", /implicitly/],
    ["SET PASSWORD = PASSWORD('x')", /SET PASSWORD/],
    ["SET DEFAULT ROLE r FOR 'x'", /SET DEFAULT ROLE/],
    // Client commands and ride-alongs.
    ["DELIMITER //", /mysql client/],
    ["SELECT 1; DROP TABLE users", /DROP is not allowed.*statement 2/],
    ["SELECT 1;\n\nTRUNCATE users", /\(statement 2, line 3\)/],
    // Settings the engine pins, and the server beyond the session.
    ["SET SESSION max_statement_time = 0", /names max_statement_time/],
    ["SET max_execution_time = 0", /names max_execution_time/],
    ["SET innodb_lock_wait_timeout = 1000", /names innodb_lock_wait_timeout/],
    ["SET @@SESSION.lock_wait_timeout = 1000", /names lock_wait_timeout/],
    ["SET `sql_mode` = 'ANSI_QUOTES'", /names sql_mode/],
    ["SET @a = 1, sql_mode = ''", /names sql_mode/],
    ["SET NAMES sjis", /SET NAMES/],
    ["SET CHARACTER SET big5", /SET CHARACTER SET/],
    ["SET character_set_results = NULL", /names character_set_results/],
    ["SET max_error_count = 0", /names max_error_count/],
    ["SET sql_notes = 0", /names sql_notes/],
    ["SET GLOBAL max_connections = 1", /SET GLOBAL/],
    ["SET @@GLOBAL.read_only = 1", /SET GLOBAL/],
    ["SET PERSIST max_connections = 1", /SET PERSIST/],
    ["SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(9)", /SET STATEMENT/],
    ["SET ROLE admin", /SET ROLE/],
    // What the engine cannot see into or undo.
    ["CALL purge_everything()", /stored procedure/],
    ["PREPARE s FROM 'DROP TABLE users'", /dynamic SQL/],
    ["EXECUTE s", /dynamic SQL/],
    ["EXECUTE IMMEDIATE 'DROP TABLE users'", /dynamic SQL/],
    ["LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE users", /reads a file/],
    ["SELECT * FROM users INTO OUTFILE '/tmp/x'", /INTO OUTFILE/],
    ["SELECT 'x' INTO DUMPFILE '/tmp/x'", /INTO DUMPFILE/],
    ["HANDLER users OPEN", /not supported/],
    ["USE other_db", /not supported/],
    ["KILL 1", /not supported/],
    ["IF 1 THEN SELECT 1; END IF", /IF is not supported/],
    ["lbl: LOOP SELECT 1; END LOOP", /LBL is not supported/],
    ["`weird` SELECT 1", /does not start with a keyword/],
  ])("refuses %j", (sql, why) => {
    const refused = refusal(sql);
    expect(refused?.code).toBe("COUNTERSIGN_REFUSED_STATEMENT");
    expect(refused?.message).toMatch(why);
  });
});
