/**
 * Drops undo backup tables that outlived the resource's `undo.keep_for` (issue 16). Only
 * names of the form the engine makes (`countersign_undo.r<request>_<statement>`) are ever
 * dropped, whatever the store says.
 */
import { pgClient } from "./postgres-session.js";
import { redactCredentials } from "./redact.js";
import { messageOf } from "./thrown-message.js";

const BACKUP_NAME = /^countersign_undo\.(r\d+_\d+)$/;

export async function dropUndoBackups(
  url: string,
  tables: readonly string[],
): Promise<{ ok: true } | { ok: false; problem: string }> {
  const names = tables.map((table) => BACKUP_NAME.exec(table)?.[1]);
  if (names.some((name) => name === undefined)) {
    return { ok: false, problem: "not an undo backup table name" };
  }
  const client = pgClient(url.trim(), {}, "countersign-undo-sweep");
  client.on("error", () => undefined);
  try {
    await client.connect();
    for (const name of names) {
      await client.query(`DROP TABLE IF EXISTS countersign_undo."${name as string}"`);
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: redactCredentials(messageOf(error), url) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
