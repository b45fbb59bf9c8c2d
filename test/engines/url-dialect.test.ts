import { dialectOfUrl } from "../../src/engines/url-dialect.js";

describe("dialectOfUrl (never connects)", () => {
  it.each([
    ["postgres://u:p@db/x", "postgres"],
    ["PostgreSQL://u:p@db/x", "postgres"],
    ["mssql://u:p@db/x", "mssql"],
    ["SQLSERVER://u:p@db/x", "mssql"],
    ["mysql://u:p@db/x", "mysql"],
    ["mariadb://u:p@db/x", "mysql"],
    ["oracle://u:p@db/x", "unknown"],
    ["u:p@db/x", "unknown"],
    ["constructor://u:p@db/x", "unknown"],
    ["", "unknown"],
  ])("reads %s as %s", (url, dialect) => {
    expect(dialectOfUrl(url)).toBe(dialect);
  });
});
