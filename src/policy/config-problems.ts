/** zod's issues as problems a person can act on, with the path inside the file (pure). */
import type { z } from "zod";
import type { ConfigProblem } from "./config.js";

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(top level)" : out;
}

/**
 * Turns zod's issues into problems a person can act on. A union failure lists every
 * branch's complaint; the branch that got furthest into the value is the one the author
 * meant (`all_of` with a bad `min`), so only its issues are reported.
 */
export function explainIssue(
  issue: z.core.$ZodIssue,
  prefix: readonly PropertyKey[],
): ConfigProblem[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union") {
    const deepest = issue.errors
      .filter((branch) => branch.length > 0 && branch.every((inner) => inner.path.length > 0))
      .sort((a, b) => (b[0]?.path.length ?? 0) - (a[0]?.path.length ?? 0))[0];
    if (deepest !== undefined) return deepest.flatMap((inner) => explainIssue(inner, path));
  }
  if (issue.code === "invalid_key") {
    return issue.issues.map((inner) => ({ path: formatPath(path), message: inner.message }));
  }
  return [{ path: formatPath(path), message: issue.message }];
}
