import { stringifyPgCell } from "../../src/engines/pg-cells.js";

describe("stringifyPgCell", () => {
  it("formats timestamps as ISO 8601", () => {
    expect(stringifyPgCell(1114, "2024-03-05 06:07:08")).toBe("2024-03-05T06:07:08");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08.5+00")).toBe("2024-03-05T06:07:08.5Z");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08+05:30")).toBe("2024-03-05T06:07:08+05:30");
    expect(stringifyPgCell(1184, "2024-03-05 06:07:08-08")).toBe("2024-03-05T06:07:08-08:00");
  });
  it("leaves infinity, BC dates and other DateStyles as the server wrote them", () => {
    expect(stringifyPgCell(1184, "infinity")).toBe("infinity");
    expect(stringifyPgCell(1114, "0044-03-15 00:00:00 BC")).toBe("0044-03-15 00:00:00 BC");
    expect(stringifyPgCell(1114, "Tue Mar 05 06:07:08 2024")).toBe("Tue Mar 05 06:07:08 2024");
  });
  it("turns escape-format bytea into hex", () => {
    expect(stringifyPgCell(17, "\\xdead")).toBe("\\xdead");
    expect(stringifyPgCell(17, "ab\\000\\377")).toBe("\\x6162" + "00ff");
  });
  it("passes other types through as exact text", () => {
    expect(stringifyPgCell(1700, "1.10")).toBe("1.10");
    expect(stringifyPgCell(3802, '{"a": 1}')).toBe('{"a": 1}');
  });
});
