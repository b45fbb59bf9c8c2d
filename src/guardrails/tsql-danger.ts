/**
 * Names the T-SQL classifier treats as server administration or as reporting only. Matching
 * is by name, as in danger.ts for PostgreSQL: a false alarm costs a reviewer a glance, a
 * miss costs a production server.
 */

const MSSQL_ADMIN_PROCEDURES = new Set([
  "sp_configure",
  "sp_set_session_context",
  "sp_executesql",
  "sp_execute",
  "sp_prepexec",
  "sp_addsrvrolemember",
  "sp_dropsrvrolemember",
  "sp_addrolemember",
  "sp_droprolemember",
  "sp_addlogin",
  "sp_droplogin",
  "sp_password",
  "sp_grantlogin",
  "sp_grantdbaccess",
  "sp_change_users_login",
  "sp_setapprole",
  "sp_addlinkedserver",
  "sp_addlinkedsrvlogin",
  "sp_serveroption",
  "sp_addextendedproc",
  "sp_dropextendedproc",
  "sp_procoption",
  "sp_execute_external_script",
  "sp_makewebtask",
  "sp_msforeachtable",
  "sp_msforeachdb",
  "sp_add_job",
  "sp_add_jobstep",
  "sp_start_job",
  "sp_trace_create",
  "sp_trace_setstatus",
  "sp_detach_db",
  "sp_attach_db",
  "sp_resetstatus",
]);

/** Procedures that only report (kind `read`), as long as they are called by these names. */
const MSSQL_READ_PROCEDURES = new Set([
  "sp_help",
  "sp_helptext",
  "sp_helpindex",
  "sp_helpconstraint",
  "sp_helpdb",
  "sp_helpuser",
  "sp_helprole",
  "sp_helprotect",
  "sp_who",
  "sp_who2",
  "sp_lock",
  "sp_columns",
  "sp_tables",
  "sp_databases",
  "sp_server_info",
  "sp_depends",
]);

/** A procedure name (last part, lowercased) is server administration in SQL Server. */
export function mssqlAdminProcedure(name: string): boolean {
  return name.startsWith("xp_") || name.startsWith("sp_oa") || MSSQL_ADMIN_PROCEDURES.has(name);
}

export function mssqlReadProcedure(name: string): boolean {
  return MSSQL_READ_PROCEDURES.has(name);
}

/** Row-set functions that reach outside the database (files, other servers). */
export const MSSQL_ADMIN_ROWSETS = new Set(["openrowset", "opendatasource", "openquery"]);

/**
 * Procedures that change who may do what: logins, users, role membership, ownership
 * (issue 12, class 4). They carry the `grant` flag like GRANT itself.
 */
const MSSQL_GRANT_PROCEDURES = new Set([
  "sp_adduser",
  "sp_dropuser",
  "sp_addlogin",
  "sp_droplogin",
  "sp_grantlogin",
  "sp_revokelogin",
  "sp_denylogin",
  "sp_grantdbaccess",
  "sp_revokedbaccess",
  "sp_changedbowner",
  "sp_changeobjectowner",
  "sp_addsrvrolemember",
  "sp_dropsrvrolemember",
  "sp_addrolemember",
  "sp_droprolemember",
  "sp_addrole",
  "sp_droprole",
  "sp_addapprole",
  "sp_approlepassword",
  "sp_addgroup",
  "sp_changegroup",
  "sp_change_users_login",
  "sp_password",
  "sp_addlinkedsrvlogin",
  "sp_addremotelogin",
  "sp_defaultdb",
]);

export function mssqlGrantProcedure(name: string): boolean {
  return MSSQL_GRANT_PROCEDURES.has(name);
}
