/**
 * Runs one PostgreSQL statement through a pg-cursor, so that only `keepRows` rows are ever
 * held however many the statement returns, and turns it into a ResultSet.
 */
import type pg from "pg";
import Cursor from "pg-cursor";
import type { FieldDef, QueryResult } from "pg";
import { AbortedError } from "./dialect-hooks.js";
import { stringifyPgCell, RAW_TEXT_TYPES } from "./pg-cells.js";
import type { PgStatement } from "./pg-split.js";
import type { Redactor } from "./redact.js";
import { ResultSetBuilder } from "./result-set-builder.js";
import type { ResultSet } from "./types.js";

/** Rows fetched per round trip: large enough to be fast, small enough to bound memory. */
export const PG_BATCH_ROWS = 1000;

/** Commands whose tag count is a number of rows written (summed into affectedRows). */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

/** Streams one statement through a cursor; keeps `keepRows` rows and counts all. */
export async function streamStatement(
  client: pg.Client,
  statement: PgStatement,
  keepRows: number,
  redact: Redactor,
  isAborted: () => boolean,
): Promise<ResultSet> {
  const cursor = client.query(
    new Cursor<(string | null)[]>(statement.text, undefined, {
      rowMode: "array",
      types: RAW_TEXT_TYPES,
    }),
  );
  let builder: ResultSetBuilder | undefined;
  let oids: number[] = [];
  let result: QueryResult | undefined;
  let failed = false;
  try {
    for (;;) {
      const batch = await readBatch(cursor, PG_BATCH_ROWS);
      const rows = batch.rows;
      if (batch.result !== undefined) result = batch.result;
      if (builder === undefined && result !== undefined && result.fields.length > 0) {
        builder = new ResultSetBuilder(
          result.fields.map((f: FieldDef) => f.name),
          keepRows,
          redact,
        );
        oids = result.fields.map((f: FieldDef) => f.dataTypeID);
      }
      if (builder !== undefined) keepRowsOf(builder, rows, oids);
      if (rows.length < PG_BATCH_ROWS) return finishStatement(builder, result);
      if (isAborted()) throw new AbortedError();
    }
  } catch (error) {
    failed = !(error instanceof AbortedError);
    throw error;
  } finally {
    // Stopped early (abort): close the portal. After a server error pg-cursor has already
    // synced and the portal is gone; closing it again would leave a stray CloseComplete.
    if (!failed) await cursor.close().catch(() => undefined);
  }
}

/** Only kept rows are stringified; the others are only counted. */
function keepRowsOf(builder: ResultSetBuilder, rows: (string | null)[][], oids: number[]): void {
  for (const row of rows) {
    if (builder.wantsRows) {
      builder.add(
        row.map((cell, i) => (cell === null ? null : stringifyPgCell(oids[i] ?? 0, cell))),
      );
    } else {
      builder.addUncounted(1);
    }
  }
}

function finishStatement(
  builder: ResultSetBuilder | undefined,
  result: QueryResult | undefined,
): ResultSet {
  const command = result?.command ?? "";
  const tagCount = result?.rowCount ?? null;
  if (builder === undefined) {
    return { columns: [], rows: [], totalRows: 0, command, affectedRows: tagCount };
  }
  // A row-returning statement's tag may count only the last batch, so it is not used:
  // INSERT/UPDATE/DELETE/MERGE … RETURNING returns exactly one row per affected row.
  const affected = WRITE_COMMANDS.has(command) ? builder.totalRows : null;
  return builder.finish(command, affected);
}

/** cursor.read with the callback form, which also hands over fields and the command tag. */
function readBatch(
  cursor: Cursor<(string | null)[]>,
  n: number,
): Promise<{ rows: (string | null)[][]; result: QueryResult | undefined }> {
  return new Promise((resolve, reject) => {
    // A cursor already done answers with no result object, hence `| undefined`.
    cursor.read(n, (err, rows, result: QueryResult | undefined) =>
      err ? reject(err) : resolve({ rows, result }),
    );
  });
}
