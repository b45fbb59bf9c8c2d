/**
 * "Read" is an allowlist (DESIGN §1.4, issue 12 class 2): a T-SQL statement stays `read`
 * only when every function it calls is a built-in known to be free of side effects, a
 * system function of the `sys` schema, or a function the operator listed in the resource's
 * `readFunctions`. User functions cannot write tables, but they can call extended stored
 * procedures (xp_cmdshell) and CLR functions can do anything, so an unknown function makes
 * the statement need a reviewer even when it only selects.
 */

/** SQL Server built-ins without side effects (lower case). */
const READ_BUILTINS = new Set(
  `
count count_big sum avg min max stdev stdevp var varp string_agg grouping grouping_id
checksum_agg approx_count_distinct approx_percentile_cont approx_percentile_disc
len datalength left right substring upper lower ltrim rtrim trim replace replicate reverse
charindex patindex stuff concat concat_ws format quotename space str ascii char nchar unicode
soundex difference string_split string_escape translate
getdate getutcdate sysdatetime sysutcdatetime sysdatetimeoffset current_timestamp dateadd
datediff datediff_big datepart datename day month year eomonth datefromparts
datetimefromparts datetime2fromparts timefromparts smalldatetimefromparts
datetimeoffsetfromparts switchoffset todatetimeoffset isdate date_bucket datetrunc
abs ceiling floor round power sqrt square exp log log10 pi sign sin cos tan asin acos atan
atn2 cot degrees radians rand
cast convert try_cast try_convert parse try_parse isnull coalesce nullif iif choose greatest
least isnumeric
object_id object_name object_schema_name object_definition objectproperty objectpropertyex
col_name col_length columnproperty db_id db_name schema_id schema_name type_id type_name
typeproperty index_col indexproperty databasepropertyex serverproperty suser_name
suser_sname suser_id suser_sid user_name user_id host_name host_id app_name original_login
is_member is_srvrolemember is_rolemember has_perms_by_name has_dbaccess permissions file_id
file_name filegroup_name filegroup_id fileproperty collationproperty sql_variant_property
row_number rank dense_rank ntile lag lead first_value last_value percent_rank cume_dist
percentile_cont percentile_disc
json_value json_query json_modify isjson openjson json_object json_array
newid checksum binary_checksum hashbytes compress decompress
error_message error_number error_severity error_state error_line error_procedure xact_state
scope_identity ident_current ident_incr ident_seed rowcount_big session_context
context_info formatmessage generate_series current_request_id current_transaction_id
openxml containstable freetexttable freetext
`
    .split(/\s+/)
    .filter((name) => name !== ""),
);

/** Type names that take a length or precision, so `varchar(10)` is not a function call. */
const TYPE_NAMES = new Set([
  "char",
  "varchar",
  "nchar",
  "nvarchar",
  "binary",
  "varbinary",
  "decimal",
  "numeric",
  "float",
  "datetime2",
  "datetimeoffset",
  "time",
  "vector",
]);

const XML_READ_METHODS = new Set(["value", "nodes", "query", "exist"]);

export function isTypeName(name: string): boolean {
  return TYPE_NAMES.has(name);
}

/** `[dbo].[Fn]` → `dbo.fn`: the form operators write in `readFunctions`. */
function plainName(display: string): string {
  return display.replace(/[[\]]/g, "").toLowerCase();
}

/**
 * True when calling `display` (a function name as the classifier shows it) cannot change
 * anything: a built-in on the allowlist (T-SQL requires user scalar functions to be
 * schema-qualified, so an unqualified name is a built-in or a table-valued function), a
 * `sys` function, or one the operator listed.
 */
export function readFunction(display: string, operatorList: ReadonlySet<string>): boolean {
  const plain = plainName(display);
  if (operatorList.has(plain)) return true;
  const parts = plain.split(".");
  const last = parts[parts.length - 1] ?? "";
  if (operatorList.has(last) && parts.length === 1) return true;
  if (parts.length === 1) return READ_BUILTINS.has(last);
  // `col.value(…)`, `doc.nodes(…)`: xml methods only read (`.modify` is for UPDATE … SET).
  if (XML_READ_METHODS.has(last)) return true;
  return parts[parts.length - 2] === "sys";
}
