import type { Knex } from 'knex';

/**
 * Every new or changed message is announced on the `livechat_message` channel with its id, at the
 * commit of the transaction that wrote it (PostgreSQL delivers NOTIFY only then, so the row is visible
 * to whoever reads it on hearing). The workspace servers LISTEN to it for their live feed: a message
 * written through one server, a worker or a webhook reaches the pages of every server at once.
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
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists messages_notify on messages');
  await knex.raw('drop function if exists livechat_notify_message()');
}
