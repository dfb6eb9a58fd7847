import type { Knex } from 'knex';

/**
 * Schema v1. Configured things (live chats, channels, operators, contacts) have text ids an
 * administrator can choose ("tech-support"); conversations (sessions, messages) get UUIDs.
 * Checks mirror the domain's unions so a bad value cannot land even if code is wrong.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('live_chats', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    // The app whose items are this live chat's customers ("To bind an account").
    t.text('bound_app').notNullable().defaultTo('contacts');
    // Administrator's template for session names; null means the built-in default.
    t.text('session_name_template');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('operators', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('email');
    t.text('status').notNullable().defaultTo('offline');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(`status in ('online', 'offline', 'busy')`, [], 'operators_status_check');
  });

  await knex.schema.createTable('live_chat_members', (t) => {
    t.text('live_chat_id').notNullable().references('live_chats.id').onDelete('CASCADE');
    t.text('operator_id').notNullable().references('operators.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.primary(['live_chat_id', 'operator_id']);
    t.index(['operator_id']);
    t.check(`role in ('operator', 'supervisor')`, [], 'live_chat_members_role_check');
  });

  await knex.schema.createTable('channels', (t) => {
    t.text('id').primary();
    t.text('live_chat_id').notNullable().references('live_chats.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('name').notNullable();
    // Non-secret settings only (sender address, bot username, Twilio sender number...).
    // Secrets live in the worker's environment, never here.
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.text('state').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['live_chat_id']);
    t.check(`state in ('active', 'disabled')`, [], 'channels_state_check');
  });

  await knex.schema.createTable('contacts', (t) => {
    t.text('id').primary();
    t.text('app').notNullable().defaultTo('contacts');
    t.text('name').notNullable();
    // Other fields of the bound app item, untyped for us.
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['app', 'name']);
  });

  // Typed contact fields: one row per value of a field of type Account ({kind, value}) or Email.
  await knex.schema.createTable('contact_fields', (t) => {
    t.bigIncrements('id');
    t.text('contact_id').notNullable().references('contacts.id').onDelete('CASCADE');
    t.text('field').notNullable();
    t.text('type').notNullable();
    t.text('kind').notNullable();
    // Normalised (E.164 phone, lower-cased email domain, Telegram chat id).
    t.text('value').notNullable();
    t.integer('position').notNullable().defaultTo(0);
    t.index(['contact_id']);
    // Inbound messages and `{ account }` recipients find the contact by account.
    t.index(['kind', 'value']);
    t.check(`type in ('account', 'email')`, [], 'contact_fields_type_check');
    t.check(`kind in ('phone', 'email', 'telegram')`, [], 'contact_fields_kind_check');
    t.check(`type <> 'email' or kind = 'email'`, [], 'contact_fields_email_kind_check');
  });

  // People who have written to a Telegram bot: a bot can only write to them (rule 9).
  await knex.schema.createTable('telegram_chats', (t) => {
    t.text('channel_id').notNullable().references('channels.id').onDelete('CASCADE');
    t.text('chat_id').notNullable();
    t.text('username');
    t.text('display_name');
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['channel_id', 'chat_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('live_chat_id').notNullable().references('live_chats.id');
    t.text('channel_id').notNullable().references('channels.id');
    t.text('contact_id').references('contacts.id');
    t.text('account_kind').notNullable();
    t.text('account').notNullable();
    t.text('state').notNullable().defaultTo('open');
    // From the channel's open-session policy when the session was opened: messengers allow one
    // open session per account, email many. The partial unique index below enforces it.
    t.boolean('exclusive').notNullable();
    t.text('assigned_operator_id').references('operators.id');
    t.text('origin').notNullable();
    t.text('started_by');
    t.text('name').notNullable();
    // An operator's request to start a session, so a retried or repeated start finds its session.
    t.text('idempotency_key').unique();
    t.timestamp('opened_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('closed_at', { useTz: true });
    t.timestamp('last_message_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // The customer's last message: WhatsApp's 24-hour window for free-form text counts from it.
    t.timestamp('last_inbound_at', { useTz: true });
    t.check(`state in ('open', 'closed')`, [], 'sessions_state_check');
    t.check(`origin in ('operator', 'process', 'customer')`, [], 'sessions_origin_check');
    t.check(`(state = 'closed') = (closed_at is not null)`, [], 'sessions_closed_at_check');
    t.index(['assigned_operator_id', 'state', 'last_message_at']);
    t.index(['live_chat_id', 'state', 'last_message_at']);
    t.index(['contact_id']);
    t.index(['channel_id', 'account']);
  });
  await knex.raw(
    `create unique index sessions_one_open_per_account on sessions (channel_id, account) where state = 'open' and exclusive`,
  );

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('session_id').notNullable().references('sessions.id');
    t.text('direction').notNullable();
    t.text('author_kind').notNullable();
    // The operator who wrote it, or the user on whose behalf a process wrote it (null: the system).
    t.text('author_id');
    // The business process that wrote it, to link to its run in Temporal UI.
    t.text('process_workflow_id');
    t.text('process_run_id');
    t.text('text').notNullable();
    t.text('subject');
    t.jsonb('files').notNullable().defaultTo('[]');
    // WhatsApp: the approved template to use outside the 24-hour window ({ contentSid, variables }).
    t.jsonb('whatsapp_template');
    t.text('status').notNullable().defaultTo('pending');
    t.text('failure_reason');
    t.text('provider_message_id');
    // One request, one message: retries, replays and repeated starts find the same row.
    t.text('idempotency_key').unique();
    // One dispatch attempt at a time: an attempt leases the message until it records the outcome,
    // so concurrent dispatches hand it to the provider once; a crashed attempt's lease runs out.
    t.timestamp('dispatch_lease_until', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.index(['session_id', 'created_at']);
    t.index(['provider_message_id']);
    t.check(`direction in ('outbound', 'inbound')`, [], 'messages_direction_check');
    t.check(`author_kind in ('operator', 'process', 'customer')`, [], 'messages_author_kind_check');
    t.check(`status in ('pending', 'sent', 'delivered', 'read', 'failed')`, [], 'messages_status_check');
    t.check(`(status = 'failed') = (failure_reason is not null)`, [], 'messages_failure_reason_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'messages',
    'sessions',
    'telegram_chats',
    'contact_fields',
    'contacts',
    'channels',
    'live_chat_members',
    'operators',
    'live_chats',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
