import type { Knex } from 'knex';
import { getChannel } from '../db/live-chats';
import type { ChannelRow, LiveChatRow } from '../db/rows';
import { ChannelNotFound, ChannelNotInLiveChat } from '../domain/errors';

/** The channel, which must exist and belong to the live chat. */
export async function channelOf(db: Knex, liveChat: LiveChatRow, channelId: string): Promise<ChannelRow> {
  const channel = await getChannel(db, channelId);
  if (!channel) throw new ChannelNotFound({ channelId });
  if (channel.live_chat_id !== liveChat.id)
    throw new ChannelNotInLiveChat({ channelId, liveChatId: liveChat.id });
  return channel;
}
