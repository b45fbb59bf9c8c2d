/**
 * Handlebars helpers shared by every template. `{{x}}` only HTML-escapes, which is not enough
 * for Markdown (pipes, mentions) and wrong inside code (entities show literally), so anything
 * that did not come from us goes through one of the escaping helpers below. They return
 * SafeString so Handlebars does not escape a second time.
 */
import type HandlebarsNamespace from "handlebars";
import { codeFence, codeSpan, escapeInline, escapeTableCell, truncateText } from "./escape.js";

/** Handlebars passes its options hash as the last argument; keep only the template's. */
function templateArgs(args: unknown[]): unknown[] {
  return args.slice(0, -1);
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (Array.isArray(value)) return value.map(asText).join(", ");
  return JSON.stringify(value) ?? "";
}

function maxLength(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `1234567` → `1,234,567`; locale-independent so output does not depend on the host. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [whole = "", fraction] = Math.abs(value).toString().split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${value < 0 ? "-" : ""}${grouped}${fraction !== undefined ? `.${fraction}` : ""}`;
}

/** `35 ms`, `1.24 s`, `2 min 5 s`, `1 h 2 min`. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown time";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 10) / 100).toString()} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `1 row`, `1,000 rows`; the plural defaults to singular + `s`. */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(count)} ${count === 1 ? singular : plural}`;
}

export function registerHelpers(handlebars: typeof HandlebarsNamespace): void {
  const safe = (text: string) => new handlebars.SafeString(text);

  handlebars.registerHelper("eq", (left: unknown, right: unknown) => left === right);
  handlebars.registerHelper("join", (items: unknown, separator: unknown) =>
    Array.isArray(items) ? items.join(typeof separator === "string" ? separator : ", ") : "",
  );

  /** `{{md x}}` or `{{md x 200}}`: inert inline Markdown text, optionally cut first. */
  handlebars.registerHelper("md", (...args: unknown[]) => {
    const [value, max] = templateArgs(args);
    const text = asText(value);
    const limit = maxLength(max);
    return safe(escapeInline(limit === undefined ? text : truncateText(text, limit)));
  });

  /** `{{cell x}}`: a table cell; null is an italic NULL, unlike the string 'NULL'. */
  handlebars.registerHelper("cell", (...args: unknown[]) => {
    const [value] = templateArgs(args);
    if (value === null || value === undefined) return safe("*NULL*");
    return safe(escapeTableCell(asText(value)));
  });

  /** `{{code x}}`: an inline code span (not for table cells). */
  handlebars.registerHelper("code", (...args: unknown[]) => {
    const [value] = templateArgs(args);
    return safe(codeSpan(asText(value)));
  });

  /** `{{fence x "sql"}}`: a fenced code block, on its own line. */
  handlebars.registerHelper("fence", (...args: unknown[]) => {
    const [value, language] = templateArgs(args);
    return safe(codeFence(asText(value), typeof language === "string" ? language : ""));
  });

  /** `{{verbatimFence x "sql"}}`: like fence, but leaves `@` and `#` untouched for copying. */
  handlebars.registerHelper("verbatimFence", (...args: unknown[]) => {
    const [value, language] = templateArgs(args);
    const lang = typeof language === "string" ? language : "";
    return safe(codeFence(asText(value), lang, { verbatim: true }));
  });

  /** `{{num n}}`: `1,000,000`. */
  handlebars.registerHelper("num", (...args: unknown[]) => {
    const [value] = templateArgs(args);
    return typeof value === "number" ? formatNumber(value) : asText(value);
  });

  /** `{{duration ms}}`: `35 ms`, `1.24 s`. */
  handlebars.registerHelper("duration", (...args: unknown[]) => {
    const [value] = templateArgs(args);
    return formatElapsed(typeof value === "number" ? value : Number.NaN);
  });

  /** `{{plural n "row"}}` → `1 row` / `2 rows`; `{{plural n "index" "indices"}}`. */
  handlebars.registerHelper("plural", (...args: unknown[]) => {
    const [value, singular, plural] = templateArgs(args);
    const count = typeof value === "number" ? value : Number(value);
    const one = asText(singular);
    return formatCount(count, one, typeof plural === "string" ? plural : undefined);
  });
}
