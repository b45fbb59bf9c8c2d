/**
 * Stored values quoted back in errors and notices (issue 17 item 3, as a class): with a column
 * masked, the value a server quotes is masked, and identifiers and the command's own text
 * are kept. The messages are verbatim what PostgreSQL 16 and MariaDB 10.11 said here, and
 * SQL Server's documented texts (no SQL Server runs on this machine).
 */
import { maskEchoedValues } from "../../src/render/mask-echo.js";
import { maskOutcome, type MaskConfig } from "../../src/render/mask.js";
import type { ExecutionOutcome } from "../../src/engines/types.js";

const SSN = "078-05-1120";

describe("a value the server quotes from a stored row is masked", () => {
  test.each([
    [
      "PostgreSQL unique violation",
      `duplicate key value violates unique constraint "people_ssn_key"\nDETAIL: Key (ssn)=(${SSN}) already exists.`,
      `duplicate key value violates unique constraint "people_ssn_key"\nDETAIL: Key (ssn)=([masked])`,
    ],
    [
      "PostgreSQL check violation (the whole failing row)",
      `new row for relation "people" violates check constraint "people_age_check"\nDETAIL: Failing row contains (1, ${SSN}, -1, x).`,
      `new row for relation "people" violates check constraint "people_age_check"\nDETAIL: Failing row contains ([masked])`,
    ],
    [
      "PostgreSQL cast of a stored value",
      `invalid input syntax for type integer: "${SSN}"`,
      `invalid input syntax for type integer: "[masked]"`,
    ],
    [
      "PostgreSQL date cast, the hint after it masked too",
      `date/time field value out of range: "${SSN}"\nHINT: Perhaps you need a different "datestyle" setting.`,
      `date/time field value out of range: "[masked]"`,
    ],
    [
      "MariaDB duplicate entry",
      `Duplicate entry '${SSN}' for key 'ssn'`,
      `Duplicate entry '[masked]'`,
    ],
    [
      "MariaDB warning on an implicit cast",
      `Truncated incorrect DOUBLE value: '${SSN}'`,
      `Truncated incorrect DOUBLE value: '[masked]'`,
    ],
    [
      "SQL Server duplicate key",
      `Violation of UNIQUE KEY constraint 'UQ_people_ssn'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is (${SSN}).`,
      `Violation of UNIQUE KEY constraint 'UQ_people_ssn'. Cannot insert duplicate key in object 'dbo.people'. The duplicate key value is ([masked])`,
    ],
    [
      "SQL Server conversion",
      `Conversion failed when converting the varchar value '${SSN}' to data type int.`,
      `Conversion failed when converting the varchar value '[masked]'`,
    ],
    [
      "a value holding the quote character cannot end the masking early",
      `Duplicate entry 'O'Brien' for key 'name'`,
      `Duplicate entry '[masked]'`,
    ],
    [
      "a quote never closed",
      `invalid input syntax for type integer: "${SSN}`,
      `invalid input syntax for type integer: "[masked]"`,
    ],
  ])("%s", (_what, message, expected) => {
    const masked = maskEchoedValues(message, "UPDATE people SET ssn = ssn || '' WHERE id = 2;");
    expect(masked).toEqual({ text: expected, masked: true });
    expect(masked.text).not.toContain(SSN);
  });
});

describe("identifiers and the command's own text are kept", () => {
  test.each([
    [`relation "nosuch" does not exist`, "SELECT * FROM nosuch;"],
    [`column "nmae" does not exist`, "SELECT nmae FROM people;"],
    [`syntax error at or near "SELEC"`, "SELEC 1;"],
    [`Table 'test.nosuch' doesn't exist`, "SELECT * FROM nosuch;"],
    [`Unknown column 'nmae' in 'SELECT'`, "SELECT nmae FROM people;"],
    [`Data truncated for column 'n' at row 1`, "UPDATE people SET n = ssn;"],
    [
      `You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1`,
      "SELEC 1;",
    ],
    [`Invalid column name 'nmae'.`, "SELECT nmae FROM people;"],
    // A literal the command itself wrote is no stored value.
    [`invalid input syntax for type integer: "abc"`, "SELECT 'abc'::int;"],
  ])("%s", (message, command) => {
    expect(maskEchoedValues(message, command)).toEqual({ text: message, masked: false });
  });

  test("a piece of the command is kept only as a whole token", () => {
    // "078" is in the command, but only inside a longer literal.
    expect(
      maskEchoedValues(`invalid input syntax for type integer: "078"`, "SELECT '0789'::int;"),
    ).toEqual({ text: `invalid input syntax for type integer: "[masked]"`, masked: true });
  });
});

describe("in maskOutcome", () => {
  const failed: ExecutionOutcome = {
    status: "failed",
    resultSets: [],
    affectedRows: 0,
    durationMs: 3,
    notices: [`Truncated incorrect DOUBLE value: '${SSN}'`, "3 rows matched"],
    rolledBack: true,
    error: {
      message: `duplicate key value violates unique constraint "people_ssn_key"\nDETAIL: Key (ssn)=(${SSN}) already exists.`,
      code: "23505",
    },
  };

  test("with a column masked, the error and the notices lose the value and are counted", () => {
    const config: MaskConfig = { columns: ["ssn"], patterns: [] };
    const { outcome, report } = maskOutcome(failed, config, "UPDATE people SET ssn = ssn;");
    expect(JSON.stringify(outcome)).not.toContain(SSN);
    expect(outcome.notices[1]).toBe("3 rows matched");
    expect(report).toMatchObject({ notices: 1, error: true, cells: 0 });
  });

  test("with patterns only, a server's words are masked by the patterns alone", () => {
    const config: MaskConfig = { columns: [], patterns: ["email"] };
    const { outcome, report } = maskOutcome(failed, config, "UPDATE people SET ssn = ssn;");
    expect(outcome).toEqual(failed);
    expect(report).toMatchObject({ notices: 0, error: false });
  });

  test("both: the echo is masked first, then the patterns run over what is left", () => {
    const config: MaskConfig = { columns: ["ssn"], patterns: ["email"] };
    const withEmail: ExecutionOutcome = {
      ...failed,
      error: { message: `permission denied for ann@example.com: Key (ssn)=(${SSN}) exists` },
    };
    const { outcome } = maskOutcome(withEmail, config, "SELECT 1;");
    expect(outcome.error?.message).toBe(
      "permission denied for [masked:email]: Key (ssn)=([masked])",
    );
  });
});
