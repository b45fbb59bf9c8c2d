/**
 * Masks what the value patterns find inside a text: only the matched part is replaced, by
 * `[masked:<pattern>]` (`call [masked:phone] after 5`), so the rest of a notice or a cell still
 * reads. Where matches of different patterns overlap, the union is replaced once, by
 * `[masked]`. Every scanner reads the original text, never another's replacement.
 */
import type { MaskPatternName } from "./mask-config.js";
import type { Scanner, Span } from "./mask-chars.js";
import { findEmails } from "./mask-email.js";
import { findCards, findIbans } from "./mask-numbers.js";
import { findPhones } from "./mask-phone.js";

/** What replaces a whole cell of a masked column. */
export const MASKED = "[masked]";

export function maskedPattern(pattern: MaskPatternName): string {
  return `[masked:${pattern}]`;
}

const SCANNERS: Record<MaskPatternName, Scanner> = {
  email: findEmails,
  card: findCards,
  iban: findIbans,
  phone: findPhones,
};

export interface TextMask {
  text: string;
  /** The patterns that found something; empty when the text is unchanged. */
  patterns: MaskPatternName[];
}

interface Merged {
  start: number;
  end: number;
  patterns: Set<MaskPatternName>;
}

function merge(spans: Span[]): Merged[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Merged[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && span.start < last.end) {
      last.end = Math.max(last.end, span.end);
      last.patterns.add(span.pattern);
    } else {
      merged.push({ start: span.start, end: span.end, patterns: new Set([span.pattern]) });
    }
  }
  return merged;
}

/** Replaces every match of `patterns` in `text`. */
export function maskText(text: string, patterns: readonly MaskPatternName[]): TextMask {
  const spans = patterns.flatMap((pattern) => SCANNERS[pattern](text));
  if (spans.length === 0) return { text, patterns: [] };
  const pieces: string[] = [];
  let at = 0;
  for (const { start, end, patterns: found } of merge(spans)) {
    pieces.push(text.slice(at, start));
    const [only] = found;
    pieces.push(found.size === 1 && only !== undefined ? maskedPattern(only) : MASKED);
    at = end;
  }
  pieces.push(text.slice(at));
  const hit = new Set(spans.map((span) => span.pattern));
  return { text: pieces.join(""), patterns: patterns.filter((pattern) => hit.has(pattern)) };
}
