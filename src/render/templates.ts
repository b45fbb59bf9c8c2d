/**
 * Handlebars setup: one isolated Handlebars environment, templates loaded once from
 * `templates/` beside the package root. User-facing text lives in those files, not in code.
 */
import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerHelpers } from "./helpers.js";

// src/render/templates.ts and dist/render/templates.js both sit two levels below the root.
const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "templates");

const handlebars = Handlebars.create();
registerHelpers(handlebars);

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>.hbs`. Output is Markdown: `{{x}}` escapes HTML; helpers escape Markdown. */
export function renderTemplate(name: string, context: object): string {
  let template = compiled.get(name);
  if (template === undefined) {
    const source = readFileSync(join(TEMPLATE_DIR, `${name}.hbs`), "utf8");
    template = handlebars.compile(source, { strict: true });
    compiled.set(name, template);
  }
  return template(context).trim() + "\n";
}
