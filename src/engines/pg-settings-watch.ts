/**
 * The PostgreSQL engine's use of pg-settings.ts on a connection: the pin at the start of the
 * transaction, and the check after every statement that nothing pinned or guarded changed.
 */
import type pg from "pg";
import { CommandStopped } from "./dialect-hooks.js";
import {
  PIN_SQL,
  WATCH_SQL,
  changedSettings,
  pinParameters,
  pinProblem,
  pinnedSettings,
  watchedNames,
} from "./pg-settings.js";
import type { PinOptions, SettingValue } from "./pg-settings.js";

/** What every statement is checked against. */
export interface SettingsWatch {
  names: string[];
  baseline: SettingValue[];
}

/**
 * Pins the settings (pg-settings.ts) at the start of the transaction and reads the baseline
 * that every statement is checked against afterwards.
 */
export async function pinSettings(client: pg.Client, options: PinOptions): Promise<SettingsWatch> {
  const settings = pinnedSettings(options);
  const pinned = await client.query<SettingValue>(PIN_SQL, pinParameters(settings));
  const problem = pinProblem(settings, pinned.rows);
  if (problem !== null) throw new Error(`Countersign ${problem} for the execution.`);
  const names = watchedNames(settings);
  const baseline = await client.query<SettingValue>(WATCH_SQL, [names]);
  return { names, baseline: baseline.rows };
}

/**
 * Catches what the splitter cannot see in the tree: a DO block or a function that calls
 * set_config or runs SET through EXECUTE. Throws CommandStopped when a setting changed.
 */
export async function checkPinnedSettings(
  client: pg.Client,
  watch: SettingsWatch,
  statementIndex: number,
): Promise<void> {
  const now = await client.query<SettingValue>(WATCH_SQL, [watch.names]);
  const changed = changedSettings(watch.baseline, now.rows);
  if (changed.length === 0) return;
  throw new CommandStopped(
    `Statement ${statementIndex + 1} changed ${changed.join(", ")}, which Countersign pins for the ` +
      "execution so that the database reads the command as the guardrails and the reviewers did. " +
      "The command was stopped before its next statement and rolled back.",
    "COUNTERSIGN_SETTING_CHANGED",
  );
}
