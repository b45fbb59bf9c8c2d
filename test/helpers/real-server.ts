/**
 * Tests that need a real PostgreSQL server run only when TEST_DATABASE_URL is set (CI sets
 * it; a new user's `npm test` does not). Without it they are skipped, and said so loudly,
 * so a green run on a laptop never passes for a run against the server.
 */
import { testDatabases, type TestDatabase } from "./databases.js";

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL;

function announceSkip(what: string): void {
  if (!TEST_SERVER_URL) console.warn(`TEST_DATABASE_URL is not set: ${what} are SKIPPED.`);
}

/** `describe` when the real server is there, else `describe.skip` and a warning. */
export function describeWithServer(what: string): jest.Describe {
  announceSkip(what);
  return TEST_SERVER_URL ? describe : describe.skip;
}

/**
 * `describe.each` over the store databases when the real server is there. Jest refuses
 * `.each([])`, so the skipped form carries one placeholder row that never runs.
 */
type DescribeEachStore = (name: string, body: (database: TestDatabase) => void) => void;

export function describeEachStoreWithServer(what: string): DescribeEachStore {
  announceSkip(what);
  if (TEST_SERVER_URL) return describe.each(testDatabases());
  const placeholder: TestDatabase = {
    name: "no server",
    open: () => Promise.reject(new Error("skipped: TEST_DATABASE_URL is not set")),
  };
  return describe.skip.each([placeholder]);
}
