/**
 * What the redelivery reconciler keeps in the app's database: a leader lease (one replica
 * reconciles at a time), its cursor, and the deliveries it has already asked GitHub to
 * redeliver (each at most once).
 */
import type { Knex } from "knex";

export class ReconcilerState {
  constructor(private readonly knex: Knex) {}

  /**
   * Takes or renews the lease `name` for `holder`; true when `holder` holds it now. One
   * compare-and-set: the row is inserted, or updated only when expired or already ours.
   */
  async lead(name: string, holder: string, leaseMs: number): Promise<boolean> {
    const expires = this.knex.raw("now() + ? * interval '1 millisecond'", [leaseMs]);
    const result = await this.knex.raw(
      `INSERT INTO leader_leases (name, holder, expires_at) VALUES (?, ?, ${expires.toQuery()})
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leader_leases.holder = excluded.holder OR leader_leases.expires_at < now()
       RETURNING holder`,
      [name, holder],
    );
    const rows = (result as { rows?: { holder: string }[] }).rows ?? [];
    return rows.length === 1 && rows[0]?.holder === holder;
  }

  async cursor(name: string): Promise<string | null> {
    const row = (await this.knex("leader_leases").where({ name }).first("cursor")) as
      { cursor: string | null } | undefined;
    return row?.cursor ?? null;
  }

  async setCursor(name: string, holder: string, cursor: string): Promise<void> {
    await this.knex("leader_leases").where({ name, holder }).update({ cursor });
  }

  async forgetRedelivery(guid: string): Promise<void> {
    await this.knex("webhook_redeliveries").where({ guid }).delete();
  }

  /** Records the request to redeliver `guid`; false when it was asked for before. */
  async claimRedelivery(guid: string, deliveryId: number, event: string): Promise<boolean> {
    const inserted = (await this.knex("webhook_redeliveries")
      .insert({ guid, delivery_id: deliveryId, event })
      .onConflict("guid")
      .ignore()
      .returning("guid")) as unknown[];
    return inserted.length === 1;
  }
}
