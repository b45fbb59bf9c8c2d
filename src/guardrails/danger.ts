/**
 * Names the guardrails treat as server administration (`admin_functions`). Matching is by
 * name only, so a user function that happens to share a name is flagged too: a false
 * alarm costs a reviewer a glance, a miss costs a production server.
 */

const PG_ADMIN_FUNCTIONS = new Set([
  "pg_terminate_backend",
  "pg_cancel_backend",
  "pg_signal_backend",
  "pg_reload_conf",
  "pg_rotate_logfile",
  "pg_log_backend_memory_contexts",
  "pg_read_file",
  "pg_read_binary_file",
  "pg_stat_file",
  "pg_file_write",
  "pg_file_rename",
  "pg_file_unlink",
  "pg_file_sync",
  "pg_logdir_ls",
  "lo_import",
  "lo_export",
  "pg_switch_wal",
  "pg_switch_xlog",
  "pg_create_restore_point",
  "pg_promote",
  "pg_start_backup",
  "pg_stop_backup",
  "pg_backup_start",
  "pg_backup_stop",
  "pg_wal_replay_pause",
  "pg_wal_replay_resume",
  "pg_drop_replication_slot",
  "pg_copy_physical_replication_slot",
  "pg_copy_logical_replication_slot",
  "pg_import_system_collations",
  "pg_stat_statements_reset",
  "pg_logical_emit_message",
  // These run an arbitrary query string, which the guardrails cannot see into.
  "query_to_xml",
  "query_to_xmlschema",
  "query_to_xml_and_xmlschema",
  "ts_stat",
  "query_export_to_s3", // aws_s3: runs the query and writes the result to S3
  "table_import_from_s3", // aws_s3: fills a table from S3
]);

const PG_ADMIN_PREFIXES = [
  "pg_ls_",
  "pg_read_",
  "pg_file_",
  "pg_stat_reset",
  "pg_create_",
  "pg_replication_origin_",
  "pg_replication_slot_",
  "dblink",
  // Consume or move a replication slot: survives ROLLBACK.
  "pg_logical_slot_",
  // pg_background runs SQL text in another session, outside the worker's transaction.
  "pg_background_",
];

/** A function name (last part, lowercased) is server administration in PostgreSQL. */
export function pgAdminFunction(name: string): boolean {
  if (PG_ADMIN_FUNCTIONS.has(name)) return true;
  return PG_ADMIN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Settings whose change defeats the worker's own safety nets (timeouts, read-only mode),
 * switches identity, or disables triggers and foreign keys.
 */
const PG_DANGEROUS_SETTINGS = new Set([
  "session_replication_role",
  "role",
  "session_authorization",
  "default_transaction_read_only",
  "transaction_read_only",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "transaction_timeout",
  "allow_system_table_mods",
  "zero_damaged_pages",
  "ignore_system_indexes",
  "ignore_checksum_failure",
  "lo_compat_privileges",
  "log_statement",
  "log_min_duration_statement",
  "session_preload_libraries",
  "local_preload_libraries",
  "dynamic_library_path",
]);

export function pgDangerousSetting(name: string): boolean {
  return PG_DANGEROUS_SETTINGS.has(name.toLowerCase());
}
