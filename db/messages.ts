import type { Knex } from 'knex';
import { statusesBefore } from '../domain/delivery-status';
import type { DeliveryStatus } from '../domain/types';
import { attachmentsOf, type AttachmentRef } from './attachments';
import type { MessageRow } from './rows';

export type NewMessage = Pick<
  MessageRow,
  | 'session_id'
  | 'direction'
  | 'author_kind'
  | 'author_id'
  | 'process_workflow_id'
  | 'process_run_id'
  | 'text'
  | 'subject'
  | 'idempotency_key'
> &
  Partial<
    Pick<
      MessageRow,
      'status' | 'provider_message_id' | 'inbound_kind' | 'edited_at' | 'full_text' | 'whatsapp_template'
    >
  >;

/** The idempotency key of an operator's reply: its own prefix, so it equals no other kind of key. */
export const operatorReplyKey = (key: string): string => `operator-reply:${key}`;

export function findByIdempotencyKey(db: Knex, key: string): Promise<MessageRow | undefined> {
  return db<MessageRow>('messages').where({ idempotency_key: key }).first();
}

export function getMessage(db: Knex, id: string): Promise<MessageRow | undefined> {
  return db<MessageRow>('messages').where({ id }).first();
}

/** Inserts a message; undefined when a message with the same idempotency key already exists. */
export async function insertMessage(db: Knex, message: NewMessage): Promise<MessageRow | undefined> {
  const rows = await db<MessageRow>('messages')
    .insert(message)
    .onConflict('idempotency_key')
    .ignore()
    .returning('*');
  return rows[0];
}

/** An operator's own outbound message (a first message, a reply), pending for dispatch. */
export function insertOperatorMessage(
  db: Knex,
  message: {
    sessionId: string;
    operatorId: string;
    text: string;
    subject?: string;
    idempotencyKey: string;
    whatsappTemplate?: { contentSid: string; variables?: Record<string, string> } | undefined;
  },
): Promise<MessageRow | undefined> {
  return insertMessage(db, {
    session_id: message.sessionId,
    direction: 'outbound',
    author_kind: 'operator',
    author_id: message.operatorId,
    process_workflow_id: null,
    process_run_id: null,
    text: message.text,
    subject: message.subject ?? null,
    idempotency_key: message.idempotencyKey,
    ...(message.whatsappTemplate ? { whatsapp_template: message.whatsappTemplate } : {}),
  });
}

/** Records the provider's acceptance; only a pending message moves, so a repeat changes nothing. */
export async function markSent(db: Knex, id: string, providerMessageId: string, at: Date): Promise<void> {
  await db('messages').where({ id, status: 'pending' }).update({
    status: 'sent',
    provider_message_id: providerMessageId,
    sent_at: at,
    updated_at: at,
    dispatch_lease_until: null,
  });
}

export async function markFailed(db: Knex, id: string, reason: string, at: Date): Promise<void> {
  await db('messages')
    .where({ id, status: 'pending' })
    .update({ status: 'failed', failure_reason: reason, updated_at: at, dispatch_lease_until: null });
}

export interface HistoryEntry extends MessageRow {
  author_name: string | null;
  /** The message's files, in order (names, types, sizes; never their bytes). */
  attachments: AttachmentRef[];
}

/** A session's history as operators see it, oldest first, with operators' names resolved. */
export function sessionHistory(db: Knex, sessionId: string): Promise<HistoryEntry[]> {
  return db('messages as m')
    .leftJoin('operators as o', 'o.id', 'm.author_id')
    .where('m.session_id', sessionId)
    .orderBy([{ column: 'm.created_at' }, { column: 'm.id' }])
    .select('m.*', 'o.name as author_name', db.raw(`${attachmentsOf('m')} as attachments`));
}

/** The histories of several sessions in one query, oldest first within each session. */
export function sessionsHistory(db: Knex, sessionIds: readonly string[]): Promise<HistoryEntry[]> {
  if (sessionIds.length === 0) return Promise.resolve([]);
  return db('messages as m')
    .leftJoin('operators as o', 'o.id', 'm.author_id')
    .whereIn('m.session_id', sessionIds)
    .orderBy([{ column: 'm.created_at' }, { column: 'm.id' }])
    .select('m.*', 'o.name as author_name', db.raw(`${attachmentsOf('m')} as attachments`));
}

/**
 * A provider's report about one of our messages on one channel (Twilio status callback, ...).
 * Moves the status only forward (see domain/delivery-status.ts), so a late or repeated report
 * changes nothing. Returns whether it changed the message.
 */
export async function applyDeliveryStatus(
  db: Knex,
  report: {
    channelId: string;
    providerMessageId: string;
    status: DeliveryStatus;
    reason?: string;
    /** What the provider said with it (Twilio's ChannelStatusMessage), kept for operators. */
    providerStatusMessage?: string;
    providerErrorCode?: string;
    at: Date;
  },
): Promise<boolean> {
  const updated = await db('messages')
    .where({ provider_message_id: report.providerMessageId, direction: 'outbound' })
    .whereIn('status', statusesBefore(report.status))
    .whereIn('session_id', db('sessions').select('id').where({ channel_id: report.channelId }))
    .update({
      status: report.status,
      failure_reason: report.status === 'failed' ? (report.reason ?? 'refused by the provider') : null,
      ...(report.providerStatusMessage !== undefined
        ? { provider_status_message: report.providerStatusMessage }
        : {}),
      ...(report.providerErrorCode !== undefined ? { provider_error_code: report.providerErrorCode } : {}),
      updated_at: report.at,
    });
  return updated > 0;
}

/** The session of the message on this channel with one of these provider ids (email threading). */
export async function sessionOfProviderMessage(
  db: Knex,
  channelId: string,
  providerMessageIds: string[],
): Promise<string | undefined> {
  if (providerMessageIds.length === 0) return undefined;
  const row = await db('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where('s.channel_id', channelId)
    .whereIn('m.provider_message_id', providerMessageIds)
    .orderBy('m.created_at', 'desc')
    .first('m.session_id');
  return row?.session_id as string | undefined;
}

/**
 * Marks a scheduled message cancelled, if it has not gone yet; either way, the status it has now.
 * A message a dispatch attempt holds is left to it (it is going out).
 */
export async function cancelPendingMessage(db: Knex, messageId: string): Promise<{ status: DeliveryStatus }> {
  const [cancelled] = await db('messages')
    .where({ id: messageId, status: 'pending' })
    .andWhere((q) => q.whereNull('dispatch_lease_until').orWhere('dispatch_lease_until', '<', db.fn.now()))
    .update({ status: 'cancelled', dispatch_lease_until: null, updated_at: db.fn.now() })
    .returning('status');
  if (cancelled) return { status: 'cancelled' };
  const row = await db('messages').where({ id: messageId }).first('status');
  if (!row) throw new Error(`message ${messageId} does not exist`);
  return { status: row.status as DeliveryStatus };
}
