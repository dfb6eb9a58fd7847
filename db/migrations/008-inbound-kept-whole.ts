import type { Knex } from 'knex';

/**
 * What customers send on WhatsApp and Telegram, kept whole:
 * - `inbound_files`: the files a customer's message carries, as the provider named them (a Twilio
 *   MediaUrl, a Telegram file_id), recorded with the message in its transaction and fetched after it;
 *   once fetched, the bytes go to `attachments` like outbound files, and the row says so. A fetch
 *   that failed stays `pending` (retried) until it gives up (`failed`, with the reason operators see).
 * - `message_versions`: the earlier texts of a message the customer edited (Telegram edited_message);
 *   `messages.edited_at` is when the current text was written.
 * - `messages.inbound_kind`: what an inbound message is when it is not written text (`button`: a
 *   Telegram inline-keyboard press, its data as the text).
 * - `messages.provider_status_message`, `messages.provider_error_code`: what the provider last said
 *   about an outbound message (Twilio's ChannelStatusMessage and ErrorCode).
 * - `telegram_chats.blocked_at`: the person blocked the bot (my_chat_member `kicked`); cleared when
 *   they write again or unblock it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbound_files', (t) => {
    t.uuid('message_id').notNullable().references('messages.id').onDelete('CASCADE');
    t.smallint('position').notNullable();
    // The provider's reference: a URL (Twilio) or a file id (Telegram).
    t.text('source').notNullable();
    t.text('content_type');
    t.text('filename');
    t.bigInteger('declared_size');
    t.text('state').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('failure_reason');
    t.timestamp('stored_at', { useTz: true });
    t.primary(['message_id', 'position']);
    t.check(`state in ('pending', 'stored', 'failed')`, [], 'inbound_files_state_check');
    t.check(`position >= 0`, [], 'inbound_files_position_check');
  });
  await knex.raw(`create index inbound_files_due on inbound_files (next_attempt_at) where state = 'pending'`);

  await knex.schema.createTable('message_versions', (t) => {
    t.uuid('message_id').notNullable().references('messages.id').onDelete('CASCADE');
    // When this text stopped being the current one (the edit's own time, as the provider gave it).
    t.timestamp('replaced_at', { useTz: true }).notNullable();
    t.text('text').notNullable();
    t.primary(['message_id', 'replaced_at']);
  });

  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('edited_at', { useTz: true });
    t.text('inbound_kind');
    t.text('provider_status_message');
    t.text('provider_error_code');
  });
  await knex.schema.alterTable('telegram_chats', (t) => {
    t.timestamp('blocked_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('telegram_chats', (t) => t.dropColumn('blocked_at'));
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('edited_at');
    t.dropColumn('inbound_kind');
    t.dropColumn('provider_status_message');
    t.dropColumn('provider_error_code');
  });
  await knex.schema.dropTable('message_versions');
  await knex.schema.dropTable('inbound_files');
}
