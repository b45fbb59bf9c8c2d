/**
 * "Read" is an allowlist (DESIGN §1.4): a MySQL statement stays `read` only when every
 * function it calls is a built-in known to change nothing, or one the operator listed in
 * the resource's `readFunctions`. MySQL's stored functions may write tables, so any other
 * name makes the statement need a reviewer. Left off on purpose: SLEEP and BENCHMARK
 * (hold the server), GET_LOCK, RELEASE_LOCK, RELEASE_ALL_LOCKS, IS_FREE_LOCK, IS_USED_LOCK
 * (named locks outlive the transaction), MASTER_POS_WAIT, SOURCE_POS_WAIT, WAIT_FOR_… (wait
 * on replication), NEXTVAL, SETVAL, LASTVAL (MariaDB sequences), LOAD_FILE (reads the
 * server's files) and LAST_INSERT_ID with an argument (it sets the value).
 *
 * Every name must be one the server resolves natively: a name it does not know calls the
 * stored function of that name in the current database, which may write, take locks or
 * write files. So there are no prefix families (`json_probe()` is a stored function), no
 * MySQL-only names (MariaDB calls `any_value()` from the database), and no geometry
 * constructors (`point()` without arguments is looked up as a stored function too).
 * test/engines/mysql-native-functions.test.ts asks the real MariaDB about each name.
 */

export const READ_BUILTINS: ReadonlySet<string> = new Set(
  `
abs acos adddate addtime aes_decrypt aes_encrypt ascii asin atan atan2 avg bin binary
bit_and bit_count bit_length bit_or bit_xor cast ceil ceiling char char_length
character_length charset coalesce coercibility collation compress concat concat_ws
connection_id conv convert convert_tz cos cot count crc32 cume_dist curdate current_date
current_role current_time current_timestamp current_user curtime database date date_add
date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear decode default
degrees dense_rank des_decrypt des_encrypt elt encode encrypt exp export_set extract
extractvalue field find_in_set first_value floor format found_rows from_base64 from_days
from_unixtime get_format greatest group_concat hex hour if ifnull in inet6_aton
inet6_ntoa inet_aton inet_ntoa insert instr interval is_ipv4 is_ipv4_compat
is_ipv4_mapped is_ipv6 isnull json_array json_arrayagg json_object json_objectagg lag
last_day last_value lcase lead least left length ln localtime localtimestamp locate log
log10 log2 lower lpad ltrim make_set makedate maketime max md5 microsecond mid min
minute mod month monthname name_const now nth_value ntile nullif oct octet_length ord
percent_rank period_add period_diff pi position pow power quarter quote radians rand
random_bytes rank regexp_instr regexp_replace regexp_substr repeat replace reverse right
round row_count row_number rpad rtrim schema sec_to_time second session_user sha sha1
sha2 sign sin soundex space sqrt std stddev stddev_pop stddev_samp str_to_date strcmp
subdate substr substring substring_index subtime sum sysdate system_user tan time
time_format time_to_sec timediff timestamp timestampadd timestampdiff to_base64 to_days
to_seconds trim truncate ucase uncompress uncompressed_length unhex unix_timestamp upper
user utc_date utc_time utc_timestamp uuid uuid_short values var_pop var_samp variance
version week weekday weekofyear weight_string year yearweek exists natural_sort_key
sformat chr decode_histogram json_detailed json_pretty json_compact json_loose
json_normalize json_equals column_get column_exists column_list column_json column_check
lengthb to_char json_array_append json_array_insert json_contains json_contains_path
json_depth json_exists json_extract json_insert json_keys json_length json_merge
json_merge_patch json_merge_preserve json_overlaps json_query json_quote json_remove
json_replace json_search json_set json_type json_unquote json_valid json_value
`
    .split(/\s+/)
    .filter((name) => name !== ""),
);

/**
 * Calls the guardrails treat as server administration (`admin_functions`): reading the
 * server's files, and the user-defined functions of lib_mysqludf_sys that run shell
 * commands, the usual way into the host from SQL.
 */
const ADMIN_FUNCTIONS = new Set(["load_file", "sys_exec", "sys_eval", "sys_get", "sys_set"]);

export function mysqlAdminFunction(name: string): boolean {
  const parts = name.toLowerCase().split(".");
  return ADMIN_FUNCTIONS.has(parts[parts.length - 1] ?? "");
}

/**
 * True when calling `name` cannot change anything. Built-ins count only unqualified (a
 * `db.f` is a stored function); `argumentCount` matters for LAST_INSERT_ID(expr), which
 * sets the value the next call returns.
 */
export function mysqlReadFunction(
  name: string,
  argumentCount: number | undefined,
  operatorList: ReadonlySet<string>,
): boolean {
  const lower = name.toLowerCase();
  if (operatorList.has(lower)) return true;
  if (lower.includes(".")) return false;
  if (lower === "last_insert_id") return argumentCount === 0;
  return READ_BUILTINS.has(lower);
}
