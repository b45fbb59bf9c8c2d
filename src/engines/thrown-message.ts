/**
 * Reading whatever was thrown. Drivers throw Errors, but a callback may hand anything (null,
 * undefined, a string, an object without a prototype, a getter that throws): the error path
 * must describe all of them, because a crash there would lose what happened to the transaction.
 */

/** Unknown thrown value → message; never throws. */
export function messageOf(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (typeof error === "string") return error;
    if (error === null || error === undefined)
      return `no error message (${String(error)} was thrown)`;
    return String(error);
  } catch {
    // String() throws for an object without toString (Object.create(null)).
    return "(a value that cannot be printed was thrown)";
  }
}

/** A field of a thrown value, undefined when there is none or reading it throws; never throws. */
export function fieldOf(error: unknown, name: string): unknown {
  if ((typeof error !== "object" && typeof error !== "function") || error === null)
    return undefined;
  try {
    return (error as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/** A string field of a thrown value (`code`, `severity` …), or undefined. */
export function stringFieldOf(error: unknown, name: string): string | undefined {
  const value = fieldOf(error, name);
  return typeof value === "string" ? value : undefined;
}

/** A numeric field of a thrown value (`number`, `lineNumber` …), or undefined. */
export function numberFieldOf(error: unknown, name: string): number | undefined {
  const value = fieldOf(error, name);
  return typeof value === "number" ? value : undefined;
}
