/**
 * Offsets: the parser reports statement locations in UTF-8 bytes and error cursors in
 * characters (code points); JavaScript strings index UTF-16 code units.
 */
import type { JsonObject } from "./pg-ast.js";

export class ByteIndex {
  private byte = 0;
  private index = 0;
  private readonly ascii: boolean;

  constructor(private readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = /^[\x00-\x7f]*$/.test(text);
  }

  toIndex(byteOffset: number): number {
    if (this.ascii) return Math.min(byteOffset, this.text.length);
    if (byteOffset < this.byte) {
      this.byte = 0;
      this.index = 0;
    }
    while (this.byte < byteOffset && this.index < this.text.length) {
      const code = this.text.codePointAt(this.index) as number;
      this.byte += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      this.index += code > 0xffff ? 2 : 1;
    }
    return this.index;
  }
}

export function codePointsToIndex(text: string, codePoints: number): number {
  let index = 0;
  for (let seen = 0; seen < codePoints && index < text.length; seen += 1) {
    index += (text.codePointAt(index) as number) > 0xffff ? 2 : 1;
  }
  return index;
}

/** Where a parsed statement starts and ends in the text, in UTF-16 code units. */
export function statementSpan(
  raw: JsonObject,
  bytes: ByteIndex,
  length: number,
): { start: number; end: number } {
  const startByte = typeof raw.stmt_location === "number" ? raw.stmt_location : 0;
  const start = bytes.toIndex(startByte);
  const end =
    typeof raw.stmt_len === "number" && raw.stmt_len > 0
      ? bytes.toIndex(startByte + raw.stmt_len)
      : length;
  return { start, end };
}
