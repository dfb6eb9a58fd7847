import type { Knex } from 'knex';

/**
 * Scheduled sends and quiet hours: a process message may wait until a time (`scheduled_for`), given
 * or set by the live chat's quiet hours in the contact's time zone; operators see it as scheduled
 * until it goes, and one cancelled before then ends as `cancelled`, never sent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('live_chats', (t) => {
    // { start: 'HH:mm', end: 'HH:mm' } in the customer's local time; null: none.
    t.jsonb('quiet_hours');
    // The time zone of customers whose contact names none (IANA, e.g. Europe/Berlin).
    t.text('time_zone').notNullable().defaultTo('UTC');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.text('time_zone');
  });
  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('scheduled_for', { useTz: true });
  });
  await knex.raw('alter table messages drop constraint messages_status_check');
  await knex.raw(
    `alter table messages add constraint messages_status_check
       check (status in ('pending', 'sent', 'delivered', 'read', 'failed', 'cancelled'))`,
  );
  // A bulk recipient in their quiet hours: recorded, held until they end.
  await knex.raw('alter table bulk_recipients drop constraint bulk_recipients_status_check');
  await knex.raw(
    `alter table bulk_recipients add constraint bulk_recipients_status_check
       check (status in ('pending', 'sent', 'failed', 'scheduled', 'cancelled'))`,
  );
  // The held pass looks them up while the run waits for their quiet hours to end.
  await knex.raw(`create index bulk_recipients_held on bulk_recipients (bulk_id) where status = 'scheduled'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index bulk_recipients_held');
  await knex.raw('alter table bulk_recipients drop constraint bulk_recipients_status_check');
  await knex.raw(
    `alter table bulk_recipients add constraint bulk_recipients_status_check
       check (status in ('pending', 'sent', 'failed', 'cancelled'))`,
  );
  await knex.raw('alter table messages drop constraint messages_status_check');
  await knex.raw(
    `alter table messages add constraint messages_status_check
       check (status in ('pending', 'sent', 'delivered', 'read', 'failed'))`,
  );
  await knex.schema.alterTable('messages', (t) => t.dropColumn('scheduled_for'));
  await knex.schema.alterTable('contacts', (t) => t.dropColumn('time_zone'));
  await knex.schema.alterTable('live_chats', (t) => {
    t.dropColumn('quiet_hours');
    t.dropColumn('time_zone');
  });
}
