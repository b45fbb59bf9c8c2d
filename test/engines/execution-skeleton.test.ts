/**
 * The execution skeleton with a scripted fake dialect (no server): the moments a stop can
 * arrive, what a COMMIT or ROLLBACK hook's failure is reported as, and that whatever is thrown
 * is described rather than crashing the error path. The real drivers are in postgres-stops and
 * mssql-session tests.
 */
import type {
  CommitResult,
  Dialect,
  DialectSession,
  OutcomeError,
  PreparedCommand,
  RollbackResult,
  WriteCount,
} from "../../src/engines/dialect-hooks.js";
import { ExecutionRunner } from "../../src/engines/execution-skeleton.js";
import type { ExecuteOptions, ExecutionOutcome } from "../../src/engines/types.js";

/** How the fake session answers; every hook left out succeeds. */
interface Script {
  prepare?: () => Promise<PreparedCommand<string>>;
  connect?: () => Promise<void>;
  countWrites?: () => Promise<WriteCount>;
  commit?: () => Promise<CommitResult>;
  rollback?: () => Promise<RollbackResult>;
  rollbackAfterError?: () => Promise<RollbackResult>;
  describeError?: (error: unknown) => OutcomeError;
}

function fakeSession(script: Script, calls: string[]): DialectSession<string> {
  const step =
    <T>(name: string, answer: (() => Promise<T>) | undefined, otherwise: T) =>
    (): Promise<T> => {
      calls.push(name);
      return answer === undefined ? Promise.resolve(otherwise) : answer();
    };
  return {
    connect: step("connect", script.connect, undefined),
    begin: step("begin", undefined, undefined),
    run: (unit) => {
      calls.push(`run ${unit}`);
      return Promise.resolve();
    },
    countWrites: step("countWrites", script.countWrites, { affectedRows: 1 }),
    rollback: step("rollback", script.rollback, { rolledBack: true }),
    commit: step<CommitResult>("commit", script.commit, { committed: true }),
    rollbackAfterError: step("rollbackAfterError", script.rollbackAfterError, {
      rolledBack: true,
    }),
    cancel: () => void calls.push("cancel"),
    close: () => Promise.resolve(),
    results: () => ({ resultSets: [], affectedRows: 1 }),
    describeError: (error) =>
      script.describeError === undefined
        ? { message: `described: ${String(error)}` }
        : script.describeError(error),
  };
}

function runnerFor(script: Script, calls: string[]): ExecutionRunner<string> {
  const dialect: Dialect<string> = {
    readOnlyByRowCount: false,
    prepare: () => script.prepare?.() ?? { ok: true, units: ["UPDATE t"] },
    open: () => fakeSession(script, calls),
  };
  return new ExecutionRunner(dialect, (text) => text.replaceAll("hunter2", "[redacted]"));
}

function options(extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    sql: "UPDATE t SET a = 1",
    readOnly: false,
    statementTimeoutMs: 1_000,
    lockTimeoutMs: 1_000,
    keepRows: 50,
    ...extra,
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ABORTED_AND_ROLLED_BACK = {
  status: "failed",
  rolledBack: true,
  error: { code: "COUNTERSIGN_ABORTED", message: "Execution was aborted: lease lost." },
};

describe("ExecutionRunner: a stop while the command is prepared", () => {
  it("an abort while the command is being prepared stops it before it connects", async () => {
    const calls: string[] = [];
    const split = deferred<PreparedCommand<string>>();
    const runner = runnerFor({ prepare: () => split.promise }, calls);
    const controller = new AbortController();
    const pending = runner.execute(options({ signal: controller.signal }));
    controller.abort(new Error("lease lost"));
    split.resolve({ ok: true, units: ["UPDATE t"] });
    expect(await pending).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: {
        code: "COUNTERSIGN_ABORTED",
        message: "Execution was aborted before it started: lease lost.",
      },
    });
    expect(calls).toEqual([]);
  });

  it("close() while the command is being prepared: the execution never connects", async () => {
    const calls: string[] = [];
    const split = deferred<PreparedCommand<string>>();
    const runner = runnerFor({ prepare: () => split.promise }, calls);
    const pending = runner.execute(options());
    await runner.close();
    split.resolve({ ok: true, units: ["UPDATE t"] });
    expect(await pending).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_ABORTED", message: expect.stringContaining("engine was closed") },
    });
    expect(calls).toEqual([]);
  });
});

describe("ExecutionRunner: a stop after the last unit, up to the moment COMMIT is sent", () => {
  it("an abort while the writes are counted rolls back instead of committing", async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const countWrites = () => {
      controller.abort(new Error("lease lost"));
      return Promise.resolve({ affectedRows: 1 });
    };
    const outcome = await runnerFor({ countWrites }, calls).execute(
      options({ signal: controller.signal }),
    );
    expect(outcome).toMatchObject(ABORTED_AND_ROLLED_BACK);
    expect(calls).toEqual([
      "connect",
      "begin",
      "run UPDATE t",
      "countWrites",
      "cancel",
      "rollbackAfterError",
    ]);
  });

  it("an abort after the count, just before COMMIT would be sent, rolls back", async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const countWrites = () => {
      const counted = Promise.resolve({ affectedRows: 1 });
      // Runs after the count is known, before the skeleton's own continuation.
      void counted.then(() => controller.abort(new Error("lease lost")));
      return counted;
    };
    const outcome = await runnerFor({ countWrites }, calls).execute(
      options({ signal: controller.signal }),
    );
    expect(outcome).toMatchObject(ABORTED_AND_ROLLED_BACK);
    expect(calls).not.toContain("commit");
    expect(calls.at(-1)).toBe("rollbackAfterError");
  });

  it("close() after the count, before COMMIT, rolls back", async () => {
    const calls: string[] = [];
    const engine: { runner?: ExecutionRunner<string> } = {};
    const countWrites = () => {
      void engine.runner?.close();
      return Promise.resolve({ affectedRows: 1 });
    };
    const runner = runnerFor({ countWrites }, calls);
    engine.runner = runner;
    const outcome = await runner.execute(options());
    expect(outcome).toMatchObject({ rolledBack: true, error: { code: "COUNTERSIGN_ABORTED" } });
    expect(calls).not.toContain("commit");
  });

  it("a stop once COMMIT is sent does not change what COMMIT reports", async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const commit = () => {
      controller.abort(new Error("lease lost"));
      return Promise.resolve<CommitResult>({ committed: true });
    };
    const outcome = await runnerFor({ commit }, calls).execute(
      options({ signal: controller.signal }),
    );
    expect(outcome).toMatchObject({ status: "succeeded", rolledBack: false });
    expect(calls).not.toContain("rollbackAfterError");
  });
});

describe("ExecutionRunner: COMMIT and ROLLBACK failures", () => {
  it("a COMMIT hook that throws is COMMIT_UNKNOWN: never rolled back afterwards, never 'rolled back'", async () => {
    const calls: string[] = [];
    const commit = () => Promise.reject(new Error("socket hang up, password hunter2"));
    const outcome = await runnerFor({ commit }, calls).execute(options());
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_COMMIT_UNKNOWN" },
    });
    expect(outcome.error?.message).toContain("socket hang up, password [redacted]");
    expect(calls).not.toContain("rollbackAfterError");
  });

  it("a failed ROLLBACK after a limit refusal reports the refusal, the failure as a notice", async () => {
    const rollback = () =>
      Promise.resolve({ rolledBack: true, problem: "Connection terminated (hunter2)" });
    const outcome = await runnerFor({ countWrites: () => big(), rollback }, []).execute(
      options({ maxAffectedRows: 2 }),
    );
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_MAX_AFFECTED_ROWS" },
    });
    expect(outcome.notices).toEqual(["ROLLBACK failed: Connection terminated ([redacted])"]);
  });

  it("a ROLLBACK hook that throws after a refusal: the refusal stays, not claimed rolled back", async () => {
    const rollback = () => Promise.reject(new Error("Connection terminated"));
    const outcome = await runnerFor({ countWrites: () => big(), rollback }, []).execute(
      options({ maxAffectedRows: 2 }),
    );
    expect(outcome).toMatchObject({
      rolledBack: false,
      error: { code: "COUNTERSIGN_MAX_AFFECTED_ROWS" },
    });
    expect(outcome.notices).toEqual(["ROLLBACK failed: Connection terminated"]);
  });
});

function big(): Promise<WriteCount> {
  return Promise.resolve({ affectedRows: 3 });
}

describe("ExecutionRunner: whatever is thrown is described", () => {
  const thrownValues: [string, unknown][] = [
    ["null", null],
    ["undefined", undefined],
    ["a string", "socket hang up"],
    ["an object without a prototype", Object.create(null) as unknown],
  ];

  it.each(thrownValues)(
    "%s from connect, describeError and rollbackAfterError",
    async (_name, thrown) => {
      const outcome: ExecutionOutcome = await runnerFor(
        {
          connect: () => Promise.reject(thrown),
          describeError: () => {
            throw thrown;
          },
          rollbackAfterError: () => Promise.reject(thrown),
        },
        [],
      ).execute(options());
      expect(outcome.status).toBe("failed");
      expect(outcome.rolledBack).toBe(false);
      expect(typeof outcome.error?.message).toBe("string");
      expect(outcome.error?.message).not.toBe("");
      expect(outcome.notices).toHaveLength(1);
    },
  );

  it("a prepare that throws is a failure before start", async () => {
    const prepare = () => Promise.reject(null);
    const outcome = await runnerFor({ prepare }, []).execute(options());
    expect(outcome).toMatchObject({ status: "failed", rolledBack: false });
  });
});

describe("ExecutionRunner: the holder of the request, just before COMMIT", () => {
  it("beforeCommit answering false (the lease is gone) rolls back; COMMIT is never sent", async () => {
    const calls: string[] = [];
    const outcome = await runnerFor({}, calls).execute(
      options({ beforeCommit: () => Promise.resolve(false) }),
    );
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_ABORTED", message: expect.stringContaining("lease lost") },
    });
    expect(calls).not.toContain("commit");
    expect(calls.at(-1)).toBe("rollbackAfterError");
  });

  it("beforeCommit throwing (the store is unreachable) rolls back too: fail closed", async () => {
    const calls: string[] = [];
    const outcome = await runnerFor({}, calls).execute(
      options({ beforeCommit: () => Promise.reject(new Error("store down")) }),
    );
    expect(outcome).toMatchObject({ status: "failed", rolledBack: true });
    expect(calls).not.toContain("commit");
  });

  it("beforeCommit answering true commits", async () => {
    const calls: string[] = [];
    const outcome = await runnerFor({}, calls).execute(
      options({ beforeCommit: () => Promise.resolve(true) }),
    );
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(calls.at(-1)).toBe("commit");
  });

  it("the session's identity is told before anything runs; if that fails, nothing runs", async () => {
    const calls: string[] = [];
    const dialect: Dialect<string> = {
      readOnlyByRowCount: false,
      prepare: () => ({ ok: true, units: ["UPDATE t"] }),
      open: () => ({
        ...fakeSession({}, calls),
        identity: () => Promise.resolve({ backendPid: 42, backendStart: "1" }),
      }),
    };
    const told: number[] = [];
    const runner = new ExecutionRunner(dialect, (text) => text);
    await runner.execute(
      options({ onSession: (identity) => Promise.resolve(void told.push(identity.backendPid)) }),
    );
    expect(told).toEqual([42]);
    calls.length = 0;
    const refused = await runner.execute(
      options({ onSession: () => Promise.reject(new Error("lease lost before it ran")) }),
    );
    expect(refused).toMatchObject({ status: "failed", rolledBack: true });
    expect(calls.filter((call) => call.startsWith("run"))).toEqual([]);
  });
});
