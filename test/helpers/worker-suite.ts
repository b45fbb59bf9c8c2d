/**
 * The per-test frame most worker suites share: GitHub closed to the network (nock only), an
 * embedded store of the test's own, a scratch schema on the real target PostgreSQL, and no
 * GitHub call left unmade at the end. Call it inside the suite's describe.
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { TEST_SERVER_URL } from "./real-server.js";
import { scratchSchema, type Scratch } from "./worker.js";

export interface WorkerFrame {
  readonly database: Database;
  readonly scratch: Scratch;
}

export function workerFrame(): WorkerFrame {
  let database: Database | undefined;
  let scratch: Scratch | undefined;
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(async () => {
    nock.cleanAll();
    database = await openDatabase({ embeddedPath: "memory://" });
    scratch = await scratchSchema(TEST_SERVER_URL as string);
  });
  afterEach(async () => {
    await scratch?.drop();
    await database?.close();
    expect(nock.pendingMocks()).toEqual([]);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("workerFrame is read only inside a test");
    return value;
  };
  return {
    get database() {
      return ready(database);
    },
    get scratch() {
      return ready(scratch);
    },
  };
}
