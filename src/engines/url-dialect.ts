/**
 * Which database a connection URL points to, read from its scheme (DESIGN §1.5): the one place
 * that knows which schemes name which database, so engine selection and the SQL Server URL
 * parser cannot disagree.
 */

/** An engine's kind (PostgreSQL, SQL Server, MySQL/MariaDB), or a scheme Countersign does not know. */
export type UrlDialect = "postgres" | "mssql" | "mysql" | "unknown";

const DIALECT_OF_SCHEME: ReadonlyMap<string, UrlDialect> = new Map([
  ["postgres", "postgres"],
  ["postgresql", "postgres"],
  ["mssql", "mssql"],
  ["sqlserver", "mssql"],
  ["mysql", "mysql"],
  ["mariadb", "mysql"],
]);

/** The scheme is matched case-insensitively; nothing else of the URL is read. */
export function dialectOfUrl(url: string): UrlDialect {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  return (scheme === undefined ? undefined : DIALECT_OF_SCHEME.get(scheme)) ?? "unknown";
}
