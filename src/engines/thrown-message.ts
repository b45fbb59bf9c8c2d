/** Unknown thrown value → message; drivers throw Errors but a callback may hand anything. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return String(error);
}
