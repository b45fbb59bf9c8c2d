/**
 * The set-up every handler test file shares: one embedded database per file (emptied
 * before each test), a fresh Probot harness per test, no real network, and the check that
 * every call a test expected was made.
 */
import nock from "nock";
import { openDatabase, type Database } from "../../src/store/database.js";
import { resetDatabase } from "./databases.js";
import { API, createHarness, mockInstallationToken, type Harness } from "./github.js";
import { recordCalls, type Recorder } from "./recorder.js";

export interface HandlerSuite {
  database: Database;
  harness: Harness;
  recorder: Recorder;
  /** Delivers a webhook through Probot, as GitHub would (same id = a redelivery). */
  deliver(name: string, payload: object, id?: string): Promise<void>;
  /** Delivers, then runs every job it queued. */
  deliverAndDrain(name: string, payload: object, id?: string): Promise<void>;
}

export function handlerSuite(options: { optionalToken?: boolean } = {}): HandlerSuite {
  let deliveries = 0;
  const suite = {
    async deliver(name: string, payload: object, id = `delivery-${++deliveries}`) {
      await suite.harness.probot.receive({ id, name, payload } as Parameters<
        Harness["probot"]["receive"]
      >[0]);
    },
    async deliverAndDrain(name: string, payload: object, id?: string) {
      await suite.deliver(name, payload, id);
      await suite.harness.drain();
    },
  } as HandlerSuite;

  beforeAll(async () => {
    suite.database = await openDatabase({ embeddedPath: "memory://" });
    nock.disableNetConnect();
  });
  afterAll(async () => {
    nock.enableNetConnect();
    await suite.database.close();
  });
  beforeEach(async () => {
    await resetDatabase(suite.database);
    nock.cleanAll();
    suite.harness = createHarness(suite.database);
    suite.recorder = recordCalls();
    // Optional: tests of ignored events make no call at all, not even for a token.
    if (options.optionalToken) {
      suite.recorder.watch(mockInstallationToken(nock(API), { optional: true }));
    }
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
  });
  return suite;
}
