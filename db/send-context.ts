import type { Knex } from 'knex';
import type { MemberRole } from '../domain/types';
import type { ChannelRow, ContactFieldRow, ContactRow, LiveChatRow, SessionRow } from './rows';

/** What a process message's rules are checked against, read in one round trip. */
export interface SendContext {
  /** The message an earlier request with the same idempotency key made. */
  existing: { id: string; session_id: string } | null;
  liveChat: Pick<
    LiveChatRow,
    'id' | 'name' | 'bound_app' | 'session_name_template' | 'quiet_hours' | 'time_zone' | 'consent'
  > | null;
  /** The given session (when sending into one). */
  session: Pick<
    SessionRow,
    'id' | 'live_chat_id' | 'channel_id' | 'state' | 'contact_id' | 'account_kind' | 'account'
  > | null;
  /** The given channel, or the session's. */
  channel: Pick<ChannelRow, 'id' | 'live_chat_id' | 'kind' | 'name' | 'settings'> | null;
  /** The process author's role in the live chat, when a user authors it. */
  authorRole: MemberRole | null;
  contact: Pick<ContactRow, 'id' | 'app' | 'name'> | null;
  fields: Pick<ContactFieldRow, 'field' | 'type' | 'kind' | 'value'>[];
  /** The contact's Telegram chat ids that have written to the channel's bot (rule 9). */
  knownTelegramChats: string[];
  /** Those of them that blocked the bot since (and when). */
  blockedTelegramChats: { chatId: string; blockedAt: string }[];
}

export interface SendContextQuery {
  idempotencyKey: string;
  liveChatId: string;
  channelId?: string;
  sessionId?: string;
  contactId?: string;
  authorId?: string;
}

/**
 * Everything prepareMessage needs to decide, in a single query of independent sub-selects: on the
 * hot path of every process message, round trips to PostgreSQL are most of the cost.
 */
export async function loadSendContext(db: Knex, q: SendContextQuery): Promise<SendContext> {
  const channelOf = `coalesce(:channelId::text, (select channel_id from sessions where id = :sessionId::uuid))`;
  const result = await db.raw<{ rows: SendContext[] }>(
    `select
      (select jsonb_build_object('id', m.id, 'session_id', m.session_id)
         from messages m where m.idempotency_key = :idempotencyKey) as existing,
      (select jsonb_build_object('id', l.id, 'name', l.name, 'bound_app', l.bound_app,
              'session_name_template', l.session_name_template, 'quiet_hours', l.quiet_hours,
              'time_zone', l.time_zone, 'consent', l.consent)
         from live_chats l where l.id = :liveChatId) as "liveChat",
      (select jsonb_build_object('id', s.id, 'live_chat_id', s.live_chat_id, 'channel_id', s.channel_id, 'state', s.state,
              'contact_id', s.contact_id, 'account_kind', s.account_kind, 'account', s.account)
         from sessions s where s.id = :sessionId::uuid) as session,
      (select jsonb_build_object('id', c.id, 'live_chat_id', c.live_chat_id, 'kind', c.kind, 'name', c.name,
              'settings', c.settings)
         from channels c where c.id = ${channelOf}) as channel,
      (select role from live_chat_members where live_chat_id = :liveChatId and operator_id = :authorId) as "authorRole",
      (select jsonb_build_object('id', ct.id, 'app', ct.app, 'name', ct.name)
         from contacts ct where ct.id = :contactId) as contact,
      (select coalesce(jsonb_agg(jsonb_build_object('field', f.field, 'type', f.type, 'kind', f.kind, 'value', f.value)
              order by f.field, f.position), '[]'::jsonb)
         from contact_fields f where f.contact_id = :contactId) as fields,
      (select coalesce(jsonb_agg(t.chat_id), '[]'::jsonb) from telegram_chats t
        where t.channel_id = ${channelOf}
          and t.chat_id in (select value from contact_fields where contact_id = :contactId and kind = 'telegram'))
        as "knownTelegramChats",
      (select coalesce(jsonb_agg(jsonb_build_object('chatId', t.chat_id, 'blockedAt', t.blocked_at)), '[]'::jsonb)
         from telegram_chats t
        where t.channel_id = ${channelOf} and t.blocked_at is not null
          and t.chat_id in (select value from contact_fields where contact_id = :contactId and kind = 'telegram'))
        as "blockedTelegramChats"`,
    {
      idempotencyKey: q.idempotencyKey,
      liveChatId: q.liveChatId,
      channelId: q.channelId ?? null,
      sessionId: q.sessionId ?? null,
      contactId: q.contactId ?? null,
      authorId: q.authorId ?? null,
    },
  );
  const row = result.rows[0];
  if (!row) throw new Error('the send context query returned no row');
  return row;
}
