/**
 * The restore command `/undo` opens, from the backups an outcome lists: its exact text, and
 * what it refuses. The round trip on a real server is in pg-undo.test.ts.
 */
import { restoreCommand } from "../../src/engines/pg-undo-restore.js";
import type { UndoBackup } from "../../src/engines/types.js";

const updated: UndoBackup = {
  table: "countersign_undo.r42_1",
  rows: 2,
  statement: 1,
  source: '"public"."users"',
  key: ["id"],
  columns: ["id", "name", "Status"],
};
const deleted: UndoBackup = {
  table: "countersign_undo.r42_2",
  rows: 1,
  statement: 2,
  source: '"public"."users"',
  key: ["id"],
  columns: ["id", "name", "Status"],
};

describe("restoreCommand", () => {
  it("undoes the statements in reverse order: re-insert, then set back by primary key", () => {
    expect(restoreCommand([updated, deleted], ["UpdateStmt", "DeleteStmt"])).toEqual({
      ok: true,
      sql: [
        'INSERT INTO "public"."users" ("id", "name", "Status") OVERRIDING SYSTEM VALUE',
        'SELECT b."id", b."name", b."Status" FROM countersign_undo.r42_2 AS b;',
        'UPDATE "public"."users" AS t',
        '   SET ("name", "Status") = (SELECT b."name", b."Status" FROM countersign_undo.r42_1 AS b WHERE b."id" = t."id")',
        ' WHERE (t."id") IN (SELECT b."id" FROM countersign_undo.r42_1 AS b);',
      ].join("\n"),
    });
  });

  it("matches on every column of a composite key", () => {
    const result = restoreCommand(
      [{ ...updated, key: ["id", "name"], columns: ["id", "name", "Status"] }],
      ["UpdateStmt"],
    );
    expect(result.ok && result.sql).toContain(
      'WHERE b."id" = t."id" AND b."name" = t."name")\n WHERE (t."id", t."name") IN (SELECT b."id", b."name"',
    );
  });

  it("skips backups of no row, and refuses when nothing is left", () => {
    expect(
      restoreCommand([{ ...deleted, rows: 0 }, updated], ["UpdateStmt", "DeleteStmt"]),
    ).toEqual(restoreCommand([updated], ["UpdateStmt"]));
    expect(restoreCommand([{ ...updated, rows: 0 }], ["UpdateStmt"]).ok).toBe(false);
    expect(restoreCommand([], []).ok).toBe(false);
  });

  it.each<[string, UndoBackup, string[]]>([
    ["an UPDATE without a key", { ...updated, key: [] }, ["UpdateStmt"]],
    ["an UPDATE of a table that is all key", { ...updated, columns: ["id"] }, ["UpdateStmt"]],
    ["a statement that is neither", updated, ["InsertStmt"]],
    ["a statement the command does not have", { ...updated, statement: 3 }, ["UpdateStmt"]],
    [
      "a backup table not in the backup schema",
      { ...updated, table: "public.users" },
      ["UpdateStmt"],
    ],
    [
      "a source that is not quoted as recorded",
      { ...updated, source: "users; DROP TABLE x" },
      ["UpdateStmt"],
    ],
  ])("refuses %s, rather than restore part of it", (_what, backup, kinds) => {
    const result = restoreCommand([backup, deleted], [...kinds, "DeleteStmt"]);
    expect(result.ok).toBe(false);
  });
});
