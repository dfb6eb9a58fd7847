import type { Knex } from 'knex';

/** Whether this person has written to this bot before: bots cannot open a chat (rule 9). */
export async function isKnownTelegramChat(db: Knex, channelId: string, chatId: string): Promise<boolean> {
  const row = await db('telegram_chats').where({ channel_id: channelId, chat_id: chatId }).first('chat_id');
  return row !== undefined;
}

/** Remembers that this person wrote to this bot (rule 9), keeping their latest name. */
export async function rememberTelegramChat(
  db: Knex,
  chat: { channelId: string; chatId: string; username?: string; displayName?: string; at: Date },
): Promise<void> {
  await db('telegram_chats')
    .insert({
      channel_id: chat.channelId,
      chat_id: chat.chatId,
      username: chat.username ?? null,
      display_name: chat.displayName ?? null,
      first_seen_at: chat.at,
      last_seen_at: chat.at,
    })
    .onConflict(['channel_id', 'chat_id'])
    .merge(['username', 'display_name', 'last_seen_at']);
}
