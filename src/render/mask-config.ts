/**
 * The `mask` setting of a resource (issue 17 item 3) as the policy files write it, checked
 * before anything uses it, and the column globs it names, compiled. Pure: the policy loader
 * hands the parsed YAML value to validateMaskConfig and refuses the file on any problem
 * (fail closed: a mask that cannot be read would otherwise mask nothing).
 *
 * Column globs are matched case-insensitively; `*` stands for any run of characters (none
 * included) and every other character stands for itself. Result sets carry no table names,
 * so a qualified glob is read by its last part: in `*.password` or `users.email` only what
 * follows the last dot (`password`, `email`) is matched, against the column name and also
 * against the part of the column name after its own last dot (a driver or an alias may
 * report `u.email`). `users.email` therefore masks an `email` column from any table: the
 * reading that masks more, never less. A glob whose last part is `*` (`users.*`) masks every
 * column.
 */

/** The built-in value patterns, in the order error messages list them. */
export const MASK_PATTERN_NAMES = ["email", "card", "iban", "phone"] as const;

export type MaskPatternName = (typeof MASK_PATTERN_NAMES)[number];

/** What masking reads: `mask: { columns: [...], patterns: [...] }` in the YAML. */
export interface MaskConfig {
  /** Column names or globs (`email`, `*.password`, `card_*`); characters A-Z a-z 0-9 _ * . $. */
  columns: string[];
  /** Value patterns searched in every cell, notice and error message. */
  patterns: MaskPatternName[];
}

/** Same shape as the policy loader's ConfigProblem, so its problems can be passed on as-is. */
export interface MaskProblem {
  /** Dotted path inside the file, e.g. `resources.prod-db.mask.patterns[1]`. */
  path: string;
  message: string;
}

export type MaskConfigResult =
  { ok: true; config: MaskConfig } | { ok: false; problems: MaskProblem[] };

/** Nothing masked: a resource without a `mask` key. */
export const NO_MASK: MaskConfig = { columns: [], patterns: [] };

const GLOB_CHARACTERS = /^[A-Za-z0-9_*.$]+$/;
/** Longer than any identifier PostgreSQL (63) or SQL Server (128) allows, qualified. */
const MAX_GLOB_LENGTH = 300;
/** Enough for any real list; bounds the work of matching every column against every glob. */
const MAX_LIST_LENGTH = 200;
const KNOWN_KEYS = new Set(["columns", "patterns"]);

function isPatternName(value: string): value is MaskPatternName {
  return (MASK_PATTERN_NAMES as readonly string[]).includes(value);
}

/** Config values are not secrets, but a pasted blob should not fill the error message. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

function globProblem(glob: string): string | undefined {
  if (glob.length === 0) return "a column glob must not be empty";
  if (glob.length > MAX_GLOB_LENGTH) {
    return `the column glob ${quoted(glob)} is longer than ${MAX_GLOB_LENGTH} characters`;
  }
  if (!GLOB_CHARACTERS.test(glob)) {
    const bad = [...new Set([...glob].filter((char) => !GLOB_CHARACTERS.test(char)))];
    return (
      `the column glob ${quoted(glob)} has ${bad.map((char) => quoted(char)).join(", ")}: ` +
      "globs are letters A-Z a-z, digits, _, $, . and the wildcard *"
    );
  }
  // An empty part (`users.`, `a..b`, `.email`) is a typo: `users.` would match nothing.
  if (glob.split(".").some((part) => part === "")) {
    return `the column glob ${quoted(glob)} has an empty part around a dot`;
  }
  return undefined;
}

function stringList(raw: unknown, path: string, problems: MaskProblem[]): string[] | undefined {
  if (!Array.isArray(raw)) {
    problems.push({ path, message: "must be a list" });
    return undefined;
  }
  if (raw.length > MAX_LIST_LENGTH) {
    problems.push({ path, message: `must have at most ${MAX_LIST_LENGTH} entries` });
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((entry: unknown, index) => {
    if (typeof entry === "string") out.push(entry);
    else problems.push({ path: `${path}[${index}]`, message: "must be a string" });
  });
  return out;
}

function checkColumns(raw: unknown, path: string, problems: MaskProblem[]): string[] {
  const globs = stringList(raw, path, problems) ?? [];
  globs.forEach((glob, index) => {
    const message = globProblem(glob);
    if (message !== undefined) problems.push({ path: `${path}[${index}]`, message });
  });
  return [...new Set(globs)];
}

function checkPatterns(raw: unknown, path: string, problems: MaskProblem[]): MaskPatternName[] {
  const names = stringList(raw, path, problems) ?? [];
  const known: MaskPatternName[] = [];
  names.forEach((name, index) => {
    if (isPatternName(name)) {
      if (!known.includes(name)) known.push(name);
      return;
    }
    problems.push({
      path: `${path}[${index}]`,
      message: `unknown mask pattern ${quoted(name)}; known patterns: ${MASK_PATTERN_NAMES.join(", ")}`,
    });
  });
  return known;
}

/**
 * Checks a parsed `mask` value: a mapping with `columns` (globs) and/or `patterns` (built-in
 * names), nothing else. `path` prefixes every problem's path (the key's place in the file).
 * Duplicates are dropped; a missing list is empty.
 */
export function validateMaskConfig(raw: unknown, path = "mask"): MaskConfigResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [{ path, message: "must be a mapping with columns and/or patterns" }],
    };
  }
  const problems: MaskProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      problems.push({
        path: `${path}.${key}`,
        message: `unknown key ${quoted(key)}; mask takes columns and patterns`,
      });
    }
  }
  const record = raw as Record<string, unknown>;
  const columns =
    record.columns === undefined ? [] : checkColumns(record.columns, `${path}.columns`, problems);
  const patterns =
    record.patterns === undefined
      ? []
      : checkPatterns(record.patterns, `${path}.patterns`, problems);
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, config: { columns, patterns } };
}

/**
 * The mask of a resource whose server floor and repository file both name one: everything
 * either masks (a repository can add to the floor's mask, never take from it).
 */
export function mergeMaskConfigs(a: MaskConfig, b: MaskConfig): MaskConfig {
  return {
    columns: [...new Set([...a.columns, ...b.columns])],
    patterns: MASK_PATTERN_NAMES.filter(
      (name) => a.patterns.includes(name) || b.patterns.includes(name),
    ),
  };
}

function lastPart(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

/**
 * Whether `name` matches `glob` (both lower case), `*` matching any run. The classic
 * two-pointer match: it backtracks only to the last `*`, so it takes at most
 * name × glob steps, and both are short.
 */
function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] === "*") {
      star = g;
      g += 1;
      resume = n;
    } else if (g < glob.length && glob[g] === name[n]) {
      g += 1;
      n += 1;
    } else if (star !== -1) {
      g = star + 1;
      resume += 1;
      n = resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g += 1;
  return g === glob.length;
}

/** The column test for a validated config: true when a result column must be masked whole. */
export function columnMatcher(globs: readonly string[]): (column: string) => boolean {
  const parts = [...new Set(globs.map((glob) => lastPart(glob).toLowerCase()))];
  return (column) => {
    const name = column.toLowerCase();
    const tail = lastPart(name);
    return parts.some((part) => globMatches(part, name) || globMatches(part, tail));
  };
}
