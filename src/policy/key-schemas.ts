/**
 * Schemas of single resource keys that carry their own rules (issues 16 and 17), shared by the
 * server file and the repository file.
 */
import { z } from "zod";
import { validateMaskConfig } from "../render/mask-config.js";

export const rowCount = z.number().int().min(0);

/**
 * `max_estimated_rows: 100000` denies a command the planner expects to touch more rows;
 * `{ deny: 1000000, warn: 100000 }` names either or both thresholds (issue 16).
 */
export const maxEstimatedRowsSchema = z.union([
  rowCount,
  z
    .strictObject({ deny: rowCount.optional(), warn: rowCount.optional() })
    .refine((limits) => limits.deny !== undefined || limits.warn !== undefined, {
      message: "max_estimated_rows needs deny, warn, or a number (which denies)",
    }),
]);

/**
 * `mask:` (issue 17), checked by its own validator: problems are reported under the key with
 * the part inside it named, e.g. `resources.prod-db.mask: patterns[1]: unknown mask pattern`.
 */
export const maskSchema = z.unknown().transform((raw, context) => {
  const result = validateMaskConfig(raw, "");
  if (result.ok) return result.config;
  for (const problem of result.problems) {
    const inside = problem.path.replace(/^\./, "");
    context.addIssue({
      code: "custom",
      message: inside === "" ? problem.message : `${inside}: ${problem.message}`,
    });
  }
  return z.NEVER;
});
