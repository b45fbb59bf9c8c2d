/**
 * Structural checks on rendered comments: what a broken comment would look like on GitHub
 * (an unclosed fence or <details> swallowing the rest, a table row with a stray pipe, a live
 * mention or issue reference, raw HTML from data).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;
const ALLOWED_TAG = /^<\/?(br|details|summary|sub)>/;

/** Pipes GFM splits a row on: those not escaped by a backslash right before them. */
export function unescapedPipes(line: string): number {
  let count = 0;
  for (let i = 0; i < line.length; i += 1) {
    if (line[i] === "|" && line[i - 1] !== "\\") count += 1;
  }
  return count;
}

export function markdownProblems(markdown: string): string[] {
  const problems: string[] = [];
  if (LONE_SURROGATE.test(markdown)) problems.push("lone surrogate");
  if (/@[A-Za-z0-9]/.test(markdown)) problems.push("live @mention");
  if (/#\d/.test(markdown)) problems.push("live #reference");
  if (/https?:\/\//.test(markdown)) problems.push("live URL");

  let fence: string | null = null;
  let details = 0;
  let table: { pipes: number; line: number } | null = null;
  const lines = markdown.split("\n");
  lines.forEach((line, number) => {
    const match = FENCE_LINE.exec(line);
    if (fence !== null) {
      if (match?.[1] !== undefined && match[1].startsWith(fence) && line.trim() === match[1]) {
        fence = null;
      }
      return;
    }
    if (match?.[1] !== undefined) {
      fence = match[1];
      table = null;
      return;
    }
    for (let i = line.indexOf("<"); i !== -1; i = line.indexOf("<", i + 1)) {
      if (!ALLOWED_TAG.test(line.slice(i))) problems.push(`raw HTML on line ${number + 1}`);
    }
    details += (line.match(/<details>/g) ?? []).length;
    details -= (line.match(/<\/details>/g) ?? []).length;
    if (details < 0) problems.push(`</details> without <details> on line ${number + 1}`);
    if (line.startsWith("|")) {
      const pipes = unescapedPipes(line);
      if (table === null) {
        table = { pipes, line: number };
        const delimiter = lines[number + 1] ?? "";
        if (!/^\|( --- \|)+$/.test(delimiter)) problems.push(`table without delimiter row`);
        if (unescapedPipes(delimiter) !== pipes) problems.push("delimiter row width");
      } else if (pipes !== table.pipes) {
        problems.push(
          `row on line ${number + 1} has ${pipes - 1} cells, header ${table.pipes - 1}`,
        );
      }
    } else {
      table = null;
    }
  });
  if (fence !== null) problems.push("unclosed code fence");
  if (details !== 0) problems.push("unclosed <details>");
  return problems;
}

/** Cells per row of every table in `markdown`, for asserting shapes. */
export function tableShapes(markdown: string): number[][] {
  const shapes: number[][] = [];
  let current: number[] | null = null;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("|")) {
      if (current === null) {
        current = [];
        shapes.push(current);
      }
      current.push(unescapedPipes(line) - 1);
    } else {
      current = null;
    }
  }
  return shapes;
}
