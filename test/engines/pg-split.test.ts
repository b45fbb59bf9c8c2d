import { splitPgStatements } from "../../src/engines/pg-split.js";
import { stringifyPgCell } from "../../src/engines/postgres.js";

describe("splitPgStatements (libpg-query)", () => {
  it("splits exactly, with byte offsets turned into character offsets", async () => {
    const sql =
      "SELECT 'é€😀;' AS x; -- c;\n  UPDATE t SET a = 1 ; DO $$BEGIN RAISE NOTICE 'x;y'; END$$;  select 1";
    const r = await splitPgStatements(sql, false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.parsed).toBe(true);
    expect(r.statements.map((s) => s.kind)).toEqual([
      "SelectStmt",
      "UpdateStmt",
      "DoStmt",
      "SelectStmt",
    ]);
    const chars = [...sql];
    for (const s of r.statements) {
      // Each statement's text is found at its offset in the original command.
      expect(chars.slice(s.charOffset, s.charOffset + [...s.text].length).join("")).toBe(s.text);
    }
    expect(r.statements[0]!.text).toBe("SELECT 'é€😀;' AS x");
    expect(r.statements[2]!.text.trim()).toBe("DO $$BEGIN RAISE NOTICE 'x;y'; END$$");
  });

  it("returns an error for a command with only comments", async () => {
    expect(await splitPgStatements("-- nothing\n/* here */", false)).toMatchObject({
      ok: false,
      code: "COUNTERSIGN_EMPTY",
    });
  });

  it("falls back to one unparsed statement when the parser fails (the server decides)", async () => {
    const r = await splitPgStatements("SELEC 1; SELECT 2", false);
    expect(r).toEqual({
      ok: true,
      parsed: false,
      statements: [{ text: "SELEC 1; SELECT 2", charOffset: 0, kind: "unparsed" }],
    });
  });

  it.each([
    ["BEGIN", false],
    ["select 1; COMMIT", false],
    ["ROLLBACK", false],
    ["SAVEPOINT a", false],
    ["PREPARE TRANSACTION 'x'", false],
    ["set statement_timeout to 0", false],
    ["SET LOCAL lock_timeout = 0", false],
    ["RESET ALL", false],
    ["reset statement_timeout", false],
    ["SET transaction_read_only = off", false],
    ["SET TRANSACTION READ WRITE", true],
    ["SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", true],
  ])("refuses %s (readOnly %s)", async (sql, readOnly) => {
    expect(await splitPgStatements(sql, readOnly)).toMatchObject({
      ok: false,
      code: "COUNTERSIGN_REFUSED_STATEMENT",
    });
  });

  it("allows SET TRANSACTION ISOLATION LEVEL in a read-write command and ordinary SETs", async () => {
    expect(
      (await splitPgStatements("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; SELECT 1", false)).ok,
    ).toBe(true);
    expect((await splitPgStatements("SET LOCAL work_mem = '64MB'; SELECT 1", true)).ok).toBe(true);
  });
});

describe("stringifyPgCell", () => {
  it("formats timestamps as ISO 8601", () => {
    expect(stringifyPgCell(1114, "2024-03-05 06:07:08")).toBe("2024-03-05T06:07:08");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08.5+00")).toBe("2024-03-05T06:07:08.5Z");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08+05:30")).toBe("2024-03-05T06:07:08+05:30");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08-08")).toBe("2024-03-05T06:07:08-08:00");
  });
  it("leaves infinity, BC dates and other DateStyles as the server wrote them", () => {
    expect(stringifyPgCell(1184, "infinity")).toBe("infinity");
    expect(stringifyPgCell(1114, "0044-03-15 00:00:00 BC")).toBe("0044-03-15 00:00:00 BC");
    expect(stringifyPgCell(1114, "Tue Mar 05 06:07:08 2024")).toBe("Tue Mar 05 06:07:08 2024");
  });
  it("turns escape-format bytea into hex", () => {
    expect(stringifyPgCell(17, "\\xdead")).toBe("\\xdead");
    expect(stringifyPgCell(17, "ab\\000\\377")).toBe("\\x6162" + "00ff");
  });
  it("passes other types through as exact text", () => {
    expect(stringifyPgCell(1700, "1.10")).toBe("1.10");
    expect(stringifyPgCell(3802, '{"a": 1}')).toBe('{"a": 1}');
  });
});
