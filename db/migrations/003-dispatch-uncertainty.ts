import type { Knex } from 'knex';

/**
 * When a dispatch attempt began whose outcome nobody recorded (its worker was killed, or the
 * provider's answer was lost on the way back). Set when an attempt takes the message's lease, cleared
 * when the provider answered "not sent"; the next attempt that finds it set asks the provider whether
 * the message arrived before sending it again, where the provider can say (Twilio can).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('dispatch_uncertain_since', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('dispatch_uncertain_since');
  });
}
