/**
 * The plan before approval on SQL Server (issue 16): each batch of the command is sent with
 * `SET SHOWPLAN_XML ON`, under which SQL Server compiles the statements and returns their
 * estimated plans WITHOUT executing them; then the option is switched off and the connection
 * closed. A command the engine would refuse (session options, transaction control, EXECUTE AS
 * …) is not planned either. NOT RUN AGAINST A REAL SERVER (none here): the XML reading is
 * tested on plans in the documented showplan format (mssql-plan-xml.ts).
 */
import sql from "mssql";
import { splitTsqlBatches } from "../guardrails/tsql-batches.js";
import { planBatches } from "./mssql-batches.js";
import { tsqlRefusal } from "./mssql-refusals.js";
import { readShowplan } from "./mssql-plan-xml.js";
import { parseMssqlUrl } from "./mssql-url.js";
import type { PlanResult, StatementPlan } from "./plan-types.js";
import { credentialRedactor } from "./redact.js";
import { messageOf } from "./thrown-message.js";

const SEQ_SCAN_WARN_ROWS = 100_000;

export async function planMssqlCommand(
  url: string,
  command: string,
  options: { statementTimeoutMs?: number } = {},
): Promise<PlanResult> {
  const started = performance.now();
  const plannedAt = new Date().toISOString();
  const redact = credentialRedactor(url);
  const refusal = tsqlRefusal(command);
  if (refusal !== null) return { ok: false, reason: `The command is refused: ${refusal}` };
  const parsed = parseMssqlUrl(url);
  if (!parsed.ok) return { ok: false, reason: redact(parsed.error) };
  const pool = new sql.ConnectionPool({
    ...parsed.config,
    requestTimeout: options.statementTimeoutMs ?? 5_000,
  });
  pool.on("error", () => undefined);
  try {
    await pool.connect();
    // One connection for all batches: SHOWPLAN_XML is a session option of that connection.
    const transaction = new sql.Transaction(pool);
    await transaction.begin();
    try {
      await new sql.Request(transaction).batch("SET SHOWPLAN_XML ON");
      const statements: StatementPlan[] = [];
      for (const batch of planBatches(splitTsqlBatches(command))) {
        const result = await new sql.Request(transaction).batch(batch.text);
        for (const recordset of result.recordsets as unknown as Record<string, unknown>[][]) {
          for (const row of recordset) {
            for (const read of readShowplan(String(Object.values(row)[0] ?? ""))) {
              statements.push({
                number: statements.length + 1,
                text: read.text,
                kind: read.kind,
                planned: true,
                estimatedRows: read.estimatedRows,
                topNode: read.topNode,
                ...(read.inputNode === undefined ? {} : { inputNode: read.inputNode }),
                seqScans: read.scans.map((scan) => ({
                  schema: scan.schema,
                  name: scan.name,
                  tableRows: Math.round(scan.planRows),
                  large: scan.planRows >= SEQ_SCAN_WARN_ROWS,
                })),
              });
            }
          }
        }
      }
      await new sql.Request(transaction).batch("SET SHOWPLAN_XML OFF");
      return {
        ok: true,
        statements,
        totalEstimatedRows: statements.reduce(
          (sum, s) => sum + (s.planned ? s.estimatedRows : 0),
          0,
        ),
        seqScanWarnRows: SEQ_SCAN_WARN_ROWS,
        plannedAt,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      // Nothing ran under SHOWPLAN; the rollback is a second guarantee.
      await transaction.rollback().catch(() => undefined);
    }
  } catch (error) {
    return { ok: false, reason: redact(`the server could not plan it: ${messageOf(error)}`) };
  } finally {
    await pool.close().catch(() => undefined);
  }
}
