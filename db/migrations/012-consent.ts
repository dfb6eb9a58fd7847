import type { Knex } from 'knex';

/**
 * Consent (opt-out and opt-in), per customer account and live chat:
 * - `consents`: the account's latest decision in a live chat, with when, how (`method`) and through
 *   which channel. The account is found by `account_hash`, a keyed hash (HMAC-SHA-256 with
 *   `LIVECHAT_CONSENT_KEY`) of its kind and normalised value; `account` is the value itself, set to
 *   null when the contact is erased, so the row stays as a suppression entry that nobody can read
 *   the account back from.
 * - `live_chats.consent`: the live chat's settings (`requireOptIn`, `operatorMayAnswerOptedOut`,
 *   its opt-out and opt-in keywords), from the config file.
 * - `erasures`: the audit of erasures: who erased which contact id's data and when, with counts,
 *   never the erased values.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consents', (t) => {
    t.text('live_chat_id').notNullable().references('live_chats.id').onDelete('CASCADE');
    t.text('account_hash').notNullable();
    t.text('account_kind').notNullable();
    // Null once the contact is erased: the row is then a suppression entry only.
    t.text('account');
    t.text('state').notNullable();
    // keyword, telegram-block, list-unsubscribe, mailto, config, cli.
    t.text('method').notNullable();
    // The channel it came through (null: the config file or the CLI).
    t.text('channel_id');
    // The keyword the customer wrote, as matched (upper-cased), for keyword decisions.
    t.text('keyword');
    t.timestamp('changed_at', { useTz: true }).notNullable();
    t.primary(['live_chat_id', 'account_hash']);
    t.index(['account']);
    t.check(`state in ('opted-out', 'opted-in')`, [], 'consents_state_check');
    t.check(`account_kind in ('phone', 'email', 'telegram')`, [], 'consents_account_kind_check');
  });
  await knex.schema.alterTable('live_chats', (t) => {
    t.jsonb('consent').notNullable().defaultTo('{}');
  });
  await knex.schema.createTable('erasures', (t) => {
    t.bigIncrements('id');
    // The contact id an administrator or supervisor named (an id, not a value of theirs).
    t.text('contact_id').notNullable();
    t.text('erased_by').notNullable();
    t.timestamp('erased_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('counts').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('erasures');
  await knex.schema.alterTable('live_chats', (t) => t.dropColumn('consent'));
  await knex.schema.dropTable('consents');
}
