/**
 * SQL Server engine logic WITHOUT a server (there is no SQL Server on the build machine or in
 * CI): URL → config.
 * Nothing here was run against a real SQL Server.
 */
import { parseMssqlUrl } from "../../src/engines/mssql-url.js";

describe("parseMssqlUrl (no server)", () => {
  it("maps a full URL onto the mssql config, encrypted and verified by default", () => {
    const r = parseMssqlUrl(
      "mssql://app:p%40ss@db.example.com:14330/Sales?encrypt=true&connectTimeout=5000",
    );
    expect(r).toEqual({
      ok: true,
      config: {
        server: "db.example.com",
        port: 14330,
        database: "Sales",
        user: "app",
        password: "p@ss",
        connectionTimeout: 5000,
        pool: { max: 1, min: 0, idleTimeoutMillis: 1000 },
        options: { encrypt: true, trustServerCertificate: false, appName: "countersign" },
      },
    });
  });

  it("accepts sqlserver://, the default port, trustServerCertificate, instanceName and applicationIntent", () => {
    const r = parseMssqlUrl(
      "sqlserver://sa:x@host/db?trustServerCertificate=true&encrypt=false&instanceName=SQLEXPRESS&applicationIntent=ReadOnly",
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBeUndefined(); // the instance name wins (resolved by SQL Browser)
    expect(r.config.options).toEqual({
      encrypt: false,
      trustServerCertificate: true,
      appName: "countersign",
      instanceName: "SQLEXPRESS",
      readOnlyIntent: true,
    });
    const plain = parseMssqlUrl("mssql://sa:x@host/db");
    expect(plain.ok && plain.config.port).toBe(1433);
  });

  it.each([
    ["mssql://sa:Secret1@host:1433", /exactly one database/],
    ["mssql://host:1433/db", /no user/],
    ["mssql://sa:Secret1@host:1433/db?encrypt=maybe", /encrypt must be true or false/],
    [
      "mssql://sa:Secret1@host:1433/db?Password=Other2",
      /Unknown SQL Server URL parameter "Password"/,
    ],
    ["mssql://sa:Secret1@host:1433/db?connectTimeout=-1", /connectTimeout/],
    [
      "sqlserver://host:1433;databaseName=db;user=sa;password=Secret1",
      /malformed|exactly one database|no user/,
    ],
    ["mssql://sa:Secret1@:1433/db", /malformed|no host/],
  ])("rejects %s without quoting credentials", (url, why) => {
    const r = parseMssqlUrl(url);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(why);
    expect(r.error).not.toContain("Secret1");
    expect(r.error).not.toContain("Other2");
  });
});
