import type { Knex } from 'knex';
import { migrateLatest } from '../db/knex';
import { migrationSource } from '../db/migrations';

/**
 * The database has not been migrated to this version's schema (a fresh database, or one an older
 * version set up): `livechat migrate` sets it up. A refusal (the CLI exits 2), never raw SQL.
 */
export class DatabaseNotMigrated extends Error {
  override readonly name = 'DatabaseNotMigrated';
  readonly details: { pending: string[] };

  constructor(pending: string[]) {
    const which = pending.length > 0 ? ` (${pending.join(', ')})` : '';
    super(
      `The database is not set up for this version: migrations not applied${which}. ` +
        'Run `livechat migrate` first.',
    );
    this.details = { pending };
  }
}

export interface MigrationStatus {
  /** Migrations applied to the database, in the order they ran. */
  applied: string[];
  /** Migrations of this version not applied yet, in the order they will run. */
  pending: string[];
}

/** Which migrations a database has; reads only (a fresh database is left as it is). */
export async function migrationStatus(db: Knex): Promise<MigrationStatus> {
  const known = await migrationSource.getMigrations([]);
  const exists = await db.schema.hasTable('knex_migrations');
  const applied = exists
    ? (await db('knex_migrations').orderBy('id').select<{ name: string }[]>('name')).map((row) => row.name)
    : [];
  const done = new Set(applied);
  return { applied, pending: known.filter((name) => !done.has(name)) };
}

/** Applies every pending migration (in one transaction each, as knex does); returns what ran. */
export async function migrate(db: Knex): Promise<MigrationStatus & { ran: string[] }> {
  const before = await migrationStatus(db);
  await migrateLatest(db);
  const after = await migrationStatus(db);
  return { ...after, ran: before.pending.filter((name) => after.applied.includes(name)) };
}

/** Refuses with `DatabaseNotMigrated` unless every migration of this version is applied. */
export async function assertMigrated(db: Knex): Promise<void> {
  const { pending } = await migrationStatus(db);
  if (pending.length > 0) throw new DatabaseNotMigrated(pending);
}
