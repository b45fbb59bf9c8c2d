/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): GO batch planning and the session's first batch.
 * Nothing here was run against a real SQL Server.
 */
import { pinnedSessionBatch, planBatches } from "../../src/engines/mssql-batches.js";

describe("planBatches (GO handling, no server)", () => {
  it("repeats GO n batches and drops empty ones", () => {
    expect(
      planBatches([
        { text: "INSERT t VALUES (1)\n", startLine: 1, repeat: 3 },
        { text: "  \n", startLine: 3, repeat: 1 },
        { text: "SELECT 1", startLine: 4, repeat: 1 },
      ]),
    ).toEqual([
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "INSERT t VALUES (1)\n", startLine: 1 },
      { text: "SELECT 1", startLine: 4 },
    ]);
  });
});

describe("pinnedSessionBatch (no server)", () => {
  it("pins the transaction options and how text is read in the first batch", () => {
    const batch = pinnedSessionBatch(1_500);
    for (const set of [
      "SET XACT_ABORT ON;",
      "SET LOCK_TIMEOUT 1500;",
      "SET IMPLICIT_TRANSACTIONS OFF;",
      "SET QUOTED_IDENTIFIER ON;",
      "SET ANSI_NULLS ON;",
    ])
      expect(batch).toContain(set);
    // NOT verified against a real SQL Server: that these SETs are accepted inside an open
    // transaction and hold for the following batches is documented T-SQL behaviour only.
  });
});
