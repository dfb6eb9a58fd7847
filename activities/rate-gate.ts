import type { Knex } from 'knex';
import { takeTokens } from '../db/rate-buckets';
import type { ChannelKind } from '../domain/types';

/** Waits until the channel kind's rate allows one more message to go to its provider. */
export type DispatchGate = (kind: ChannelKind) => Promise<void>;

/** No limit: every message goes at once. */
export const openGate: DispatchGate = async () => undefined;

/**
 * One token per message from a bucket per channel kind in PostgreSQL, shared by every worker and
 * every page, so the rate holds across them. A worker takes a few tokens at a time (a twentieth of
 * a second's worth), so it asks the database about 20 times a second at most, not once a message;
 * tokens it took and has not used within that twentieth of a second are dropped, never saved up.
 */
export function sharedRateGate(
  db: Knex,
  perSecond: Partial<Record<ChannelKind, number>>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): (scope: string) => DispatchGate {
  const buckets = new Map<string, LocalShare>();
  /** `scope`: whose rate it is (the dispatch task queue): deployments sharing a database keep their own. */
  return (scope) => async (kind) => {
    const rate = perSecond[kind];
    if (rate === undefined || rate <= 0) return;
    const key = `${scope}:${kind}`;
    let share = buckets.get(key);
    if (!share) {
      share = new LocalShare(db, key, rate, sleep);
      buckets.set(key, share);
    }
    await share.take();
  };
}

class LocalShare {
  private tokens = 0;
  private validUntil = 0;
  private refilling: Promise<void> | undefined;
  private readonly chunk: number;

  constructor(
    private readonly db: Knex,
    private readonly key: string,
    private readonly rate: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.chunk = Math.max(1, Math.floor(rate / 20));
  }

  async take(): Promise<void> {
    for (;;) {
      if (this.tokens > 0 && Date.now() < this.validUntil) {
        this.tokens--;
        return;
      }
      this.refilling ??= this.refill().finally(() => (this.refilling = undefined));
      await this.refilling;
    }
  }

  private async refill(): Promise<void> {
    const grant = await takeTokens(this.db, this.key, this.rate, this.chunk, this.chunk);
    if (grant.granted > 0) {
      this.tokens = grant.granted;
      this.validUntil = Date.now() + Math.max(50, (grant.granted / this.rate) * 1_000);
      return;
    }
    await this.sleep(Math.max(5, grant.retryInMs));
  }
}
