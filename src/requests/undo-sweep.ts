/**
 * The sweep of undo backups (issue 16): a succeeded command's backups are dropped from its
 * target once they are older than the resource's `undo.keep_for` (default 30 days), and the
 * request records when, so `/undo` says the backups are gone rather than failing later.
 * A target that cannot be reached is tried again at the next sweep.
 */
import { dropUndoBackups } from "../engines/pg-undo-drop.js";
import { resourceUrlVariable } from "../policy/config.js";
import { DEFAULT_UNDO_KEEP_MS } from "../policy/server-config.js";
import type { RequestStore } from "../store/requests.js";

export interface UndoSweepDeps {
  store: RequestStore;
  env: NodeJS.ProcessEnv;
  log: { info(object: object, message: string): void; warn(object: object, message: string): void };
  /** The dropping itself (the real target by default). */
  drop?: typeof dropUndoBackups;
}

export async function sweepUndoBackups(deps: UndoSweepDeps, now: Date): Promise<number> {
  const drop = deps.drop ?? dropUndoBackups;
  let dropped = 0;
  for (const request of await deps.store.findUndoBackups()) {
    const result = request.result;
    if (result?.undo === undefined) continue;
    const keepForMs = request.policy.undo?.keepForMs ?? DEFAULT_UNDO_KEEP_MS;
    if (Date.parse(result.startedAt) + keepForMs > now.getTime()) continue;
    const url = deps.env[resourceUrlVariable(request.resource)] ?? "";
    const tables = result.undo.map((backup) => backup.table);
    const done =
      url.trim() === "" ? { ok: false as const, problem: "no URL" } : await drop(url, tables);
    if (!done.ok) {
      deps.log.warn({ requestId: request.id, err: done.problem }, "undo backups not dropped yet");
      continue;
    }
    await deps.store.patch(request.id, { result: { ...result, undoDroppedAt: now.toISOString() } });
    deps.log.info({ requestId: request.id, tables }, "undo backups dropped");
    dropped += 1;
  }
  return dropped;
}
