import type { Knex } from 'knex';
import type { ChannelRow, LiveChatRow, MemberRow, OperatorRow } from './rows';

export function getLiveChat(db: Knex, id: string): Promise<LiveChatRow | undefined> {
  return db<LiveChatRow>('live_chats').where({ id }).first();
}

export function getChannel(db: Knex, id: string): Promise<ChannelRow | undefined> {
  return db<ChannelRow>('channels').where({ id }).first();
}

export function getOperator(db: Knex, id: string): Promise<OperatorRow | undefined> {
  return db<OperatorRow>('operators').where({ id }).first();
}

export function getMembership(
  db: Knex,
  liveChatId: string,
  operatorId: string,
): Promise<MemberRow | undefined> {
  return db<MemberRow>('live_chat_members')
    .where({ live_chat_id: liveChatId, operator_id: operatorId })
    .first();
}
