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

/** Newest first: the conversation opened last comes first (id breaks ties, so the order is stable). */
const NEWEST_FIRST = [
  { column: 'opened_at', order: 'desc' },
  { column: 'id', order: 'desc' },
] as const;

/**
 * A where-clause for the sessions (table or alias `sessions`) of a contact: those linked to it, and
 * those with one of its accounts that no contact was linked to (e.g. opened before it existed).
 */
export function sessionOfContact(db: Knex, contactId: string, sessions = 'sessions') {
  return (of: Knex.QueryBuilder): void => {
    of.where(`${sessions}.contact_id`, contactId).orWhere((unlinked) =>
      unlinked.whereNull(`${sessions}.contact_id`).whereExists((fields) =>
        fields
          .select(db.raw('1'))
          .from('contact_fields as f')
          .where('f.contact_id', contactId)
          .whereRaw('f.kind = ??', [`${sessions}.account_kind`])
          .whereRaw('f.value = ??', [`${sessions}.account`]),
      ),
    );
  };
}

/** Every session of a contact (see `sessionOfContact`), open and closed, newest first. */
export function sessionsOfContact(db: Knex, contactId: string): Promise<SessionRow[]> {
  return db<SessionRow>('sessions')
    .where(sessionOfContact(db, contactId))
    .orderBy([...NEWEST_FIRST]);
}

/** Every session with one of these accounts (normalised `{kind, value}`), open and closed, newest first. */
export function sessionsOfAccounts(
  db: Knex,
  accounts: readonly { kind: SessionRow['account_kind']; value: string }[],
): Promise<SessionRow[]> {
  if (accounts.length === 0) return Promise.resolve([]);
  return db<SessionRow>('sessions')
    .where((any) => {
      for (const account of accounts) any.orWhere({ account_kind: account.kind, account: account.value });
    })
    .orderBy([...NEWEST_FIRST]);
}

/** A customer wrote: reopens the session if it was closed and records when (WhatsApp's window). */
export async function recordCustomerActivity(db: Knex, id: string, at: Date): Promise<void> {
  await db('sessions')
    .where({ id })
    .update({ state: 'open', closed_at: null, last_inbound_at: at, last_message_at: at });
}
