/**
 * How MySQL/MariaDB values become the stringified cells of a ResultSet. The engine reads every
 * column as the raw bytes of the text protocol (mysql2's `typeCast: false`, a view on the packet,
 * no copy), so a dropped row costs nothing, and only kept rows are converted here: numbers stay
 * the server's exact text (DECIMAL, BIGINT UNSIGNED, FLOAT as printed), DATETIME/TIMESTAMP get
 * the ISO 8601 "T", binary strings, BIT and GEOMETRY become `\x`-hex, JSON its text. Pure.
 */

/** mysql2's column type numbers (lib/constants/types.js), the ones read differently here. */
const TYPE = {
  TIMESTAMP: 0x07,
  DATETIME: 0x0c,
  BIT: 0x10,
  JSON: 0xf5,
  GEOMETRY: 0xff,
} as const;

/**
 * Numbers, dates and times (DECIMAL … NEWDATE, NEWDECIMAL): the server prints them in ASCII,
 * although their column definitions carry the binary character set.
 */
function isPrintedAscii(type: number): boolean {
  return type <= 0x0e || type === 0xf6;
}

/** MySQL's character set number for `binary`. */
export const BINARY_CHARSET = 63;

/** What a cell's conversion needs of a column definition (mysql2's ColumnDefinition). */
export interface MysqlColumn {
  columnType: number;
  characterSet: number;
  /** mysql2's name of the column's encoding ("utf8", "latin1", "cp1252" …). */
  encoding: string;
  /** MariaDB's extended metadata: "json" for a JSON column (MariaDB stores it as LONGTEXT). */
  extendedFormat?: string;
}

const hex = (bytes: Buffer): string => "\\x" + bytes.toString("hex");

/** `2024-03-05 06:07:08.123456` → `2024-03-05T06:07:08.123456`; zero dates stay as written. */
function isoDateTime(text: string): string {
  const m = /^(\d{4,}-(\d\d)-(\d\d)) (\d.*)$/.exec(text);
  if (m === null || m[2] === "00" || m[3] === "00") return text;
  return `${m[1]}T${m[4]}`;
}

/**
 * Text in the column's encoding. The connection asks for utf8mb4 results (and the command may
 * not change character_set_results), so this is UTF-8 in practice; another encoding is decoded
 * by its WHATWG name, and one that cannot be decoded is shown as hex rather than garbled.
 */
function decodeText(bytes: Buffer, encoding: string): string {
  if (encoding === "utf8" || encoding === "utf-8" || encoding === "cesu8")
    return bytes.toString("utf8");
  if (encoding === "ascii" || encoding === "latin1") return bytes.toString(encoding);
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    return hex(bytes);
  }
}

/** One raw cell → its text; NULL stays null. */
export function stringifyMysqlCell(column: MysqlColumn, raw: Buffer | null): string | null {
  if (raw === null) return null;
  const type = column.columnType;
  // MySQL sends JSON with the binary character set; its text is UTF-8 by definition.
  if (type === TYPE.JSON || column.extendedFormat === "json") return raw.toString("utf8");
  if (type === TYPE.DATETIME || type === TYPE.TIMESTAMP) return isoDateTime(raw.toString("latin1"));
  // Numbers, DATE, TIME, YEAR: the text exactly as the server printed it.
  if (isPrintedAscii(type)) return raw.toString("latin1");
  // Strings (and any type this list does not know) are bytes when their character set is.
  if (type === TYPE.BIT || type === TYPE.GEOMETRY || column.characterSet === BINARY_CHARSET)
    return hex(raw);
  return decodeText(raw, column.encoding);
}
