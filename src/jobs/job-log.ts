/**
 * Every log line written while a job runs names the job, its request and the webhook
 * delivery it came from, whichever module writes it: the runner sets the job's context, and
 * the logger handed to use cases adds that context to each line. AsyncLocalStorage carries
 * it across awaits, so nothing has to pass ids down by hand.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface JobLogContext {
  jobId: number;
  kind: string;
  requestId: number | null;
  deliveryId: string | null;
}

export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

const current = new AsyncLocalStorage<JobLogContext>();

/** Runs `work` with `context` on every line logged through `jobLogger` meanwhile. */
export function withJobLog<T>(context: JobLogContext, work: () => Promise<T>): Promise<T> {
  return current.run(context, work);
}

/** A logger that adds the running job's context (if any) to each line. */
export function jobLogger(base: Logger): Logger {
  const line =
    (level: keyof Logger) =>
    (object: object, message: string): void => {
      const context = current.getStore();
      base[level](context === undefined ? object : { ...context, ...object }, message);
    };
  return { info: line("info"), warn: line("warn"), error: line("error") };
}
