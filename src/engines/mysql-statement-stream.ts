/**
 * Runs one statement on a mysql2 connection with its rows streamed: the driver's 'result'
 * events are consumed synchronously, only `keepRows` rows per result set are converted and
 * kept, the rest only counted, so nothing accumulates whatever the size of the result (the
 * callback form of query() would buffer every row). The connection reads every column as raw
 * bytes (`typeCast: false`), converted by mysql-cells.ts.
 */
import type { Connection, FieldPacket, ResultSetHeader } from "mysql2";
import { stringifyMysqlCell } from "./mysql-cells.js";
import type { MysqlColumn } from "./mysql-cells.js";
import type { Redactor } from "./redact.js";
import { ResultSetBuilder } from "./result-set-builder.js";
import type { ResultSet } from "./types.js";

export interface StatementResults {
  resultSets: ResultSet[];
  /** Rows the server reported as affected by the statement's OK packets. */
  affectedRows: number;
}

function columnOf(field: FieldPacket): MysqlColumn {
  return {
    columnType: field.columnType ?? field.type ?? -1,
    // -1 is no character set: an unknown column is decoded as text, never taken for binary.
    characterSet: field.characterSet ?? field.charsetNr ?? -1,
    encoding: field.encoding ?? "utf8",
    ...(field.extendedFormat === undefined ? {} : { extendedFormat: field.extendedFormat }),
  };
}

/**
 * Streams `text`. `command` labels its result sets (the statement's first keyword). Settles on
 * the query's end or error; a connection lost meanwhile is the caller's to race against.
 */
export function streamMysqlStatement(
  connection: Connection,
  text: string,
  command: string,
  keepRows: number,
  redact: Redactor,
): Promise<StatementResults> {
  return new Promise((resolve, reject) => {
    const resultSets: ResultSet[] = [];
    let affectedRows = 0;
    let open: { builder: ResultSetBuilder; columns: MysqlColumn[] } | undefined;
    const closeOpen = (): void => {
      if (open !== undefined) resultSets.push(open.builder.finish(command, null));
      open = undefined;
    };
    let failure: unknown;
    const query = connection.query(text);
    // Called with undefined before an OK packet (a write's count), with the columns before rows.
    query.on("fields", (fields: FieldPacket[] | undefined) => {
      closeOpen();
      if (fields === undefined) return;
      open = {
        builder: new ResultSetBuilder(
          fields.map((f) => f.name),
          keepRows,
          redact,
        ),
        columns: fields.map(columnOf),
      };
    });
    query.on("result", (row: unknown) => {
      if (open === undefined) {
        // bigNumberStrings: a count past 2^53 arrives as text; Number() keeps it comparable.
        const count = Number((row as ResultSetHeader).affectedRows);
        affectedRows += count;
        resultSets.push({ columns: [], rows: [], totalRows: 0, command, affectedRows: count });
        return;
      }
      const set = open;
      if (!set.builder.wantsRows) {
        set.builder.addUncounted(1);
        return;
      }
      const cells = row as (Buffer | null)[];
      set.builder.add(
        cells.map((cell, i) => stringifyMysqlCell(set.columns[i] as MysqlColumn, cell)),
      );
    });
    query.on("error", (error: unknown) => {
      failure ??= error;
    });
    query.on("end", () => {
      closeOpen();
      if (failure !== undefined) reject(failure);
      else resolve({ resultSets, affectedRows });
    });
  });
}
