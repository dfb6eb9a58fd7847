import type { Knex } from 'knex';

/**
 * Files sent with messages, stored once: `attachments` is content-addressed (the SHA-256 of the
 * bytes is the key, so the same file sent in many messages is one row), and `message_attachments`
 * links a message to its files in order, each with the name and media type it was sent under.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attachments', (t) => {
    // Lower-case hex of the SHA-256 of `content`.
    t.text('sha256').primary();
    t.bigInteger('size').notNullable();
    t.binary('content').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(`sha256 ~ '^[0-9a-f]{64}$'`, [], 'attachments_sha256_check');
    t.check(`size = octet_length(content)`, [], 'attachments_size_check');
  });
  await knex.schema.createTable('message_attachments', (t) => {
    t.uuid('message_id').notNullable().references('messages.id').onDelete('CASCADE');
    t.smallint('position').notNullable();
    t.text('attachment_sha256').notNullable().references('attachments.sha256');
    t.text('filename').notNullable();
    t.text('content_type').notNullable();
    t.primary(['message_id', 'position']);
    t.index(['attachment_sha256']);
    t.check(`position >= 0`, [], 'message_attachments_position_check');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('message_attachments');
  await knex.schema.dropTable('attachments');
}
