/**
 * MssqlEngine over a FAKE mssql driver (no SQL Server on the build machine or in CI): what the
 * engine makes of the driver's answers at the end of a command. COMMIT failures, aborts during
 * and after the @@TRANCOUNT check, ROLLBACK failures and thrown non-Errors are scripted here;
 * the driver's own behaviour is not exercised.
 */
import { EventEmitter } from "node:events";
import { jest } from "@jest/globals";
import type { ExecuteOptions } from "../../src/engines/types.js";

/** How the fake driver answers; every call is logged. */
interface Script {
  log: string[];
  trancount: () => Promise<number>;
  /** CURRENT_TRANSACTION_ID() as the pinning batch and the final check read it. */
  transactionIds: { atBegin: unknown; atEnd: unknown };
  commit: () => Promise<void>;
  rollback: () => Promise<void>;
  batch: () => Promise<void>;
}

let script: Script;

function freshScript(): Script {
  return {
    log: [],
    trancount: () => Promise.resolve(1),
    transactionIds: { atBegin: "4711", atEnd: "4711" },
    commit: () => Promise.resolve(),
    rollback: () => Promise.resolve(),
    batch: () => Promise.resolve(),
  };
}

class FakePool {
  on(): this {
    return this;
  }
  connect(): Promise<void> {
    script.log.push("connect");
    return Promise.resolve();
  }
  close(): Promise<void> {
    script.log.push("close");
    return Promise.resolve();
  }
}

class FakeTransaction {
  begin(): Promise<void> {
    script.log.push("begin");
    return Promise.resolve();
  }
  commit(): Promise<void> {
    script.log.push("commit");
    return script.commit();
  }
  rollback(): Promise<void> {
    script.log.push("rollback");
    return script.rollback();
  }
}

/** A request: the pinning batch, a streamed batch of the command, or the @@TRANCOUNT query. */
class FakeRequest extends EventEmitter {
  stream = false;
  arrayRowMode = false;
  private rejectPending: ((error: unknown) => void) | undefined;

  async batch(): Promise<{ recordset: { transaction_id: unknown }[] } | undefined> {
    if (!this.stream) {
      script.log.push("pin");
      return { recordset: [{ transaction_id: script.transactionIds.atBegin }] };
    }
    script.log.push("batch");
    await script.batch();
    this.emit("rowsaffected", 1);
    this.emit("done");
    return undefined;
  }

  query(): Promise<{ recordset: { depth: number; transaction_id: unknown }[] }> {
    script.log.push("trancount");
    return new Promise((resolve, reject) => {
      this.rejectPending = reject;
      script
        .trancount()
        .then(
          (depth) =>
            resolve({ recordset: [{ depth, transaction_id: script.transactionIds.atEnd }] }),
          reject,
        );
    });
  }

  cancel(): void {
    script.log.push("cancel");
    this.rejectPending?.(Object.assign(new Error("Canceled."), { code: "ECANCEL" }));
  }
}

jest.unstable_mockModule("mssql", () => ({
  default: { ConnectionPool: FakePool, Transaction: FakeTransaction, Request: FakeRequest },
}));
const { MssqlEngine } = await import("../../src/engines/mssql.js");

const URL = "mssql://sa:Secret-Pw-1@fake.invalid:1433/db";

function execute(extra: Partial<ExecuteOptions> = {}) {
  const engine = new MssqlEngine(URL, { server: "fake.invalid" });
  return engine.execute({
    sql: "UPDATE t SET a = 1 WHERE id = 1",
    readOnly: false,
    statementTimeoutMs: 5_000,
    lockTimeoutMs: 1_000,
    keepRows: 50,
    ...extra,
  });
}

function connectionLost(): Error {
  return Object.assign(new Error("Connection lost - read ECONNRESET (Secret-Pw-1)"), {
    code: "ESOCKET",
  });
}

beforeEach(() => {
  script = freshScript();
});

describe("MssqlEngine over a fake driver: COMMIT failures", () => {
  it("commits a command within its limits", async () => {
    expect(await execute()).toMatchObject({ status: "succeeded", rolledBack: false });
    expect(script.log).toEqual([
      "connect",
      "begin",
      "pin",
      "batch",
      "trancount",
      "commit",
      "close",
    ]);
  });

  it("a connection lost during COMMIT is COMMIT_UNKNOWN (it may have committed)", async () => {
    script.commit = () => Promise.reject(connectionLost());
    const outcome = await execute();
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: false,
      error: { code: "COUNTERSIGN_COMMIT_UNKNOWN" },
    });
    expect(outcome.error?.message).toContain("ECONNRESET");
    expect(JSON.stringify(outcome)).not.toContain("Secret-Pw-1");
    expect(script.log).not.toContain("rollback");
  });

  it("a COMMIT that timed out, or a server error during COMMIT, is COMMIT_UNKNOWN", async () => {
    for (const error of [
      Object.assign(new Error("Timeout: Request failed to complete in 5000ms"), {
        code: "ETIMEOUT",
      }),
      Object.assign(new Error("The transaction log for database 'db' is full."), {
        code: "EREQUEST",
        number: 9002,
      }),
      "socket hang up",
      null,
    ]) {
      script = freshScript();
      script.commit = () => Promise.reject(error);
      expect(await execute()).toMatchObject({
        rolledBack: false,
        error: { code: "COUNTERSIGN_COMMIT_UNKNOWN" },
      });
    }
  });

  it("EABORT at COMMIT (the server rolled the transaction back first) is reported rolled back", async () => {
    script.commit = () =>
      Promise.reject(Object.assign(new Error("Transaction has been aborted."), { code: "EABORT" }));
    expect(await execute()).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "EABORT" },
    });
  });
});

describe("MssqlEngine over a fake driver: late aborts", () => {
  it("an abort during the @@TRANCOUNT check cancels it and rolls back", async () => {
    const controller = new AbortController();
    script.trancount = () => {
      controller.abort(new Error("lease lost"));
      return new Promise((resolve) => setTimeout(() => resolve(1), 50));
    };
    const outcome = await execute({ signal: controller.signal });
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_ABORTED", message: "Execution was aborted: lease lost." },
    });
    expect(script.log).toContain("cancel");
    expect(script.log).not.toContain("commit");
    expect(script.log).toContain("rollback");
  });

  it("an abort after @@TRANCOUNT answered, before COMMIT, rolls back", async () => {
    const controller = new AbortController();
    script.trancount = () => {
      const answered = Promise.resolve(1);
      void answered.then(() => controller.abort(new Error("lease lost")));
      return answered;
    };
    const outcome = await execute({ signal: controller.signal });
    expect(outcome).toMatchObject({ rolledBack: true, error: { code: "COUNTERSIGN_ABORTED" } });
    expect(script.log).not.toContain("commit");
  });
});

describe("MssqlEngine over a fake driver: ROLLBACK failures and thrown non-Errors", () => {
  it("a lost connection at the ROLLBACK of a refusal keeps the refusal, with a notice", async () => {
    script.rollback = () => Promise.reject(connectionLost());
    const outcome = await execute({ maxAffectedRows: 0 });
    expect(outcome).toMatchObject({
      status: "failed",
      rolledBack: true,
      error: { code: "COUNTERSIGN_MAX_AFFECTED_ROWS" },
    });
    expect(outcome.notices).toHaveLength(1);
    expect(outcome.notices[0]).toMatch(/^ROLLBACK failed: Connection lost .*\[redacted\]/);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a string", "socket hang up"],
  ])("a batch and a ROLLBACK rejecting with %s are described", async (_name, thrown) => {
    script.batch = () => Promise.reject(thrown);
    script.rollback = () => Promise.reject(thrown);
    const outcome = await execute();
    expect(outcome.status).toBe("failed");
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.error?.message).toEqual(expect.any(String));
    expect(script.log).not.toContain("commit");
  });
});

describe("MssqlEngine over a fake driver: a transaction ended and begun again", () => {
  it("refuses to commit when the open transaction is not the one it began (EXEC('COMMIT; BEGIN TRAN'))", async () => {
    script.transactionIds = { atBegin: "4711", atEnd: "4712" };
    const outcome = await execute({ sql: "EXEC dbo.commits_and_begins_again" });
    expect(outcome).toMatchObject({
      status: "failed",
      // What ran before the command's own COMMIT may be committed: nothing claims otherwise.
      rolledBack: false,
      error: { code: "COUNTERSIGN_TRANSACTION_ENDED" },
    });
    expect(outcome.error?.message).toMatch(/ended Countersign's transaction and began another/);
    expect(script.log).not.toContain("commit");
    expect(script.log).toContain("rollback");
  });

  it("refuses to run at all when SQL Server does not report the transaction's id", async () => {
    script.transactionIds = { atBegin: null, atEnd: null };
    const outcome = await execute();
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.message).toMatch(/did not report the transaction's id/);
    expect(script.log).not.toContain("batch");
    expect(script.log).not.toContain("commit");
  });

  it("a bigint id read as a number at one end and text at the other is the same transaction", async () => {
    script.transactionIds = { atBegin: 4711, atEnd: "4711" };
    expect(await execute()).toMatchObject({ status: "succeeded" });
    expect(script.log).toContain("commit");
  });
});
