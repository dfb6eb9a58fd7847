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
    .merge({
      username: db.raw('excluded.username'),
      display_name: db.raw('excluded.display_name'),
      last_seen_at: db.raw('greatest(telegram_chats.last_seen_at, excluded.last_seen_at)'),
      // Writing to the bot again is unblocking it; a message older than the block is not.
      blocked_at: db.raw(
        'case when telegram_chats.blocked_at <= excluded.last_seen_at then null else telegram_chats.blocked_at end',
      ),
    });
}

/** Where this chat stands with the bot: never wrote (rule 9), wrote, or blocked the bot since. */
export async function telegramChatState(
  db: Knex,
  channelId: string,
  chatId: string,
): Promise<'unknown' | 'known' | 'blocked'> {
  const row = await db('telegram_chats')
    .where({ channel_id: channelId, chat_id: chatId })
    .first<{ blocked_at: Date | null } | undefined>('blocked_at');
  if (!row) return 'unknown';
  return row.blocked_at ? 'blocked' : 'known';
}

/**
 * my_chat_member: the person blocked the bot (`blocked`) or unblocked it / started it again. A block
 * is kept only for a chat we know and only when it is not older than their last message; an unblock
 * remembers the chat (they opened it: the bot may write), unless a newer block is recorded.
 */
export async function setTelegramChatBlocked(
  db: Knex,
  change: {
    channelId: string;
    chatId: string;
    blocked: boolean;
    at: Date;
    username?: string;
    displayName?: string;
  },
): Promise<void> {
  if (change.blocked) {
    await db('telegram_chats')
      .where({ channel_id: change.channelId, chat_id: change.chatId })
      .andWhere('last_seen_at', '<=', change.at)
      .update({ blocked_at: change.at });
    return;
  }
  await rememberTelegramChat(db, { ...change, at: change.at });
}
