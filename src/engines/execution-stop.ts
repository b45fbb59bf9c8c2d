/**
 * Why an execution must stop before COMMIT: the caller's signal aborted, or the engine closed.
 * It listens from the first moment of execute(), before anything is awaited, so that no window
 * (splitting the command, connecting, counting the writes) lets a stop go unheard; the skeleton
 * checks it between steps, and last immediately before it sends COMMIT.
 */
import { AbortedError } from "./dialect-hooks.js";

export class ExecutionStop {
  private isStopped = false;
  /** What the outcome's message adds after "Execution was aborted", e.g. "lease lost". */
  private detail: string | undefined;
  private onStopped: (() => void) | undefined;
  private readonly onAbort = (): void => {
    const reason: unknown = this.signal?.reason;
    this.stop(reason instanceof Error ? reason.message : undefined);
  };

  constructor(private readonly signal: AbortSignal | undefined) {
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  stop(detail: string | undefined): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.detail = detail;
    this.onStopped?.();
  }

  /** Called once on the stop, at once when it already happened: cancels the running call. */
  whenStopped(listener: () => void): void {
    this.onStopped = listener;
    if (this.isStopped) listener();
  }

  /** Between the steps of the flow: a stop becomes the error path, which rolls back. */
  throwIfStopped(): void {
    if (this.isStopped) throw new AbortedError();
  }

  /** "Execution was aborted[ when]: detail." */
  message(when = ""): string {
    return `Execution was aborted${when}${this.detail === undefined ? "" : `: ${this.detail}`}.`;
  }

  /** The execution ended: a later abort of the caller's signal concerns it no more. */
  dispose(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
    this.onStopped = undefined;
  }
}
