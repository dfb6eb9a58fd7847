import type { Knex } from 'knex';
import { getContact } from '../db/contacts';
import { sessionHistory, sessionsHistory, type HistoryEntry } from '../db/messages';
import type { ContactRow, SessionRow } from '../db/rows';
import { getSession, sessionsOfAccounts, sessionsOfContact } from '../db/sessions';
import { ACCOUNT_KINDS, normaliseAccount } from '../domain/channels';
import type { ConsentMethod, ConsentState } from '../domain/consent';
import type { AccountValue } from '../domain/types';

export interface SessionHistory {
  session: SessionRow;
  messages: HistoryEntry[];
  /** The account's opt-out or opt-in in the session's live chat; null when it has neither. */
  consent?: SessionConsent | null;
}

export interface SessionConsent {
  state: ConsentState;
  method: ConsentMethod;
  channelId: string | null;
  at: Date;
}

/** All conversations with one customer, newest session first, each with its messages oldest first. */
export interface ContactHistory {
  contact: ContactRow;
  sessions: SessionHistory[];
}

export interface AccountHistory {
  /** The normalised accounts that were looked up (a bare value may read as more than one kind). */
  accounts: AccountValue[];
  sessions: SessionHistory[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A session and its messages, as the operators' chat history shows them; undefined when there is none. */
export async function getHistory(db: Knex, sessionId: string): Promise<SessionHistory | undefined> {
  // Session ids are UUIDs: anything else names no session (and PostgreSQL would refuse to compare it).
  if (!UUID.test(sessionId)) return undefined;
  const session = await getSession(db, sessionId);
  if (!session) return undefined;
  const [consent] = await consentsOfSessions(db, [session]);
  return { session, messages: await sessionHistory(db, sessionId), consent: consent ?? null };
}

/**
 * Every session of a contact, open and closed, newest first, with their messages: what an operator
 * sees on the customer's page, including the history of closed sessions (rule 13). Undefined when
 * there is no such contact.
 */
export async function getContactHistory(db: Knex, contactId: string): Promise<ContactHistory | undefined> {
  const contact = await getContact(db, contactId);
  if (!contact) return undefined;
  return { contact, sessions: await withMessages(db, await sessionsOfContact(db, contactId)) };
}

/**
 * Every session with an account, open and closed, newest first, with their messages. A `{kind, value}`
 * is normalised as that kind (and refused like the channels refuse it: `InvalidPhoneNumber`, ...); a
 * bare value is looked up as each kind it is a valid value of, so `+4915123456789` finds the phone
 * number and `42` the Telegram chat. No country is ever guessed.
 */
export async function getAccountHistory(db: Knex, account: AccountValue | string): Promise<AccountHistory> {
  const accounts =
    typeof account === 'string'
      ? readingsOf(account)
      : [{ kind: account.kind, value: normaliseAccount(account.kind, account.value) }];
  return { accounts, sessions: await withMessages(db, await sessionsOfAccounts(db, accounts)) };
}

function readingsOf(raw: string): AccountValue[] {
  return ACCOUNT_KINDS.flatMap((kind) => {
    try {
      return [{ kind, value: normaliseAccount(kind, raw) }];
    } catch {
      return [];
    }
  });
}

async function withMessages(db: Knex, sessions: SessionRow[]): Promise<SessionHistory[]> {
  const messages = await sessionsHistory(
    db,
    sessions.map((s) => s.id),
  );
  const bySession = new Map<string, HistoryEntry[]>(sessions.map((s) => [s.id, []]));
  for (const message of messages) bySession.get(message.session_id)?.push(message);
  const consents = await consentsOfSessions(db, sessions);
  return sessions.map((session, i) => ({
    session,
    messages: bySession.get(session.id) ?? [],
    consent: consents[i] ?? null,
  }));
}

/** Each session's account's consent in its live chat (null where there is none), in order. */
async function consentsOfSessions(db: Knex, sessions: SessionRow[]): Promise<(SessionConsent | null)[]> {
  if (sessions.length === 0) return [];
  const rows: {
    live_chat_id: string;
    account_kind: string;
    account: string;
    state: ConsentState;
    method: ConsentMethod;
    channel_id: string | null;
    changed_at: Date;
  }[] = await db('consents')
    .whereIn(
      'account',
      sessions.map((s) => s.account),
    )
    .select('live_chat_id', 'account_kind', 'account', 'state', 'method', 'channel_id', 'changed_at');
  return sessions.map((s) => {
    const row = rows.find(
      (r) =>
        r.live_chat_id === s.live_chat_id && r.account_kind === s.account_kind && r.account === s.account,
    );
    return row
      ? { state: row.state, method: row.method, channelId: row.channel_id, at: row.changed_at }
      : null;
  });
}

/** How a history names a consent: `opted out (keyword on whatsapp-1, 2026-06-01T09:00:00.000Z)`. */
function consentWords(consent: SessionConsent): string {
  const via = consent.channelId ? ` on ${consent.channelId}` : '';
  return `${consent.state.replace('-', ' ')} (${consent.method}${via}, ${consent.at.toISOString()})`;
}

function authorOf(message: HistoryEntry): string {
  switch (message.author_kind) {
    case 'operator':
      return `operator ${message.author_name ?? message.author_id ?? '?'}`;
    case 'customer':
      return 'customer';
    case 'process': {
      const onBehalf = message.author_id ? ` for ${message.author_name ?? message.author_id}` : '';
      return `process ${message.process_workflow_id ?? '?'}${onBehalf}`;
    }
  }
}

/** Plain-text rendering of a history for terminals. */
export function formatHistory({ session, messages, consent }: SessionHistory): string {
  const lines = [
    `Session "${session.name}" (${session.state}) with ${session.account} [${session.id}]` +
      (consent ? `, ${consentWords(consent)}` : ''),
    ...messages.map((m) => {
      const status =
        m.status === 'failed'
          ? `failed: ${m.failure_reason ?? ''}`
          : m.status === 'pending' && m.scheduled_for
            ? `scheduled for ${m.scheduled_for.toISOString()}`
            : m.status;
      const files = (m.attachments ?? []).map(
        (a) =>
          `\n    attached: ${a.filename} (${Number(a.size).toLocaleString('en-US')} bytes, ${a.contentType})`,
      );
      return `  ${m.created_at.toISOString()}  ${authorOf(m)}  [${status}]\n    ${m.text.replace(/\n/g, '\n    ')}${files.join('')}`;
    }),
  ];
  return lines.join('\n');
}

const sessionsWord = (n: number): string => `${n} session${n === 1 ? '' : 's'}`;

function formatSessions(header: string, sessions: SessionHistory[]): string {
  return [header, ...sessions.map(formatHistory)].join('\n\n');
}

/** Plain-text rendering of a customer's history: a header line, then each session, newest first. */
export function formatContactHistory({ contact, sessions }: ContactHistory): string {
  return formatSessions(
    `Contact "${contact.name}" [${contact.id}]: ${sessionsWord(sessions.length)}`,
    sessions,
  );
}

export function formatAccountHistory({ accounts, sessions }: AccountHistory): string {
  const which =
    accounts.length > 0 ? accounts.map((a) => `${a.value} (${a.kind})`).join(', ') : 'no valid account';
  return formatSessions(`Account ${which}: ${sessionsWord(sessions.length)}`, sessions);
}
