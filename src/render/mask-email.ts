/**
 * The `email` pattern: `local@domain` where
 * - the local part is letters and digits of any script and ``!#$%&'*+/=?^_`{|}~.-`` (RFC 5322
 *   atext and dots), at least one character once leading dots are dropped;
 * - the domain is two or more dot-separated labels of letters, digits (any script) and `-`,
 *   the last of which starts with a letter and has at least two characters (`com`, `de`,
 *   `xn--p1ai`); trailing labels that do not qualify are left out (`a@b.com.123` masks
 *   `a@b.com`).
 * Not recognised: quoted local parts (`"john doe"@x.org`), IP-literal domains
 * (`a@[10.0.0.1]`) and single-label domains (`root@localhost`).
 *
 * Linear: the scan starts at each `@` and reads left and right over characters that cannot be
 * `@`, so no character is read more than twice.
 */
import { isAsciiAlnum, isWordChar, type Span } from "./mask-chars.js";

const LOCAL_SYMBOLS = new Set([..."!#$%&'*+/=?^_`{|}~.-"]);

function isLocalChar(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 0x80) return isAsciiAlnum(code) || LOCAL_SYMBOLS.has(text.charAt(index));
  return isWordChar(text, index);
}

function isLabelChar(text: string, index: number): boolean {
  return text.charCodeAt(index) === 0x2d || isWordChar(text, index);
}

/** A top-level label: at least two characters, the first a letter (not a digit or `-`). */
function isTopLabel(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  const code = text.charCodeAt(start);
  if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return false;
  return isWordChar(text, start);
}

/** End of the longest well-formed domain starting at `from`, or -1 if there is none. */
function domainEnd(text: string, from: number): number {
  let index = from;
  let labels = 0;
  let end = -1;
  for (;;) {
    const labelStart = index;
    while (index < text.length && isLabelChar(text, index)) index += 1;
    if (index === labelStart) return end;
    labels += 1;
    if (labels >= 2 && isTopLabel(text, labelStart, index)) end = index;
    if (text.charCodeAt(index) !== 0x2e) return end;
    index += 1;
  }
}

export function findEmails(text: string): Span[] {
  const spans: Span[] = [];
  // No address starts inside the one before it.
  let floor = 0;
  let at = text.indexOf("@");
  while (at !== -1) {
    let start = at;
    while (start > floor && isLocalChar(text, start - 1)) start -= 1;
    while (start < at && text.charCodeAt(start) === 0x2e) start += 1;
    const end = start < at ? domainEnd(text, at + 1) : -1;
    if (end !== -1) {
      spans.push({ start, end, pattern: "email" });
      floor = end;
    }
    at = text.indexOf("@", Math.max(at + 1, floor));
  }
  return spans;
}
