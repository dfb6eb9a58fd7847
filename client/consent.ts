import type { Knex } from 'knex';
import { consentKeyFrom } from '../config/consent-key';
import { consentsOf, recordConsent, type ConsentRow } from '../db/consent';
import { ACCOUNT_KINDS, normaliseAccount } from '../domain/channels';
import { InvalidInput, LiveChatNotFound } from '../domain/errors';
import type { AccountKind, AccountValue } from '../domain/types';

/** One account's consent in one live chat, as the CLI reports it. */
export interface AccountConsent {
  liveChatId: string;
  account: AccountValue;
  state: 'opted-out' | 'opted-in' | 'none';
  method?: string;
  channelId?: string | null;
  at?: string;
}

/**
 * The account a command line names: as the given kind, else by its look (`+…` a phone number,
 * `…@…` an email address, digits a Telegram chat id), normalised as the channels normalise it.
 */
export function accountOf(value: string, kind?: string): AccountValue {
  if (kind !== undefined && !(ACCOUNT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInput({ path: 'kind', message: `must be one of ${ACCOUNT_KINDS.join(', ')}` });
  }
  const read: AccountKind =
    (kind as AccountKind | undefined) ??
    (value.trim().startsWith('+') ? 'phone' : value.includes('@') ? 'email' : 'telegram');
  return { kind: read, value: normaliseAccount(read, value) };
}

function reported(liveChatId: string, account: AccountValue, row: ConsentRow | undefined): AccountConsent {
  if (!row) return { liveChatId, account, state: 'none' };
  return {
    liveChatId,
    account,
    state: row.state,
    method: row.method,
    channelId: row.channel_id,
    at: new Date(row.changed_at).toISOString(),
  };
}

/**
 * Records an opt-in given outside the chat (`livechat consent opt-in`). It never lifts an opt-out:
 * only the customer can take that back (START); the answer says which state holds.
 */
export async function recordOptIn(
  db: Knex,
  input: { liveChatId: string; account: AccountValue },
  now: Date = new Date(),
  key: Buffer = consentKeyFrom(),
): Promise<AccountConsent> {
  if (!(await db('live_chats').where({ id: input.liveChatId }).first('id')))
    throw new LiveChatNotFound({ liveChatId: input.liveChatId });
  const row = await recordConsent(
    db,
    { liveChatId: input.liveChatId, account: input.account, state: 'opted-in', method: 'cli', at: now },
    key,
  );
  return reported(input.liveChatId, input.account, row);
}

/** An account's consent in each live chat (or in the one given). */
export async function consentStatus(
  db: Knex,
  input: { account: AccountValue; liveChatId?: string },
  key: Buffer = consentKeyFrom(),
): Promise<AccountConsent[]> {
  const liveChats: { id: string }[] = input.liveChatId
    ? await db('live_chats').where({ id: input.liveChatId }).select('id')
    : await db('live_chats').orderBy('id').select('id');
  if (input.liveChatId && liveChats.length === 0)
    throw new LiveChatNotFound({ liveChatId: input.liveChatId });
  const out: AccountConsent[] = [];
  for (const { id } of liveChats) {
    const [row] = await consentsOf(db, id, [input.account], key);
    out.push(reported(id, input.account, row));
  }
  return out;
}

/** `opted out of shop (keyword on wa-1, 2026-…)`, one line per live chat. */
export function formatConsent(consents: AccountConsent[]): string {
  return consents
    .map((c) => {
      const who = `${c.account.value} (${c.account.kind}) in ${c.liveChatId}`;
      if (c.state === 'none') return `${who}: neither opted out nor in`;
      const via = c.channelId ? ` on ${c.channelId}` : '';
      return `${who}: ${c.state.replace('-', ' ')} (${c.method ?? '?'}${via}, ${c.at ?? '?'})`;
    })
    .join('\n');
}
