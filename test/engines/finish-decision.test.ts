import { decideFinish } from "../../src/engines/finish-decision.js";

describe("decideFinish", () => {
  const base = { readOnly: false, affectedRows: 0, readOnlyByRowCount: false };

  it("commits when within the limit (the limit is inclusive)", () => {
    expect(decideFinish({ ...base, affectedRows: 5, maxAffectedRows: 5 })).toEqual({
      action: "commit",
    });
    expect(decideFinish({ ...base, affectedRows: 5 })).toEqual({ action: "commit" });
  });

  it("rolls back over the limit and says how many rows and the limit", () => {
    const d = decideFinish({ ...base, affectedRows: 6, maxAffectedRows: 5 });
    expect(d).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_MAX_AFFECTED_ROWS",
    });
    expect(d.action === "rollback" && !d.succeeded && d.message).toContain(
      "would have affected 6 row(s), over the limit of 5",
    );
  });

  it("a dry run (alwaysRollBack) is rolled back as a success, after every refusal", () => {
    expect(decideFinish({ ...base, affectedRows: 3, alwaysRollBack: true })).toEqual({
      action: "rollback",
      succeeded: true,
    });
    // What the real run would be refused for is still reported as the refusal.
    expect(
      decideFinish({ ...base, affectedRows: 6, maxAffectedRows: 5, alwaysRollBack: true }),
    ).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_MAX_AFFECTED_ROWS",
    });
  });

  it("maxAffectedRows 0 allows no write at all", () => {
    expect(decideFinish({ ...base, affectedRows: 1, maxAffectedRows: 0 })).toMatchObject({
      succeeded: false,
    });
    expect(decideFinish({ ...base, affectedRows: 0, maxAffectedRows: 0 })).toEqual({
      action: "commit",
    });
  });

  it("read-only by row count (SQL Server): any written row fails; a clean read is still rolled back", () => {
    const ro = { ...base, readOnly: true, readOnlyByRowCount: true };
    expect(decideFinish({ ...ro, affectedRows: 1 })).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_READ_ONLY",
    });
    expect(decideFinish({ ...ro, affectedRows: 0 })).toEqual({
      action: "rollback",
      succeeded: true,
    });
  });

  it("read-only enforced by the server (PostgreSQL): commits a clean read", () => {
    expect(decideFinish({ ...base, readOnly: true })).toEqual({ action: "commit" });
  });

  it("fails when the command ended or nested the transaction", () => {
    expect(decideFinish({ ...base, transactionDepth: 0 })).toMatchObject({
      code: "COUNTERSIGN_TRANSACTION_ENDED",
    });
    expect(decideFinish({ ...base, transactionDepth: 2 })).toMatchObject({
      code: "COUNTERSIGN_TRANSACTION_ENDED",
    });
    expect(decideFinish({ ...base, transactionDepth: 1 })).toEqual({ action: "commit" });
  });

  it("fails when the command ended the transaction and began another at the same depth", () => {
    const replaced = { ...base, transactionDepth: 1, transactionReplaced: true };
    expect(decideFinish(replaced)).toMatchObject({
      action: "rollback",
      succeeded: false,
      code: "COUNTERSIGN_TRANSACTION_ENDED",
    });
    // Before any other check: a dry run or a read is refused the same way.
    expect(decideFinish({ ...replaced, alwaysRollBack: true })).toMatchObject({ succeeded: false });
    expect(decideFinish({ ...base, transactionReplaced: false })).toEqual({ action: "commit" });
  });
});
