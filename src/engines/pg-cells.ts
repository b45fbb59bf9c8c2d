/**
 * How PostgreSQL values become the stringified cells of a ResultSet: every column is received
 * as the server's text, and only the rows that are kept are converted.
 */
import pg from "pg";

const OID_BYTEA = 17;
const OID_TIMESTAMP = 1114;
const OID_TIMESTAMPTZ = 1184;

/**
 * Every column is received as the server's text. Converting happens later, and only for the
 * rows that are kept: a million dropped rows must not pay for Date or Buffer objects.
 */
export const RAW_TEXT_TYPES = {
  getTypeParser: () => (value: string) => value,
  // The pg typings declare getTypeParser as the overloaded pg-types function; an identity
  // parser satisfies every overload at run time but not the overload set, hence the cast.
} as unknown as pg.CustomTypesConfig;

const ISO_TIMESTAMP =
  /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/**
 * Server text → the stringified cell of a ResultSet. Numbers, json, uuid, arrays … are already
 * exact text. Timestamps in PostgreSQL's ISO DateStyle get the ISO 8601 "T" and a full offset;
 * other DateStyles, infinity and BC dates are left as the server wrote them. The session's
 * DateStyle/TimeZone are deliberately not changed: that would change what the command does.
 */
export function stringifyPgCell(oid: number, raw: string): string {
  if (oid === OID_BYTEA) {
    if (raw.startsWith("\\x")) return raw;
    // bytea_output = escape: decode with pg's own parser and re-encode as hex.
    const buffer = pg.types.getTypeParser(OID_BYTEA, "text")(raw) as Buffer;
    return "\\x" + buffer.toString("hex");
  }
  if (oid === OID_TIMESTAMP || oid === OID_TIMESTAMPTZ) {
    const m = ISO_TIMESTAMP.exec(raw);
    if (m === null) return raw;
    const [, date, time, offH, offM, offS] = m;
    if (offH === undefined) return `${date}T${time}`;
    let offset = `${offH}:${offM ?? "00"}`;
    if (offS !== undefined) offset += `:${offS}`;
    return `${date}T${time}${offset === "+00:00" ? "Z" : offset}`;
  }
  return raw;
}
