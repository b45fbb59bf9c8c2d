/**
 * Characters no command may contain (issue 12, classes 1 and 3), checked before either
 * parser runs.
 */

/**
 * Characters that two readers may split differently (a lone CR ends a T-SQL comment for
 * SQL Server but not for every tool; U+2028 is a line break to some editors), that hide
 * text from the reviewer (bidi overrides: "Trojan Source"), or that no SQL needs: NUL and
 * the other C0/C1 controls except tab, line feed, CR-LF and form feed, lone surrogates,
 * and a byte-order mark anywhere but at the very start.
 */
const FORBIDDEN_CHARACTER =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\r(?!\n)|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const CHARACTER_NAMES: Record<number, string> = {
  0x00: "NUL",
  0x0b: "LINE TABULATION",
  0x0d: "CARRIAGE RETURN not followed by a line feed",
  0x85: "NEXT LINE",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "BYTE ORDER MARK",
};

function characterName(code: number): string {
  const name = CHARACTER_NAMES[code];
  if (name !== undefined) return name;
  if (code >= 0xd800 && code <= 0xdfff) return "an unpaired surrogate";
  return "a control character";
}

export interface ForbiddenCharacter {
  /** `U+202E`. */
  code: string;
  name: string;
  /** 0-based UTF-16 offset. */
  position: number;
}

/** The first character the command may not contain, or undefined. Linear in the text. */
export function findForbiddenCharacter(text: string): ForbiddenCharacter | undefined {
  FORBIDDEN_CHARACTER.lastIndex = 0;
  for (let match = FORBIDDEN_CHARACTER.exec(text); match !== null;) {
    const code = match[0].charCodeAt(0);
    if (!(code === 0xfeff && match.index === 0)) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0");
      return { code: `U+${hex}`, name: characterName(code), position: match.index };
    }
    match = FORBIDDEN_CHARACTER.exec(text);
  }
  return undefined;
}
