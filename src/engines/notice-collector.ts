/**
 * Server notices (PostgreSQL NOTICE/WARNING, SQL Server PRINT and info messages), kept for the
 * result comment: bounded, and scrubbed of credentials as they arrive.
 */

/** At most this many notices are kept; a RAISE NOTICE in a loop must not fill the memory. */
export const MAX_NOTICES = 1_000;

/** Bounded notice list; messages are passed through `redact` before they are kept. */
export class NoticeCollector {
  private readonly list: string[] = [];
  private dropped = 0;

  constructor(private readonly redact: (text: string) => string) {}

  add(message: string): void {
    if (this.list.length < MAX_NOTICES) this.list.push(this.redact(message));
    else this.dropped += 1;
  }

  get notices(): string[] {
    return this.dropped === 0
      ? [...this.list]
      : [...this.list, `… ${this.dropped} more notice(s) not kept (limit ${MAX_NOTICES})`];
  }
}
