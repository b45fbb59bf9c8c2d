import {
  MAX_CELL_CHARS,
  ResultSetBuilder,
  TRUNCATED_MARK,
} from "../../src/engines/result-set-builder.js";

describe("ResultSetBuilder", () => {
  it("keeps the first keepRows rows and counts all", () => {
    const b = new ResultSetBuilder(["a"], 2);
    for (let i = 0; i < 5; i++) {
      if (b.wantsRows) b.add([String(i)]);
      else b.addUncounted(1);
    }
    expect(b.finish("SELECT", null)).toEqual({
      columns: ["a"],
      rows: [["0"], ["1"]],
      totalRows: 5,
      command: "SELECT",
      affectedRows: null,
    });
  });

  it("truncates huge cells", () => {
    const b = new ResultSetBuilder(["a", "b"], 1);
    b.add(["x".repeat(MAX_CELL_CHARS + 5), null]);
    const cell = b.finish("SELECT", null).rows[0]![0]!;
    expect(cell.length).toBe(MAX_CELL_CHARS + TRUNCATED_MARK.length);
    expect(cell.endsWith(TRUNCATED_MARK)).toBe(true);
  });
});
