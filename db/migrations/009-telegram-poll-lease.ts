import type { Knex } from 'knex';

/**
 * Without a public URL, Telegram updates are long-polled, and Telegram allows one poller per bot:
 * every server replica competes for this lease, and only its holder polls. A holder that dies stops
 * renewing it; another takes it over once it expires.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('telegram_poll_leases', (t) => {
    // The bot's numeric id (the part of the token before the colon: not secret).
    t.text('bot_id').primary();
    // Who polls: host, process id and a random part, for people reading the table.
    t.text('holder').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('telegram_poll_leases');
}
