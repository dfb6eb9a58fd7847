import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import { consentKeyFrom } from '../config/consent-key';
import type { ConsentMethod, ConsentState, LiveChatConsent } from '../domain/consent';
import { RecipientOptedOut } from '../domain/errors';
import type { AccountKind } from '../domain/types';

/** One account as consent knows it: its kind and normalised value. */
export interface ConsentAccount {
  kind: AccountKind;
  value: string;
}

/** The keyed hash an account's consent is kept under (and found by after an erasure). */
export function accountHash(key: Buffer, account: ConsentAccount): string {
  return createHmac('sha256', key).update(`account:${account.kind}:${account.value}`).digest('hex');
}

export interface ConsentRow {
  live_chat_id: string;
  account_hash: string;
  account_kind: AccountKind;
  account: string | null;
  state: ConsentState;
  method: ConsentMethod;
  channel_id: string | null;
  keyword: string | null;
  changed_at: Date;
}

export interface ConsentChange {
  liveChatId: string;
  account: ConsentAccount;
  state: ConsentState;
  method: ConsentMethod;
  channelId?: string | null;
  keyword?: string;
  at: Date;
}

/**
 * Records a decision. A customer's own decision (a keyword, an unsubscribe, a block) replaces what
 * was there, unless that is newer. An administrator's opt-in (`config`, `cli`) never lifts an
 * opt-out: only the customer can take that back. A block (`telegram-block`) does not narrow a wider
 * opt-out the account already has. Returns the row as it stands afterwards.
 */
export async function recordConsent(
  db: Knex,
  change: ConsentChange,
  key: Buffer = consentKeyFrom(),
): Promise<ConsentRow> {
  const hash = accountHash(key, change.account);
  const administrative = change.method === 'config' || change.method === 'cli';
  const row = {
    live_chat_id: change.liveChatId,
    account_hash: hash,
    account_kind: change.account.kind,
    account: change.account.value,
    state: change.state,
    method: change.method,
    channel_id: change.channelId ?? null,
    keyword: change.keyword ?? null,
    changed_at: change.at,
  };
  const keep = administrative
    ? `consents.state = 'opted-out' or consents.state = excluded.state`
    : change.method === 'telegram-block'
      ? `consents.changed_at > excluded.changed_at or (consents.state = 'opted-out' and consents.method <> 'telegram-block')`
      : `consents.changed_at > excluded.changed_at`;
  const result = await db.raw<{ rows: ConsentRow[] }>(
    `? on conflict (live_chat_id, account_hash) do update set
       state = case when ${keep} then consents.state else excluded.state end,
       method = case when ${keep} then consents.method else excluded.method end,
       channel_id = case when ${keep} then consents.channel_id else excluded.channel_id end,
       keyword = case when ${keep} then consents.keyword else excluded.keyword end,
       changed_at = case when ${keep} then consents.changed_at else excluded.changed_at end,
       account = coalesce(consents.account, excluded.account)
     returning *`,
    [db('consents').insert(row)],
  );
  return result.rows[0]!;
}

/** Lifts a block's opt-out of one bot (the person unblocked it or wrote to it again). */
export async function liftTelegramBlock(
  db: Knex,
  liveChatId: string,
  channelId: string,
  chatId: string,
  key: Buffer = consentKeyFrom(),
): Promise<void> {
  await db('consents')
    .where({
      live_chat_id: liveChatId,
      account_hash: accountHash(key, { kind: 'telegram', value: chatId }),
      method: 'telegram-block',
      channel_id: channelId,
      state: 'opted-out',
    })
    .delete();
}

/** The consent rows of these accounts in a live chat. */
export async function consentsOf(
  db: Knex,
  liveChatId: string,
  accounts: ConsentAccount[],
  key: Buffer = consentKeyFrom(),
): Promise<ConsentRow[]> {
  if (accounts.length === 0) return [];
  return db('consents')
    .where({ live_chat_id: liveChatId })
    .whereIn(
      'account_hash',
      accounts.map((a) => accountHash(key, a)),
    )
    .select<ConsentRow[]>('*');
}

export interface ConsentCheck {
  liveChatId: string;
  /** The channel the message would go through. */
  channelId: string;
  settings: LiveChatConsent;
  /** The account the message goes to. */
  account: ConsentAccount;
  /** The contact's other accounts: an opt-out through one of them holds for all (the customer said no). */
  otherAccounts?: ConsentAccount[];
  /** A process message: refused without an opt-in when the live chat requires one. */
  process?: boolean;
}

/**
 * Refuses with `RecipientOptedOut` when the account, or another account of the same contact, opted
 * out of the live chat (a block holds for its bot only), or when the live chat requires an opt-in
 * for process messages and this account has none.
 */
export async function refuseIfOptedOut(
  db: Knex,
  check: ConsentCheck,
  key: Buffer = consentKeyFrom(),
): Promise<void> {
  const target = accountHash(key, check.account);
  const rows = await consentsOf(db, check.liveChatId, [check.account, ...(check.otherAccounts ?? [])], key);
  const out = rows.find(
    (r) =>
      r.state === 'opted-out' &&
      (r.method !== 'telegram-block' || (r.account_hash === target && r.channel_id === check.channelId)),
  );
  if (out) {
    throw new RecipientOptedOut({
      liveChatId: check.liveChatId,
      reason: 'opted-out',
      method: out.account === null ? 'erased' : out.method,
      optedOutAt: new Date(out.changed_at).toISOString(),
      ...(out.channel_id ? { channelId: out.channel_id } : {}),
    });
  }
  if (check.process && check.settings.requireOptIn) {
    const optedIn = rows.some((r) => r.account_hash === target && r.state === 'opted-in');
    if (!optedIn) throw new RecipientOptedOut({ liveChatId: check.liveChatId, reason: 'opt-in-required' });
  }
}

/** A live chat's consent settings (`{}` when the live chat has none or does not exist). */
export async function liveChatConsent(db: Knex, liveChatId: string): Promise<LiveChatConsent> {
  const row = await db('live_chats')
    .where({ id: liveChatId })
    .first<{ consent: LiveChatConsent } | undefined>('consent');
  return row?.consent ?? {};
}

/** A contact's accounts (fields of type Account and Email), as consent keeps them. */
export async function contactAccounts(db: Knex, contactId: string): Promise<ConsentAccount[]> {
  const rows = await db('contact_fields')
    .where({ contact_id: contactId })
    .select<{ kind: AccountKind; value: string }[]>('kind', 'value');
  return rows.map((r) => ({ kind: r.kind, value: r.value }));
}

/** The keyed hash of a contact, as the contact search attribute carries it. */
export function contactHash(key: Buffer, contactId: string): string {
  return createHmac('sha256', key).update(`contact:${contactId}`).digest('hex');
}

/**
 * The values of the contact search attribute for a session's customer: the keyed hashes of its
 * contact (when known) and of its account. Empty for a session that is not there (any more).
 */
export async function contactTagsOfSession(db: Knex, sessionId: string, key: Buffer): Promise<string[]> {
  const session = await db('sessions')
    .where({ id: sessionId })
    .first<{ contact_id: string | null; account_kind: AccountKind; account: string } | undefined>(
      'contact_id',
      'account_kind',
      'account',
    );
  if (!session) return [];
  return [
    ...(session.contact_id ? [contactHash(key, session.contact_id)] : []),
    accountHash(key, { kind: session.account_kind, value: session.account }),
  ];
}
