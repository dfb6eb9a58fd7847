import type { Knex } from 'knex';

/**
 * A token bucket per channel kind, shared by every worker: a bulk's page takes a token for each
 * message it hands to the provider, so the channel's rate holds however many pages and workers run.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dispatch_rate_buckets', (t) => {
    t.text('key').primary();
    t.double('tokens').notNullable();
    t.timestamp('refilled_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dispatch_rate_buckets');
}
