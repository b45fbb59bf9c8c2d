/**
 * MssqlEngine WITHOUT a SQL Server (none on the build machine, none in CI). What runs here:
 * refusals made before connecting, GO batch planning on the real splitter, and connection
 * failures (a closed port; a TCP listener that never answers the TDS handshake) failing
 * cleanly, within the timeout, with credentials redacted. Nothing here executes T-SQL on a
 * real server: transactions, XACT_ABORT, streaming, PRINT capture and row counts are NOT
 * exercised against SQL Server by this suite.
 */
import net from "node:net";
import { splitTsqlBatches } from "../../src/guardrails/tsql-batches.js";
import { MssqlEngine } from "../../src/engines/mssql.js";
import { planBatches } from "../../src/engines/mssql-batches.js";
import { parseMssqlUrl } from "../../src/engines/mssql-url.js";
import type { ExecuteOptions } from "../../src/engines/types.js";

const opts = (sql: string, extra: Partial<ExecuteOptions> = {}): ExecuteOptions => ({
  sql,
  readOnly: false,
  statementTimeoutMs: 5_000,
  lockTimeoutMs: 1_000,
  keepRows: 50,
  ...extra,
});

function engineFor(url: string): MssqlEngine {
  const parsed = parseMssqlUrl(url);
  if (!parsed.ok) throw new Error(parsed.error);
  return new MssqlEngine(url, parsed.config);
}

describe("MssqlEngine without a server (NOT run against a real SQL Server)", () => {
  it("plans GO batches with the guardrails splitter (GO n repeats, GO in strings ignored)", () => {
    const sql = "INSERT t VALUES ('GO')\nGO 2\nPRINT 'x'\n  go  \n\nGO\n";
    expect(planBatches(splitTsqlBatches(sql))).toEqual([
      { text: "INSERT t VALUES ('GO')\n", startLine: 1 },
      { text: "INSERT t VALUES ('GO')\n", startLine: 1 },
      { text: "PRINT 'x'\n", startLine: 3 },
    ]);
  });

  it("refuses NOCOUNT and empty commands before connecting (host does not exist)", async () => {
    const engine = engineFor(
      "mssql://sa:Secret-Pw-1@no-such-host.invalid:1433/db?connectTimeout=1000",
    );
    const nocount = await engine.execute(opts("SET NOCOUNT ON; DELETE FROM t"));
    expect(nocount).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_REFUSED_STATEMENT" },
    });
    const empty = await engine.execute(opts("GO\nGO\n"));
    expect(empty).toMatchObject({ status: "failed", error: { code: "COUNTERSIGN_EMPTY" } });
    await engine.close();
  });

  it("refuses transaction control, pinned SET options and EXECUTE AS before connecting", async () => {
    // The host does not exist: a refusal is the only way these can come back this fast.
    const engine = engineFor(
      "mssql://sa:Secret-Pw-1@no-such-host.invalid:1433/db?connectTimeout=1000",
    );
    for (const sql of [
      "UPDATE t SET a = 1 WHERE id = 1; COMMIT",
      "SET XACT_ABORT OFF\nGO\nUPDATE t SET a = 1 WHERE id = 1",
      "EXECUTE AS USER = 'dbo'; SELECT 1",
      "SELECT 1 -- x\rROLLBACK",
    ]) {
      const outcome = await engine.execute(opts(sql));
      expect(outcome).toMatchObject({
        status: "failed",
        rolledBack: false,
        error: { code: "COUNTERSIGN_REFUSED_STATEMENT" },
      });
    }
    await engine.close();
  });

  it("a connection to a closed port fails cleanly, fast, with credentials redacted", async () => {
    const engine = engineFor(
      "mssql://countersign_sa:Secret-Pw-1@127.0.0.1:1/appdb?encrypt=false&connectTimeout=3000",
    );
    const started = Date.now();
    const outcome = await engine.execute(opts("SELECT 1"));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(outcome.status).toBe("failed");
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.resultSets).toEqual([]);
    expect(outcome.error?.message).toMatch(/^Could not connect to SQL Server: Failed to connect/);
    expect(JSON.stringify(outcome)).not.toMatch(/countersign_sa|Secret-Pw-1/);
    await engine.close();
  });

  it("a server that accepts TCP but never answers fails within connectTimeout, credentials redacted", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const engine = engineFor(
        `mssql://countersign_sa:Secret-Pw-1@127.0.0.1:${port}/appdb?encrypt=false&connectTimeout=1500`,
      );
      const started = Date.now();
      const outcome = await engine.execute(opts("SELECT 1"));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(1_000);
      expect(elapsed).toBeLessThan(5_000);
      expect(outcome.status).toBe("failed");
      expect(outcome.error?.message).toMatch(/^Could not connect to SQL Server: .*1500ms/);
      expect(JSON.stringify(outcome)).not.toMatch(/countersign_sa|Secret-Pw-1/);
      await engine.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
