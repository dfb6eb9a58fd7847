import type { Knex } from 'knex';
import type { SessionRow } from './rows';

export interface NewSession {
  live_chat_id: string;
  channel_id: string;
  contact_id: string | null;
  account_kind: SessionRow['account_kind'];
  account: string;
  exclusive: boolean;
  assigned_operator_id: string | null;
  origin: SessionRow['origin'];
  started_by: string | null;
  name: string;
  idempotency_key?: string;
}

export function findOpenSession(
  db: Knex,
  channelId: string,
  account: string,
): Promise<SessionRow | undefined> {
  return db<SessionRow>('sessions')
    .where({ channel_id: channelId, account, state: 'open' })
    .orderBy('last_message_at', 'desc')
    .first();
}

export function findSessionByIdempotencyKey(db: Knex, key: string): Promise<SessionRow | undefined> {
  return db<SessionRow>('sessions').where({ idempotency_key: key }).first();
}

export function getSession(db: Knex, id: string): Promise<SessionRow | undefined> {
  return db<SessionRow>('sessions').where({ id }).first();
}

/**
 * Inserts a session. For an exclusive one (messengers) a concurrent insert for the same account
 * loses against `sessions_one_open_per_account` and gets undefined back instead of an error, so the
 * caller can reuse the winner's session.
 */
export async function insertSession(db: Knex, session: NewSession): Promise<SessionRow | undefined> {
  const query = db<SessionRow>('sessions').insert(session);
  const rows = session.exclusive
    ? await query
        .onConflict(db.raw(`(channel_id, account) where state = 'open' and exclusive`))
        .ignore()
        .returning('*')
    : await query.returning('*');
  return rows[0];
}

export async function touchSession(db: Knex, id: string, at: Date): Promise<void> {
  await db('sessions').where({ id }).update({ last_message_at: at });
}
