import type { Knex } from 'knex';

/**
 * Bulk notifications: one row per run of the Bulk Notify process (its id is the workflow id, the
 * same across continue-as-new), and its audience, resolved once when it starts, one row per
 * recipient in the order they are sent. The workflow keeps only a cursor into it, so its history
 * stays small however many recipients there are, and each recipient's outcome is kept here for
 * administrators (`livechat bulk status`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bulk_runs', (t) => {
    t.text('id').primary();
    t.text('live_chat_id').notNullable().references('live_chats.id');
    t.text('channel_id').notNullable().references('channels.id');
    t.integer('total').notNullable();
    t.text('state').notNullable().defaultTo('running');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.check(`state in ('running', 'completed', 'cancelled')`, [], 'bulk_runs_state_check');
  });
  await knex.schema.createTable('bulk_recipients', (t) => {
    t.text('bulk_id').notNullable().references('bulk_runs.id').onDelete('CASCADE');
    // 1-based, gapless: the order of sending and the cursor the workflow keeps.
    t.integer('position').notNullable();
    // `{ contactId, field? }` or `{ account }`, as Send Live Chat Message takes it.
    t.jsonb('recipient').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.uuid('message_id').references('messages.id');
    t.text('failure_type');
    t.text('failure_reason');
    t.primary(['bulk_id', 'position']);
    t.check(`status in ('pending', 'sent', 'failed', 'cancelled')`, [], 'bulk_recipients_status_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bulk_recipients');
  await knex.schema.dropTable('bulk_runs');
}
