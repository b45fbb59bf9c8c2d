/**
 * One GitHub write budget per installation, shared by every replica and worker (DESIGN §3
 * "GitHub API budget"): a row per installation holding two token buckets, a minute's and an
 * hour's, and the pause GitHub last asked for. Each write takes a token from both in one
 * transaction that locks the row (`SELECT … FOR UPDATE`), with times from the database's
 * clock, so processes on different machines agree; PGlite and PostgreSQL run the same SQL.
 *
 * A bucket holds at most `burst` tokens and refills at (limit − burst) per window, so no
 * window of that length ever holds more than `limit` writes: with GitHub's 80 a minute and
 * 500 an hour, bursts of 10, then 70 a minute, and 420 an hour once the hour's 80 are spent.
 * A token may be reserved ahead: the write is then sent once the bucket would have had it.
 */
import type { Knex } from "knex";

export interface BucketLimit {
  /** Never more than this many writes in any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** Writes that may go at once after a quiet spell. */
  burst: number;
}

export interface WriteLimits {
  minute: BucketLimit;
  hour: BucketLimit;
}

/** GitHub's content-creating limits for an installation: 80 a minute, 500 an hour. */
export const GITHUB_WRITE_LIMITS: WriteLimits = {
  minute: { limit: 80, windowMs: 60_000, burst: 10 },
  hour: { limit: 500, windowMs: 3_600_000, burst: 80 },
};

/** Tokens per millisecond. */
const rateOf = (bucket: BucketLimit): number => (bucket.limit - bucket.burst) / bucket.windowMs;

interface BudgetRow {
  minute: number;
  hour: number;
  refilledMs: number;
  pausedMs: number | null;
  nowMs: number;
}

type RawRows = { rows?: Record<string, unknown>[] };

const numberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

export class WriteBudget {
  constructor(
    private readonly knex: Knex,
    private readonly limits: WriteLimits = GITHUB_WRITE_LIMITS,
  ) {
    for (const bucket of [limits.minute, limits.hour]) {
      if (!(bucket.burst >= 1 && bucket.burst < bucket.limit && bucket.windowMs > 0)) {
        throw new Error(`write budget: burst must be at least 1 and below the limit`);
      }
    }
  }

  /**
   * Reserves one write for `installationId`. Granted: the token is taken and `waitMs` says
   * when it may be used. Not granted (nothing taken): writes are paused, or the next token is
   * further away than `maxWaitMs`; `waitMs` says how long until one could be had.
   */
  async take(
    installationId: number,
    maxWaitMs: number,
  ): Promise<{ granted: boolean; waitMs: number }> {
    const { minute, hour } = this.limits;
    return this.knex.transaction(async (trx) => {
      const row = await this.lockedRow(trx, installationId);
      if (row.pausedMs !== null && row.pausedMs > row.nowMs) {
        return { granted: false, waitMs: Math.ceil(row.pausedMs - row.nowMs) };
      }
      const elapsed = Math.max(0, row.nowMs - row.refilledMs);
      const minuteTokens = Math.min(minute.burst, row.minute + elapsed * rateOf(minute));
      const hourTokens = Math.min(hour.burst, row.hour + elapsed * rateOf(hour));
      const waitMs = Math.ceil(
        Math.max(0, (1 - minuteTokens) / rateOf(minute), (1 - hourTokens) / rateOf(hour)),
      );
      if (waitMs > maxWaitMs) return { granted: false, waitMs };
      await trx("write_budget")
        .where({ installation_id: installationId })
        .update({
          minute_tokens: minuteTokens - 1,
          hour_tokens: hourTokens - 1,
          refilled_at: trx.raw("to_timestamp(? / 1000.0)", [row.nowMs]),
        });
      return { granted: true, waitMs };
    });
  }

  /**
   * No write of `installationId` for `forMs` (GitHub answered with a rate limit); a longer
   * pause already stored stands. The minute's burst is spent too: writes resume at the
   * steady rate rather than all at once.
   */
  async pause(installationId: number, forMs: number): Promise<void> {
    await this.knex.raw(
      `INSERT INTO write_budget (installation_id, minute_tokens, hour_tokens, refilled_at, paused_until)
       VALUES (?, 0, ?, clock_timestamp(), clock_timestamp() + ? * interval '1 millisecond')
       ON CONFLICT (installation_id) DO UPDATE SET
         paused_until = greatest(write_budget.paused_until, excluded.paused_until),
         minute_tokens = least(write_budget.minute_tokens, 0),
         refilled_at = greatest(write_budget.refilled_at, excluded.refilled_at)`,
      [installationId, this.limits.hour.burst, Math.max(0, Math.ceil(forMs))],
    );
  }

  /** The installation's row, locked until the transaction ends; created full on first use. */
  private async lockedRow(trx: Knex.Transaction, installationId: number): Promise<BudgetRow> {
    await trx.raw(
      `INSERT INTO write_budget (installation_id, minute_tokens, hour_tokens, refilled_at)
       VALUES (?, ?, ?, clock_timestamp()) ON CONFLICT (installation_id) DO NOTHING`,
      [installationId, this.limits.minute.burst, this.limits.hour.burst],
    );
    const locked = (await trx.raw(
      `SELECT minute_tokens, hour_tokens, extract(epoch from refilled_at) * 1000 AS refilled_ms,
              extract(epoch from paused_until) * 1000 AS paused_ms
       FROM write_budget WHERE installation_id = ? FOR UPDATE`,
      [installationId],
    )) as RawRows;
    // Read after the lock is held: a clock read before it could predate the holder's write.
    const clock = (await trx.raw(
      "SELECT extract(epoch from clock_timestamp()) * 1000 AS now_ms",
    )) as RawRows;
    const row = locked.rows?.[0] ?? {};
    return {
      minute: Number(row.minute_tokens),
      hour: Number(row.hour_tokens),
      refilledMs: Number(row.refilled_ms),
      pausedMs: numberOrNull(row.paused_ms),
      nowMs: Number(clock.rows?.[0]?.now_ms),
    };
  }
}
