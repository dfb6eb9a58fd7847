import type { Knex } from 'knex';
import type { AccountKind, DeliveryStatus } from '../domain/types';

export interface ProcessMessageRow {
  author_id: string | null;
  process_workflow_id: string;
  process_run_id: string;
  text: string;
  subject: string | null;
  idempotency_key: string;
  whatsapp_template: string | null;
  /** When a scheduled message is due (ISO); null: now. */
  scheduled_for: string | null;
}

/** Where the message goes: a given session, or the account's open session / a new one. */
export type SessionChoice =
  | { sessionId: string }
  | {
      liveChatId: string;
      channelId: string;
      contactId: string | null;
      accountKind: AccountKind;
      account: string;
      /** Reuse the account's open session if there is one (messengers always; email when asked). */
      reuseOpen: boolean;
      /** Open a new session when there is none to reuse (false on channels we cannot initiate on). */
      mayOpen: boolean;
      /** Messengers: at most one open session per account (the partial unique index holds it). */
      exclusive: boolean;
      startedBy: string | null;
      name: string;
    };

export type RecordOutcome =
  | { kind: 'recorded'; messageId: string; sessionId: string; status: DeliveryStatus; reused: boolean }
  /** A request with the same idempotency key got there first; `sessionId` is the one this try chose. */
  | { kind: 'duplicate'; sessionId: string; openedSession: boolean }
  /** There was no session to reuse and none may be opened, or a concurrent open won the race. */
  | { kind: 'no-session' };

/**
 * Opens or reuses the session and inserts the pending message in ONE statement (atomic without a
 * transaction, one round trip): the hot path of every process message. A concurrent opening for
 * the same messenger account loses against `sessions_one_open_per_account` and yields `no-session`,
 * after which the caller tries again and reuses the winner's session.
 */
export async function recordProcessMessage(
  db: Knex,
  choice: SessionChoice,
  message: ProcessMessageRow,
): Promise<RecordOutcome> {
  const given = 'sessionId' in choice;
  const open = given
    ? `select id from sessions where id = :sessionId::uuid and state = 'open'`
    : `select id from sessions
        where :reuseOpen and channel_id = :channelId and account = :account and state = 'open'
        order by last_message_at desc limit 1`;
  const opened = given
    ? `select null::uuid as id where false`
    : `insert into sessions (live_chat_id, channel_id, contact_id, account_kind, account, exclusive,
                             origin, started_by, name)
       select :liveChatId, :channelId, :contactId, :accountKind, :account, :exclusive, 'process', :startedBy, :name
        where :mayOpen and not exists (select 1 from open_session)
       on conflict (channel_id, account) where state = 'open' and exclusive do nothing
       returning id`;
  const params = {
    ...(given
      ? { sessionId: choice.sessionId }
      : { ...choice, reuseOpen: choice.reuseOpen, mayOpen: choice.mayOpen, exclusive: choice.exclusive }),
    ...message,
  };
  const result = await db.raw<{
    rows: {
      message: { id: string; session_id: string; status: DeliveryStatus } | null;
      session_id: string | null;
      reused: boolean | null;
    }[];
  }>(
    `with open_session as (${open}),
     new_session as (${opened}),
     target as (select id, true as reused from open_session union all select id, false from new_session),
     inserted as (
       insert into messages (session_id, direction, author_kind, author_id, process_workflow_id, process_run_id,
                             text, subject, idempotency_key, whatsapp_template, scheduled_for)
       select id, 'outbound', 'process', :author_id, :process_workflow_id, :process_run_id, :text, :subject,
              :idempotency_key, :whatsapp_template::jsonb, :scheduled_for::timestamptz
         from target limit 1
       on conflict (idempotency_key) do nothing
       returning id, session_id, status),
     touched as (
       update sessions set last_message_at = now()
        where id in (select id from open_session) and exists (select 1 from inserted)
       returning id)
     select (select to_jsonb(i) from inserted i) as message,
            (select id from target limit 1) as session_id,
            (select reused from target limit 1) as reused,
            (select count(*) from touched) as touched`,
    params,
  );
  const row = result.rows[0];
  if (!row || row.session_id === null) return { kind: 'no-session' };
  if (row.message === null)
    return { kind: 'duplicate', sessionId: row.session_id, openedSession: row.reused === false };
  return {
    kind: 'recorded',
    messageId: row.message.id,
    sessionId: row.session_id,
    status: row.message.status,
    reused: row.reused === true,
  };
}

/** Removes a session this request opened for a message a concurrent duplicate already made. */
export async function dropEmptySession(db: Knex, sessionId: string): Promise<void> {
  await db('sessions')
    .where({ id: sessionId })
    .whereNotExists(db('messages').where('session_id', db.ref('sessions.id')))
    .delete();
}
