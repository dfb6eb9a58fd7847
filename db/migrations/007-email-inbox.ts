import type { Knex } from 'knex';

/**
 * Inbound mail kept whole, and the IMAP reader's place in each mailbox.
 *
 * `messages.full_text`: the whole text of a customer's mail when `text` holds only the new part of
 * a reply (its quoted history set apart); null when the text is the whole message.
 *
 * `email_mailboxes`: one row per email channel read over IMAP. `uid_validity` and `last_uid` say
 * how far the mailbox was read (RFC 9051: a UID means the same mail only under the same
 * UIDVALIDITY), so a restart or a reconnect reads on from there. `lease_owner` / `lease_until`
 * let one reader at a time hold the mailbox across all workers (as the dispatch lease does for a
 * message). `connected`, `last_poll_at` and `last_error` are the holder's last report, for health
 * checks in other processes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.text('full_text').nullable();
  });
  await knex.schema.createTable('email_mailboxes', (t) => {
    t.text('channel_id').primary().references('channels.id').onDelete('CASCADE');
    t.text('mailbox').notNullable();
    t.bigInteger('uid_validity').nullable();
    t.bigInteger('last_uid').notNullable().defaultTo(0);
    t.text('lease_owner').nullable();
    t.timestamp('lease_until', { useTz: true }).nullable();
    t.boolean('connected').notNullable().defaultTo(false);
    t.timestamp('last_poll_at', { useTz: true }).nullable();
    t.text('last_error').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(`last_uid >= 0`, [], 'email_mailboxes_last_uid_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_mailboxes');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('full_text');
  });
}
