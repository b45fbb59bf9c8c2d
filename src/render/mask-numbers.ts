/**
 * The checksummed numbers: `card` (Luhn) and `iban` (ISO 13616 mod 97). The checksum is what
 * keeps ordinary numbers (ids, amounts, order numbers) out: a 16-digit number that fails the
 * Luhn check is not a card and is not masked. Both scans are linear: every candidate is
 * checked with a checksum kept up to date one digit at a time, and no candidate is longer
 * than 19 digits (card) or 34 characters (IBAN).
 */
import { digitAt, isAsciiAlnum, isAsciiLetter, isDigit, wordAt, type Span } from "./mask-chars.js";

const CARD_MIN_DIGITS = 13;
const CARD_MAX_DIGITS = 19;
/** Printed cards group their digits by 4, 4-6-5 or 4-4-5 …; never by one or two. */
const CARD_MIN_GROUP = 3;

interface Run {
  start: number;
  end: number;
  /** Exactly one space or dash lies between this run and the one before. */
  joined: boolean;
}

function digitRuns(text: string): Run[] {
  const runs: Run[] = [];
  let index = 0;
  while (index < text.length) {
    if (!isDigit(text.charCodeAt(index))) {
      index += 1;
      continue;
    }
    const start = index;
    while (digitAt(text, index)) index += 1;
    const gap = text.charAt(start - 1);
    const previous = runs[runs.length - 1];
    const joined =
      previous !== undefined && previous.end === start - 1 && (gap === " " || gap === "-");
    runs.push({ start, end: index, joined });
  }
  return runs;
}

/** Adds one run's digits, right to left, to a Luhn sum whose rightmost digit has position 0. */
function addLuhn(text: string, run: Run, sum: number, position: number): number {
  let total = sum;
  let place = position;
  for (let index = run.end - 1; index >= run.start; index -= 1) {
    const digit = text.charCodeAt(index) - 0x30;
    const doubled = digit * 2;
    total += place % 2 === 0 ? digit : doubled > 9 ? doubled - 9 : doubled;
    place += 1;
  }
  return total;
}

/**
 * The `card` pattern: 13 to 19 digits that pass the Luhn check, written as one run of digits
 * or in groups of at least 3 digits joined by single spaces or dashes (`4111 1111 1111 1111`,
 * `3782-822463-10005`). A group boundary is a match boundary: digits are never taken from the
 * middle of a longer run (a 25-digit number holds no card). Every qualifying window of groups
 * is masked, so a card next to other numbers (`100 4111 1111 1111 1111`) is masked whole even
 * where a neighbouring window passes the check too.
 */
export function findCards(text: string): Span[] {
  const runs = digitRuns(text);
  const spans: Span[] = [];
  runs.forEach((last, lastIndex) => {
    let digits = 0;
    let sum = 0;
    for (let first = lastIndex; first >= 0; first -= 1) {
      const run = runs[first];
      if (run === undefined) break;
      const length = run.end - run.start;
      if (
        first < lastIndex &&
        (length < CARD_MIN_GROUP || last.end - last.start < CARD_MIN_GROUP)
      ) {
        break;
      }
      if (digits + length > CARD_MAX_DIGITS) break;
      sum = addLuhn(text, run, sum, digits);
      digits += length;
      if (digits >= CARD_MIN_DIGITS && sum % 10 === 0) {
        spans.push({ start: run.start, end: last.end, pattern: "card" });
      }
      if (!run.joined) break;
    }
  });
  return spans.sort((a, b) => a.start - b.start);
}

const IBAN_MIN_LENGTH = 15;
const IBAN_MAX_LENGTH = 34;

/** A letter's value in the mod-97 check: A (or a) = 10 … Z = 35. */
function letterValue(code: number): number {
  return (code | 0x20) - 0x61 + 10;
}

/** Country code and check digits, moved to the end as the check reads them: six digits. */
function headValue(text: string, start: number): number {
  const country =
    letterValue(text.charCodeAt(start)) * 100 + letterValue(text.charCodeAt(start + 1));
  const check = Number(text.slice(start + 2, start + 4));
  return country * 100 + check;
}

function startsIban(text: string, index: number): boolean {
  return (
    !wordAt(text, index - 1) &&
    isAsciiLetter(text.charCodeAt(index)) &&
    isAsciiLetter(text.charCodeAt(index + 1)) &&
    digitAt(text, index + 2) &&
    digitAt(text, index + 3)
  );
}

/** End of the longest valid IBAN starting at `start`, or -1. */
function ibanEnd(text: string, start: number): number {
  const head = headValue(text, start);
  let index = start + 4;
  let length = 4;
  // The account part read so far (letters as two digits), modulo 97.
  let remainder = 0;
  let end = -1;
  for (;;) {
    const code = text.charCodeAt(index);
    if (index >= text.length || !isAsciiAlnum(code)) {
      // The end of a group: an IBAN may end here.
      if (length >= IBAN_MIN_LENGTH && (remainder * 1_000_000 + head) % 97 === 1) end = index;
      const next = text.charCodeAt(index + 1);
      if (code !== 0x20 || index + 1 >= text.length || !isAsciiAlnum(next)) return end;
      index += 1;
      continue;
    }
    // One more character would make it longer than any IBAN.
    if (length === IBAN_MAX_LENGTH) return end;
    remainder = isDigit(code)
      ? (remainder * 10 + (code - 0x30)) % 97
      : (remainder * 100 + letterValue(code)) % 97;
    length += 1;
    index += 1;
  }
}

/**
 * The `iban` pattern: two letters (the country), two check digits and the account, 15 to 34
 * letters and digits in all, passing the mod-97 check; written in one piece or in groups
 * joined by single spaces (`DE89 3704 0044 0532 0130 00`), in either case. It must not follow
 * a letter or digit, and in one piece it must not be followed by one; in groups, the longest
 * run of groups that passes the check is taken (`… 0130 00 EUR` leaves `EUR` out).
 */
export function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  let index = 0;
  while (index + 4 <= text.length) {
    const end = startsIban(text, index) ? ibanEnd(text, index) : -1;
    if (end === -1) {
      index += 1;
      continue;
    }
    spans.push({ start: index, end, pattern: "iban" });
    index = end;
  }
  return spans;
}
