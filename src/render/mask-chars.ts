/**
 * What the value scanners (mask-email.ts, mask-numbers.ts, mask-phone.ts) share: the span a
 * scanner reports and the character tests they are built from. The scanners walk the text by
 * hand, each looking a bounded distance from a starting point, so a cell of any length is read
 * in linear time; no regular expression ever runs over a whole cell (a backtracking regex on
 * a 10,000-character cell of digits and separators is how a mask turns into a hang).
 */
import type { MaskPatternName } from "./mask-config.js";

/** `[start, end)` of text one pattern found (UTF-16 offsets). */
export interface Span {
  start: number;
  end: number;
  pattern: MaskPatternName;
}

/** A scanner: every match in `text`, ordered by start; matches may overlap. */
export type Scanner = (text: string) => Span[];

export function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

export function isAsciiAlnum(code: number): boolean {
  return isDigit(code) || isAsciiLetter(code);
}

/** One code unit: a single-character test, so it cannot backtrack. */
const NON_ASCII_WORD = /^[\p{L}\p{M}\p{N}]$/u;

/**
 * Letters, digits and marks of any script. Surrogate halves count as word characters: the
 * scanners read code units, and a letter outside the BMP must not end an address early.
 */
export function isWordChar(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 0x80) return isAsciiAlnum(code);
  if (code >= 0xd800 && code <= 0xdfff) return true;
  return NON_ASCII_WORD.test(text.charAt(index));
}

/** Whether the character at `index` is a digit; false outside the text. */
export function digitAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && isDigit(text.charCodeAt(index));
}

/** Whether the character at `index` is a word character; false outside the text. */
export function wordAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && isWordChar(text, index);
}
