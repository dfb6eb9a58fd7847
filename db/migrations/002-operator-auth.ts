import type { Knex } from 'knex';

/**
 * Operators sign in to the workspace: a password hash per operator (scrypt, salted; null means the
 * operator cannot sign in yet) and their sign-in sessions. Only the SHA-256 of a session token is
 * stored, so a leaked table signs nobody in. An index on `messages.updated_at` serves the
 * workspace's live feed, which asks for messages changed since its last look.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operators', (t) => {
    t.text('password_hash');
  });
  await knex.schema.createTable('operator_sessions', (t) => {
    t.text('token_hash').primary();
    t.text('operator_id').notNullable().references('operators.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['operator_id']);
    t.index(['expires_at']);
  });
  await knex.schema.alterTable('messages', (t) => {
    t.index(['updated_at'], 'messages_updated_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropIndex(['updated_at'], 'messages_updated_at_index');
  });
  await knex.schema.dropTableIfExists('operator_sessions');
  await knex.schema.alterTable('operators', (t) => {
    t.dropColumn('password_hash');
  });
}
