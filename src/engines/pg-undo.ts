/**
 * The undo backups of one execution on its own connection and transaction (issue 16): before
 * each planned UPDATE/DELETE (pg-undo-plan.ts) the rows it is about to change are locked and
 * copied into `countersign_undo.r<request>_<n>`; after it, the statement must have changed
 * exactly as many rows as were copied. Everything happens in the command's transaction, so
 * the backups commit with it or not at all. The write count is made without the backups' own
 * rows, and it checks that the command left the backups as they were made.
 */
import type pg from "pg";
import { CommandStopped } from "./dialect-hooks.js";
import { UNDO_UNSUPPORTED_CODE } from "./pg-undo-plan.js";
import type { BackupPlan } from "./pg-undo-plan.js";
import {
  COLUMNS_SQL,
  CREATE_SCHEMA_SQL,
  PRIMARY_KEY_SQL,
  RELATION_SQL,
  SCHEMA_EXISTS_SQL,
  TABLE_OID_SQL,
  backupTableName,
  copySql,
  lockSql,
  quoteIdent,
} from "./pg-undo-sql.js";
import { messageOf, stringFieldOf } from "./thrown-message.js";
import type { UndoBackup } from "./types.js";

export const UNDO_MISMATCH_CODE = "COUNTERSIGN_UNDO_MISMATCH";
export const UNDO_NO_KEY_CODE = "COUNTERSIGN_UNDO_NO_KEY";
export const UNDO_EXISTS_CODE = "COUNTERSIGN_UNDO_EXISTS";
export const UNDO_FAILED_CODE = "COUNTERSIGN_UNDO_FAILED";

/** One table's writes in this transaction (pg_stat_xact_user_tables). */
export interface TableWrites {
  relid: string;
  inserted: number;
  updated: number;
  deleted: number;
}

interface Made {
  entry: UndoBackup;
  /** The backup table's oid, to tell its rows apart in the table statistics. */
  oid: string;
}

interface Source {
  source: string;
  key: string[];
  columns: string[];
}

const ROLLED_BACK = "The command was stopped and rolled back.";

export class UndoBackups {
  private schemaReady = false;
  private readonly made: Made[] = [];

  constructor(private readonly requestId: number) {}

  /** Every backup made so far, in statement order. */
  entries(): UndoBackup[] {
    return this.made.map((m) => m.entry);
  }

  /**
   * Copies the rows the statement is about to change; throws CommandStopped when it must not
   * run. A failure of the copy itself stops the command too (never run without its backup),
   * except when the caller gave up, which the execution reports as such.
   */
  async before(client: pg.Client, plan: BackupPlan, isAborted: () => boolean): Promise<void> {
    try {
      this.made.push(await this.copy(client, plan));
    } catch (error) {
      if (error instanceof CommandStopped || isAborted()) throw error;
      if (stringFieldOf(error, "code") === "42P07") throw this.exists(plan);
      throw new CommandStopped(
        `The undo backup of statement ${plan.statement} could not be made: ${messageOf(error)}. ${ROLLED_BACK}`,
        UNDO_FAILED_CODE,
      );
    }
  }

  /** After the statement: it must have changed exactly the rows that were copied. */
  after(plan: BackupPlan, affected: number | null): void {
    const made = this.made.find((m) => m.entry.statement === plan.statement);
    if (made === undefined)
      throw new Error(`Statement ${plan.statement} ran without its undo backup.`);
    if (affected === made.entry.rows) return;
    throw new CommandStopped(
      `Statement ${plan.statement} ${plan.kind === "UPDATE" ? "updated" : "deleted"} ${affected ?? "an unknown number of"} row(s), ` +
        `but ${made.entry.rows} row(s) were backed up for undo before it ran in ${made.entry.table}: ` +
        "rows inserted meanwhile by another session, or a trigger or rule that changed which rows it touched, " +
        `would leave a backup that does not restore what the statement did. ${ROLLED_BACK}`,
      UNDO_MISMATCH_CODE,
    );
  }

  /**
   * The command's own writes: everything in the statistics but the backups' inserts. Each
   * backup must show exactly its copied rows inserted and nothing else, or the command
   * changed (or dropped) a backup it made, and it is stopped.
   */
  commandWrites(tables: TableWrites[]): number {
    for (const { entry, oid } of this.made) {
      const stats = tables.find((t) => t.relid === oid);
      if (stats?.inserted === entry.rows && stats.updated === 0 && stats.deleted === 0) continue;
      throw new CommandStopped(
        `The command changed or dropped the undo backup ${entry.table} it made, so the backup no longer restores statement ${entry.statement}. ${ROLLED_BACK}`,
        UNDO_FAILED_CODE,
      );
    }
    const backups = new Set(this.made.map((m) => m.oid));
    return tables
      .filter((t) => !backups.has(t.relid))
      .reduce((sum, t) => sum + t.inserted + t.updated + t.deleted, 0);
  }

  private async copy(client: pg.Client, plan: BackupPlan): Promise<Made> {
    const source = await this.describeSource(client, plan);
    const table = backupTableName(this.requestId, plan.statement);
    if ((await tableOid(client, table)) !== null) throw this.exists(plan);
    if (!this.schemaReady) {
      const found = await client.query(SCHEMA_EXISTS_SQL);
      if (found.rowCount !== 1) await client.query(CREATE_SCHEMA_SQL);
      this.schemaReady = true;
    }
    const locked = await client.query<{ n: string }>(lockSql(plan.target));
    const copied = await client.query(copySql(plan.target, table));
    const rows = copied.rowCount ?? -1;
    const oid = await tableOid(client, table);
    if (oid === null) throw new Error(`${table} was not found after it was created`);
    if (Number(locked.rows[0]?.n) !== rows) {
      throw new CommandStopped(
        `The undo backup of statement ${plan.statement} locked ${locked.rows[0]?.n ?? "?"} row(s) but copied ${rows}: ` +
          `another session inserted matching rows meanwhile. ${ROLLED_BACK}`,
        UNDO_MISMATCH_CODE,
      );
    }
    const { key, columns } = source;
    return {
      oid,
      entry: { table, rows, statement: plan.statement, source: source.source, key, columns },
    };
  }

  /** The table the statement changes, resolved as the statement will resolve it. */
  private async describeSource(client: pg.Client, plan: BackupPlan): Promise<Source> {
    const name = plan.target.names.map(quoteIdent).join(".");
    const relation = await client.query<{
      oid: string;
      kind: string;
      schema: string;
      name: string;
      children: boolean;
    }>(RELATION_SQL, [name]);
    const found = relation.rows[0];
    if (found === undefined) throw new Error(`no table ${name} was found`);
    const refused = sourceRefusal(found.kind, plan.target.only, found.children);
    if (refused !== null) throw this.unsupported(plan, refused);
    const attributes = await client.query<{ num: number; name: string; generated: string }>(
      COLUMNS_SQL,
      [found.oid],
    );
    const primary = await client.query<{ key: string }>(PRIMARY_KEY_SQL, [found.oid]);
    const byNumber = new Map(attributes.rows.map((a) => [String(a.num), a.name]));
    const keyNumbers = primary.rows[0]?.key.split(" ").filter((n) => n !== "") ?? [];
    const key = keyNumbers.map((n) => byNumber.get(n) ?? "");
    const source = `${quoteIdent(found.schema)}.${quoteIdent(found.name)}`;
    this.checkKey(plan, source, key);
    const columns = attributes.rows.filter((a) => a.generated === "").map((a) => a.name);
    return { source, key, columns };
  }

  /** An UPDATE is restored by primary key, so it needs one, and must not change it. */
  private checkKey(plan: BackupPlan, source: string, key: string[]): void {
    if (plan.kind !== "UPDATE") return;
    if (key.length === 0 || key.includes("")) {
      throw new CommandStopped(
        `Statement ${plan.statement} updates ${source}, which has no primary key: an undo backup of an UPDATE is restored by primary key. It did not run; ${ROLLED_BACK}`,
        UNDO_NO_KEY_CODE,
      );
    }
    const changed = plan.assigned.filter((column) => key.includes(column));
    if (changed.length > 0)
      throw this.unsupported(plan, `an UPDATE of the primary key (${changed.join(", ")})`);
  }

  private unsupported(plan: BackupPlan, what: string): CommandStopped {
    return new CommandStopped(
      `Statement ${plan.statement} is ${what}, which Countersign cannot back up exactly for undo. ${ROLLED_BACK}`,
      UNDO_UNSUPPORTED_CODE,
    );
  }

  private exists(plan: BackupPlan): CommandStopped {
    return new CommandStopped(
      `The undo backup ${backupTableName(this.requestId, plan.statement)} exists already (request ${this.requestId} ran before): a backup is never overwritten. ${ROLLED_BACK}`,
      UNDO_EXISTS_CODE,
    );
  }
}

/** Only a table's own rows can be copied and put back as they were. */
function sourceRefusal(kind: string, only: boolean, children: boolean): string | null {
  if (kind !== "r" && kind !== "p")
    return "a change to something other than a table (a view, a foreign table …)";
  // Rows of inheritance children would come back into the parent; partitions route correctly.
  if (kind === "r" && !only && children)
    return "a change to a table with inheritance children (write ONLY, or change each table)";
  return null;
}

async function tableOid(client: pg.Client, table: string): Promise<string | null> {
  const result = await client.query<{ oid: string | null }>(TABLE_OID_SQL, [table]);
  return result.rows[0]?.oid ?? null;
}
