import pg from "pg";
import {
  CONNECTION_CHECK_MS,
  GUARDED_SETTINGS,
  IDLE_IN_TRANSACTION_MS,
  PIN_SQL,
  WATCH_SQL,
  changedSettings,
  pinParameters,
  pinProblem,
  pinnedSettings,
  watchedNames,
  type PinnedSetting,
  type SettingValue,
} from "../../src/engines/pg-settings.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";

const base = { statementTimeoutMs: 12_000, lockTimeoutMs: 3_000 };

describe("pinnedSettings (no server)", () => {
  it("pins how text is read and how the transaction is bounded, read-only only when asked", () => {
    const readWrite = pinnedSettings({ ...base, readOnly: false });
    expect(Object.fromEntries(readWrite.map((s) => [s.name, s.value]))).toEqual({
      standard_conforming_strings: "on",
      backslash_quote: "safe_encoding",
      escape_string_warning: "on",
      client_encoding: "UTF8",
      statement_timeout: "12000",
      lock_timeout: "3000",
      idle_in_transaction_session_timeout: String(IDLE_IN_TRANSACTION_MS),
      client_connection_check_interval: String(CONNECTION_CHECK_MS),
    });
    const readOnly = pinnedSettings({ ...base, readOnly: true });
    expect(readOnly.find((s) => s.name === "transaction_read_only")?.value).toBe("on");
  });

  it("marks what older servers lack, so the engine still runs on PostgreSQL 13", () => {
    const since = Object.fromEntries(
      pinnedSettings({ ...base, readOnly: true }).map((s) => [s.name, s.since]),
    );
    expect(since.client_connection_check_interval).toBe(140_000);
    expect(since.idle_in_transaction_session_timeout).toBe(90_600);
    for (const [name, version] of Object.entries(since)) {
      if (name !== "client_connection_check_interval") expect(version).toBeLessThanOrEqual(130_000);
    }
  });

  it("guards every pinned name and the identity and lookup settings", () => {
    for (const s of pinnedSettings({ ...base, readOnly: true }))
      expect(GUARDED_SETTINGS.has(s.name)).toBe(true);
    for (const name of ["role", "session_authorization", "search_path", "session_replication_role"])
      expect(GUARDED_SETTINGS.has(name)).toBe(true);
    expect(GUARDED_SETTINGS.has("work_mem")).toBe(false);
  });

  it("watches the pinned names plus those that may never change", () => {
    const names = watchedNames(pinnedSettings({ ...base, readOnly: false }));
    expect(names).toEqual(
      expect.arrayContaining(["standard_conforming_strings", "role", "search_path"]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it("reports changed, missing and unchanged settings", () => {
    const baseline: SettingValue[] = [
      { name: "standard_conforming_strings", value: "on" },
      { name: "client_connection_check_interval", value: null },
      { name: "role", value: "none" },
    ];
    expect(changedSettings(baseline, baseline)).toEqual([]);
    expect(
      changedSettings(baseline, [
        { name: "standard_conforming_strings", value: "off" },
        { name: "client_connection_check_interval", value: null },
      ]),
    ).toEqual(["standard_conforming_strings", "role"]);
  });

  it("notices a pin that did not take", () => {
    const settings: PinnedSetting[] = [
      { name: "standard_conforming_strings", value: "on", since: 0 },
      { name: "client_connection_check_interval", value: "5000", since: 140_000 },
    ];
    expect(pinProblem(settings, [{ name: "standard_conforming_strings", value: "on" }])).toBeNull();
    expect(pinProblem(settings, [])).toContain("standard_conforming_strings");
  });
});

describeWithServer("the pin query against a real server")(
  "PIN_SQL / WATCH_SQL (real PostgreSQL at TEST_DATABASE_URL)",
  () => {
    let client: pg.Client;

    beforeAll(async () => {
      client = new pg.Client({ connectionString: TEST_SERVER_URL ?? "" });
      await client.connect();
    });

    afterAll(async () => {
      await client.end();
    });

    it("skips a setting the server is too old for, as PostgreSQL 13 skips client_connection_check_interval", async () => {
      await client.query("BEGIN");
      try {
        const settings: PinnedSetting[] = [
          { name: "lock_timeout", value: "4321", since: 0 },
          // A version no server has: stands in for a setting a PostgreSQL 13 server lacks.
          { name: "nonexistent.future_setting", value: "x", since: 9_999_999 },
        ];
        const pinned = await client.query<SettingValue>(PIN_SQL, pinParameters(settings));
        expect(pinned.rows).toEqual([{ name: "lock_timeout", value: "4321ms" }]);
        const watched = await client.query<SettingValue>(WATCH_SQL, [
          ["lock_timeout", "nonexistent.future_setting"],
        ]);
        expect(watched.rows).toEqual([
          { name: "lock_timeout", value: "4321ms" },
          { name: "nonexistent.future_setting", value: null },
        ]);
      } finally {
        await client.query("ROLLBACK");
      }
      // SET LOCAL semantics: nothing outlives the transaction.
      const after = await client.query<{ v: string }>(
        "SELECT current_setting('lock_timeout') AS v",
      );
      expect(after.rows[0]?.v).toBe("0");
    });
  },
);
