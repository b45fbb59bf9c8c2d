/**
 * The `phone` pattern. Exactly two shapes are phone numbers:
 *
 * 1. International: `+` then 7 to 15 digits (E.164's limit), in groups joined by single
 *    spaces, dashes or dots, with at most one group of 1 to 4 digits in parentheses
 *    (`+14155552671`, `+44 20 7946 0958`, `+44 (0)20 7946 0958`, `+1 (415) 555-2671`,
 *    `+49-30-1234567`). The `+` must not follow a letter or digit, and the number must not be
 *    followed by one. A number with more groups than 15 digits allow is masked up to its last
 *    group boundary within 15 digits. `+12345.67` (one dot as the only separator) is a signed
 *    decimal, not a phone.
 * 2. North American (NANP): area code and exchange of three digits each, both starting with
 *    2-9, and four line digits, written `415-555-2671`, `415.555.2671`, `415 555 2671` (the
 *    same separator twice), `(415) 555-2671` or `(415)555-2671`; optionally after a `1` and
 *    one separator (`1-800-555-0199`). It must not touch a letter or digit, nor continue a
 *    longer run of digit groups on either side (`7-415-555-2671-9` is not a phone).
 *
 * Deliberately not phones: a bare run of digits without `+` (`4155552671` is as likely an
 * order number), numbers with a `00` international prefix, and local numbers outside North
 * America written without `+`. Dates (`2024-01-15`, `15.01.2024`) and times never have the
 * 3-3-4 shape, and `123-456-7890` has an area code starting with 1, so neither is taken.
 */
import { digitAt, wordAt, type Span } from "./mask-chars.js";

const E164_MIN_DIGITS = 7;
const E164_MAX_DIGITS = 15;
const MAX_PAREN_DIGITS = 4;

function isSeparator(char: string): boolean {
  return char === " " || char === "-" || char === ".";
}

interface Group {
  end: number;
  digits: number;
}

/** `(` 1-4 digits `)` at `index`, or undefined. */
function parenGroup(text: string, index: number): Group | undefined {
  let end = index + 1;
  while (digitAt(text, end) && end - index - 1 <= MAX_PAREN_DIGITS) end += 1;
  const digits = end - index - 1;
  if (digits < 1 || digits > MAX_PAREN_DIGITS || text.charAt(end) !== ")") return undefined;
  return { end: end + 1, digits };
}

/** End of the international number whose `+` is at `plus`, or -1. Reads at most ~40 chars. */
function internationalEnd(text: string, plus: number): number {
  if (wordAt(text, plus - 1) || !digitAt(text, plus + 1)) return -1;
  let index = plus + 1;
  let digits = 0;
  let separators = 0;
  let dots = 0;
  let parens = false;
  let end = -1;
  for (;;) {
    if (text.charAt(index) === "(") {
      const group = parens ? undefined : parenGroup(text, index);
      if (group === undefined) return end;
      parens = true;
      digits += group.digits;
      index = group.end;
    } else {
      while (digitAt(text, index)) {
        digits += 1;
        index += 1;
      }
    }
    if (digits > E164_MAX_DIGITS) return end;
    const decimal = !parens && separators === 1 && dots === 1;
    if (digits >= E164_MIN_DIGITS && !wordAt(text, index) && !decimal) end = index;
    const char = text.charAt(index);
    const after = text.charAt(index + 1);
    if (isSeparator(char) && (digitAt(text, index + 1) || after === "(")) {
      separators += 1;
      if (char === ".") dots += 1;
      index += 1;
    } else if (!(char === "(" || digitAt(text, index))) {
      return end;
    }
  }
}

/** Three digits at `index`, the first 2-9 (a NANP area code or exchange). */
function nanpTriple(text: string, index: number): boolean {
  const first = text.charAt(index);
  return first >= "2" && first <= "9" && digitAt(text, index + 1) && digitAt(text, index + 2);
}

function fourDigits(text: string, index: number): boolean {
  return (
    digitAt(text, index) &&
    digitAt(text, index + 1) &&
    digitAt(text, index + 2) &&
    digitAt(text, index + 3)
  );
}

/** End of `(NXX) NXX-XXXX` or `NXX-NXX-XXXX` at `index`, or -1. */
function nanpCore(text: string, index: number): number {
  if (text.charAt(index) === "(") {
    if (!nanpTriple(text, index + 1) || text.charAt(index + 4) !== ")") return -1;
    let at = index + 5;
    if (text.charAt(at) === " ") at += 1;
    if (!nanpTriple(text, at)) return -1;
    at += 3;
    if (isSeparator(text.charAt(at))) at += 1;
    return fourDigits(text, at) ? at + 4 : -1;
  }
  const separator = text.charAt(index + 3);
  if (!nanpTriple(text, index) || !isSeparator(separator)) return -1;
  if (!nanpTriple(text, index + 4) || text.charAt(index + 7) !== separator) return -1;
  return fourDigits(text, index + 8) ? index + 12 : -1;
}

/** Whether a number ends or starts next to `index` (outside it) without running on. */
function standsApart(text: string, outside: number, beyond: number): boolean {
  if (wordAt(text, outside) || text.charAt(outside) === "+") return false;
  return !(isSeparator(text.charAt(outside)) && digitAt(text, beyond));
}

function nanpEnd(text: string, index: number): number {
  if (!standsApart(text, index - 1, index - 2)) return -1;
  let end = -1;
  if (text.charAt(index) === "1" && isSeparator(text.charAt(index + 1))) {
    end = nanpCore(text, index + 2);
  }
  if (end === -1) end = nanpCore(text, index);
  if (end === -1 || !standsApart(text, end, end + 1)) return -1;
  return end;
}

export function findPhones(text: string): Span[] {
  const spans: Span[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    let end = -1;
    if (char === "+") end = internationalEnd(text, index);
    else if (char === "(" || digitAt(text, index)) end = nanpEnd(text, index);
    if (end === -1) {
      index += 1;
    } else {
      spans.push({ start: index, end, pattern: "phone" });
      index = end;
    }
  }
  return spans;
}
