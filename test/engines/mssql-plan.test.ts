/**
 * SQL Server's estimated plan (issue 16). No SQL Server runs here: the XML reading is tested on
 * showplans in the documented format (schema 1.x: ShowPlanXML > BatchSequence > Batch >
 * Statements > StmtSimple > QueryPlan > RelOp), and planMssqlCommand on what it does before and
 * without a server: refusals, and an unreachable target, credentials never quoted.
 */
import { readShowplan } from "../../src/engines/mssql-plan-xml.js";
import { planMssqlCommand } from "../../src/engines/mssql-plan.js";

const DELETE_PLAN = `<?xml version="1.0" encoding="utf-16"?>
<ShowPlanXML xmlns="http://schemas.microsoft.com/sqlserver/2004/07/showplan" Version="1.564" Build="16.0.1000.6">
  <BatchSequence><Batch><Statements>
    <StmtSimple StatementText="DELETE FROM dbo.orders WHERE note IS NULL" StatementId="1" StatementCompId="1" StatementType="DELETE" StatementSubTreeCost="2.1" StatementEstRows="200000">
      <QueryPlan CachedPlanSize="24" CompileTime="1">
        <RelOp NodeId="0" PhysicalOp="Clustered Index Delete" LogicalOp="Delete" EstimateRows="200000">
          <Object Database="[shop]" Schema="[dbo]" Table="[orders]" Index="[PK_orders]" />
          <RelOp NodeId="1" PhysicalOp="Clustered Index Scan" LogicalOp="Clustered Index Scan" EstimateRows="200000" TableCardinality="250000">
            <Object Database="[shop]" Schema="[dbo]" Table="[orders]" Index="[PK_orders]" />
          </RelOp>
        </RelOp>
      </QueryPlan>
    </StmtSimple>
    <StmtSimple StatementText="UPDATE dbo.users SET status = &apos;x&apos; WHERE id = 42" StatementId="2" StatementCompId="2" StatementType="UPDATE" StatementEstRows="1">
      <QueryPlan>
        <RelOp NodeId="0" PhysicalOp="Clustered Index Update" LogicalOp="Update" EstimateRows="1">
          <Object Database="[shop]" Schema="[dbo]" Table="[users]" Index="[PK_users]" />
          <RelOp NodeId="1" PhysicalOp="Clustered Index Seek" LogicalOp="Clustered Index Seek" EstimateRows="1">
            <Object Database="[shop]" Schema="[dbo]" Table="[users]" Index="[PK_users]" />
          </RelOp>
        </RelOp>
      </QueryPlan>
    </StmtSimple>
  </Statements></Batch></BatchSequence>
</ShowPlanXML>`;

describe("readShowplan (pure)", () => {
  test("estimated rows, the top operator and the one under it, full scans with their table", () => {
    expect(readShowplan(DELETE_PLAN)).toEqual([
      {
        text: "DELETE FROM dbo.orders WHERE note IS NULL",
        kind: "DELETE",
        estimatedRows: 200_000,
        topNode: "Clustered Index Delete",
        inputNode: "Clustered Index Scan",
        scans: [{ schema: "dbo", name: "orders", planRows: 250_000 }],
      },
      {
        text: "UPDATE dbo.users SET status = 'x' WHERE id = 42",
        kind: "UPDATE",
        estimatedRows: 1,
        topNode: "Clustered Index Update",
        inputNode: "Clustered Index Seek",
        scans: [],
      },
    ]);
  });

  test("anything that is not a plan gives no statement, never a guess", () => {
    expect(readShowplan("")).toEqual([]);
    expect(
      readShowplan('<ShowPlanXML><StmtSimple StatementEstRows="x"></StmtSimple></ShowPlanXML>'),
    ).toEqual([]);
    expect(readShowplan('<StmtSimple StatementEstRows="5"><QueryPlan/></StmtSimple>')).toEqual([]);
  });
});

describe("planMssqlCommand without a server", () => {
  test("a command the engine refuses is not planned, and nothing connects", async () => {
    const result = await planMssqlCommand(
      "mssql://sa:s3cret@127.0.0.1:1/app",
      "SET XACT_ABORT OFF; DELETE FROM t WHERE id = 1",
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toMatch(/^The command is refused: /);
  });

  test("an unreachable target: a reason without the credentials", async () => {
    const result = await planMssqlCommand(
      "mssql://sa:s3cret@127.0.0.1:1/app?connectTimeout=2000",
      "DELETE FROM t WHERE id = 1",
    );
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain("s3cret");
  });
});
