/**
 * SIGINT (Ctrl-C) and SIGTERM (docker stop, Kubernetes) both drain: the process stops taking
 * work, lets running commands finish or roll back, then exits. A second signal exits at once.
 */
interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
let stopping = false;
let drain: { log: Logger; stop: () => Promise<number> } | null = null;

function onSignal(signal: NodeJS.Signals): void {
  if (drain === null) process.exit(0);
  const { log, stop } = drain;
  if (stopping) {
    log.warn({ signal }, "second signal: exiting without waiting");
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, "stopping: draining running commands");
  stop().then(
    (code) => process.exit(code),
    (error: unknown) => {
      log.error({ err: String(error) }, "shutdown failed");
      process.exit(1);
    },
  );
}

/** Registers the drain; `stop` resolves to the exit code. */
export function drainOnSignals(log: Logger, stop: () => Promise<number>): void {
  drain = { log, stop };
  for (const signal of SIGNALS) {
    if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
  }
}

/**
 * Removes every other handler of these signals (Probot's own SIGINT handler exits without
 * draining), keeping ours.
 */
drainOnSignals.takeOver = (): void => {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (listener !== onSignal) process.off(signal, listener);
    }
  }
};
