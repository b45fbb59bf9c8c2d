/**
 * The undo sweep drops tables by the names the store holds: only names of the engine's own
 * form (countersign_undo.r<request>_<statement>) are ever sent, so a tampered store row cannot
 * drop another table. No server is needed: refused names never connect.
 */
import { dropUndoBackups } from "../../src/engines/pg-undo-drop.js";

describe("dropUndoBackups", () => {
  test("only backup tables of the engine's own naming are ever dropped, and nothing connects otherwise", async () => {
    for (const table of [
      "public.users",
      'countersign_undo."r1_1"; DROP TABLE users; --',
      "countersign_undo.r1_1 CASCADE",
      "countersign_undo.users",
    ]) {
      expect(await dropUndoBackups("postgres://x:secret@127.0.0.1:1/none", [table])).toEqual({
        ok: false,
        problem: "not an undo backup table name",
      });
    }
  });
});
