/**
 * Writes that are safe to repeat (DESIGN §3 "GitHub API budget"): Octokit never resends a
 * content-creating call (write-guard.ts), so when GitHub may have applied one and still
 * answered 5xx, or a job is retried after such an answer or a crash, Countersign looks for
 * what it wrote before writing again. Comments carry a hidden marker to be found by; check
 * runs and pull requests are found by name and branch.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { httpStatus } from "./client.js";
import { RetryLater } from "./rate-limits.js";

/** The job attempt the writes of this moment belong to (set by the job runner). */
export interface WriteAttempt {
  /** Names the job ("job-57"): a retried job finds the comments it posted, not look-alikes. */
  origin: string;
  /** True from the second attempt on: an earlier attempt may have written already. */
  retry: boolean;
  /** How long this attempt has slept for the write budget so far (write-guard.ts). */
  waitedMs: number;
}

const current = new AsyncLocalStorage<WriteAttempt>();

export function withWriteAttempt<T>(attempt: WriteAttempt, work: () => Promise<T>): Promise<T> {
  return current.run(attempt, work);
}

export function currentWriteAttempt(): WriteAttempt | undefined {
  return current.getStore();
}

/**
 * A failure after which the write may or may not have been applied: a 5xx, a timeout or a
 * network error (Octokit reports those as 500 or with no status). A 4xx, a rate limit and our
 * own budget refusal say the write did not happen.
 */
export function isAmbiguous(error: unknown): boolean {
  if (error instanceof RetryLater) return false;
  const status = httpStatus(error);
  return status === undefined || status >= 500;
}

/**
 * Writes once: on a retried job, `find` first; after an ambiguous failure, `find` again, and
 * what it finds is the result. Otherwise the failure stands (the job retries later).
 */
export async function writeOnce<T>(steps: {
  find(): Promise<T | null>;
  write(): Promise<T>;
}): Promise<T> {
  if (currentWriteAttempt()?.retry === true) {
    const found = await steps.find();
    if (found !== null) return found;
  }
  try {
    return await steps.write();
  } catch (error) {
    if (!isAmbiguous(error)) throw error;
    const found = await steps.find().catch(() => null);
    if (found !== null) return found;
    throw error;
  }
}

/** `<!-- countersign:PR_kw123:link -->`: hidden in the rendered comment, found by a search. */
export function commentMarker(subject: string, purpose: string): string {
  return `<!-- countersign:${subject}:${purpose} -->`;
}

/**
 * The marker of a comment posted through `postComment`: its job (when a job posts it) and a
 * digest of its text, so a retried job finds its own comment and no other.
 */
export function bodyMarker(body: string): string {
  const digest = createHash("sha256").update(body, "utf8").digest("hex").slice(0, 16);
  return commentMarker(currentWriteAttempt()?.origin ?? "comment", digest);
}

/** GitHub refuses longer comment bodies. */
const MAX_BODY = 65_536;

/**
 * The body with its marker at the end. A body already at GitHub's limit (a full result
 * comment) keeps its text and goes without a marker: it can then not be found again, which
 * is no worse than before markers existed.
 */
export function withMarker(body: string, marker: string): string {
  const marked = `${body.trimEnd()}\n\n${marker}`;
  return marked.length <= MAX_BODY ? marked : body;
}
