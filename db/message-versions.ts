import type { Knex } from 'knex';

/**
 * A customer edited a message (Telegram edited_message): the stored text becomes the new one and
 * the earlier text is kept in message_versions, under the time it was replaced. Edits may come late
 * or twice: one older than the current text, or the same again, changes nothing. Undefined when no
 * inbound message on that channel has this provider id.
 */
export async function applyInboundEdit(
  db: Knex,
  edit: { channelId: string; providerMessageId: string; text: string; editedAt: Date },
): Promise<{ messageId: string; changed: boolean } | undefined> {
  return db.transaction(async (trx) => {
    const message = await trx('messages as m')
      .join('sessions as s', 's.id', 'm.session_id')
      .where({
        's.channel_id': edit.channelId,
        'm.provider_message_id': edit.providerMessageId,
        'm.direction': 'inbound',
      })
      .forUpdate('m')
      .first<{ id: string; text: string; edited_at: Date | null } | undefined>(
        'm.id',
        'm.text',
        'm.edited_at',
      );
    if (!message) return undefined;
    const newer = message.edited_at === null || message.edited_at.getTime() < edit.editedAt.getTime();
    if (!newer || message.text === edit.text) return { messageId: message.id, changed: false };
    await trx('message_versions')
      .insert({ message_id: message.id, replaced_at: edit.editedAt, text: message.text })
      .onConflict(['message_id', 'replaced_at'])
      .ignore();
    await trx('messages')
      .where({ id: message.id })
      .update({ text: edit.text, edited_at: edit.editedAt, updated_at: trx.fn.now() });
    return { messageId: message.id, changed: true };
  });
}

/** The earlier texts of a message, oldest first. */
export function messageVersions(db: Knex, messageId: string): Promise<{ text: string; replaced_at: Date }[]> {
  return db('message_versions')
    .where({ message_id: messageId })
    .orderBy('replaced_at')
    .select('text', 'replaced_at');
}
