import type { Knex } from 'knex';
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
>;

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

/** Records the provider's acceptance; only a pending message moves, so a repeat changes nothing. */
export async function markSent(db: Knex, id: string, providerMessageId: string, at: Date): Promise<void> {
  await db('messages')
    .where({ id, status: 'pending' })
    .update({ status: 'sent', provider_message_id: providerMessageId, sent_at: at, updated_at: at });
}

export async function markFailed(db: Knex, id: string, reason: string, at: Date): Promise<void> {
  await db('messages')
    .where({ id, status: 'pending' })
    .update({ status: 'failed', failure_reason: reason, updated_at: at });
}

export interface HistoryEntry extends MessageRow {
  author_name: string | null;
}

/** A session's history as operators see it, oldest first, with operators' names resolved. */
export function sessionHistory(db: Knex, sessionId: string): Promise<HistoryEntry[]> {
  return db('messages as m')
    .leftJoin('operators as o', 'o.id', 'm.author_id')
    .where('m.session_id', sessionId)
    .orderBy([{ column: 'm.created_at' }, { column: 'm.id' }])
    .select('m.*', 'o.name as author_name');
}
