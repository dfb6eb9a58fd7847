import type { Knex } from 'knex';

/** Whether this person has written to this bot before: bots cannot open a chat (rule 9). */
export async function isKnownTelegramChat(db: Knex, channelId: string, chatId: string): Promise<boolean> {
  const row = await db('telegram_chats').where({ channel_id: channelId, chat_id: chatId }).first('chat_id');
  return row !== undefined;
}
