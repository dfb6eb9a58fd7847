import type { Knex } from 'knex';

/**
 * What the operators' workspace needs of the database.
 *
 * Every new or changed message is announced on the `livechat_message` channel with its id, at the
 * commit of the transaction that wrote it (PostgreSQL delivers NOTIFY only then, so the row is visible
 * to whoever reads it on hearing). The workspace servers LISTEN to it for their live feed: a message
 * written through one server, a worker or a webhook reaches the pages of every server at once.
 *
 * `session_reads`: how far each operator has read each session, for the session list's unread counts
 * (a customer's messages after it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function livechat_notify_message() returns trigger
    language plpgsql as $$
    begin
      perform pg_notify('livechat_message', new.id::text);
      return null;
    end;
    $$`);
  await knex.raw(`
    create trigger messages_notify
    after insert or update on messages
    for each row execute function livechat_notify_message()`);
  await knex.schema.createTable('session_reads', (t) => {
    t.text('operator_id').notNullable().references('operators.id').onDelete('cascade');
    t.uuid('session_id').notNullable().references('sessions.id').onDelete('cascade');
    t.timestamp('read_at', { useTz: true }).notNullable();
    t.primary(['operator_id', 'session_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('session_reads');
  await knex.raw('drop trigger if exists messages_notify on messages');
  await knex.raw('drop function if exists livechat_notify_message()');
}
