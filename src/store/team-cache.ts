/**
 * Team members cached in the app's database, so every replica shares one copy and one
 * `membership` webhook invalidates it everywhere. Entries also expire after a TTL, because
 * a missed webhook must not keep a departed member approving forever.
 */
import type { Knex } from "knex";

export const TEAM_CACHE_TTL_MS = 10 * 60_000;

export class TeamCache {
  constructor(
    private readonly knex: Knex,
    private readonly ttlMs = TEAM_CACHE_TTL_MS,
  ) {}

  /** Lowercased logins of `teamKey` (`org/slug`), or null when unknown or stale. */
  async get(teamKey: string, now = new Date()): Promise<string[] | null> {
    const row = (await this.knex("team_cache")
      .where({ team_key: teamKey.toLowerCase() })
      .first()) as { members: string; fetched_at: Date | string } | undefined;
    if (row === undefined) return null;
    const fetchedAt = new Date(row.fetched_at).getTime();
    if (now.getTime() - fetchedAt > this.ttlMs) return null;
    return JSON.parse(row.members) as string[];
  }

  async put(teamKey: string, members: string[]): Promise<void> {
    await this.knex("team_cache")
      .insert({
        team_key: teamKey.toLowerCase(),
        members: JSON.stringify(members.map((login) => login.toLowerCase())),
        fetched_at: new Date(),
      })
      .onConflict("team_key")
      .merge();
  }

  async invalidate(teamKey: string): Promise<void> {
    await this.knex("team_cache").where({ team_key: teamKey.toLowerCase() }).delete();
  }
}
