import { openEngine } from "../../src/engines/index.js";

describe("openEngine (never connects)", () => {
  it("picks the engine from the scheme of COUNTERSIGN_RESOURCE_<NAME>_URL", async () => {
    for (const [url, kind] of [
      ["postgres://u:p@db:5432/x", "postgres"],
      ["postgresql://u:p@db/x", "postgres"],
      ["postgres:///x?host=/var/run/postgresql", "postgres"],
      ["mssql://u:p@db:1433/x", "mssql"],
      ["sqlserver://u:p@db/x", "mssql"],
      ["mysql://u:p@db:3306/x", "mysql"],
      ["mariadb://u:p@db/x", "mysql"],
    ] as const) {
      const r = openEngine("prod-db", { COUNTERSIGN_RESOURCE_PROD_DB_URL: url });
      expect(r.ok && r.engine.kind).toBe(kind);
      if (r.ok) await r.engine.close();
    }
  });

  it("reports a missing URL with the variable to set", () => {
    expect(openEngine("prod-db", {})).toEqual({
      ok: false,
      error:
        'No connection configured for resource "prod-db": set COUNTERSIGN_RESOURCE_PROD_DB_URL in the server\'s environment.',
    });
    expect(openEngine("prod-db", { COUNTERSIGN_RESOURCE_PROD_DB_URL: "  " }).ok).toBe(false);
  });

  it.each([
    ["mysql://scott:Secret-Pw-1@db/x?sslmode=require", /Unknown MySQL\/MariaDB URL parameter/],
    ["mariadb://scott:Secret-Pw-1@db/x/y", /more than one database/],
    ["oracle://scott:Secret-Pw-1@db/x", /unsupported or missing URL scheme/],
    ["scott:Secret-Pw-1@db/x", /unsupported or missing URL scheme/],
    ["postgres://scott:Secret-Pw-1@[::1/x", /not a valid PostgreSQL URL/],
    ["postgres://scott:Secret-Pw-1@/x", /not a valid PostgreSQL URL|has no host/],
    ["mssql://scott:Secret-Pw-1@db:1433/", /exactly one database/],
  ])("refuses %s clearly, without quoting credentials", (url, why) => {
    const r = openEngine("prod-db", { COUNTERSIGN_RESOURCE_PROD_DB_URL: url });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(why);
    expect(r.error).toContain("COUNTERSIGN_RESOURCE_PROD_DB_URL");
    expect(r.error).not.toContain("Secret-Pw-1");
    expect(r.error).not.toContain("scott");
  });
});
