import knex, { type Knex } from 'knex';
import { migrationSource } from './migrations';

export type Db = Knex;

export interface DbOptions {
  /** Connections in the pool. The embedded PGlite serves one session, so it uses 1. */
  poolMax?: number;
  /** Where knex's own warnings go (default: stdout); a tool printing JSON sends them elsewhere. */
  log?: Knex.Config['log'];
}

export function createDb(url: string, options: DbOptions = {}): Db {
  return knex({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: options.poolMax ?? 10 },
    ...(options.log ? { log: options.log } : {}),
  });
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}
