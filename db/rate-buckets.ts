import type { Knex } from 'knex';

export interface TokenGrant {
  /** Tokens taken now, 0 to `want`. */
  granted: number;
  /** When fewer than wanted were granted: how long until the next token (ms). */
  retryInMs: number;
}

/**
 * Takes up to `want` tokens from the bucket `key`, which refills at `perSecond` up to `burst`, in
 * one statement. The row lock serialises the workers that share it; the database's clock is the
 * only clock, so workers' clocks need not agree.
 */
export async function takeTokens(
  db: Knex,
  key: string,
  perSecond: number,
  burst: number,
  want: number,
): Promise<TokenGrant> {
  await db.raw(
    `insert into dispatch_rate_buckets (key, tokens, refilled_at) values (?, 0, clock_timestamp())
     on conflict (key) do nothing`,
    [key],
  );
  const result = await db.raw<{ rows: { granted: number; left: number }[] }>(
    `with b as (
       select key, least(:burst::float8,
                         tokens + greatest(0, extract(epoch from clock_timestamp() - refilled_at)) * :rate::float8)
              as available
         from dispatch_rate_buckets where key = :key for update),
     g as (select key, available, least(:want::float8, floor(available)) as granted from b)
     update dispatch_rate_buckets t
        set tokens = g.available - g.granted, refilled_at = clock_timestamp()
       from g where t.key = g.key
     returning g.granted::int as granted, (g.available - g.granted)::float8 as left`,
    { key, rate: perSecond, burst, want },
  );
  const row = result.rows[0];
  if (!row) throw new Error(`rate bucket ${key} vanished`);
  const granted = Number(row.granted);
  return {
    granted,
    retryInMs: granted >= want ? 0 : Math.ceil(((1 - Number(row.left)) / perSecond) * 1_000),
  };
}
