import type { Knex } from 'knex';
import { accountHash, contactHash, contactTagsOfSession } from '../db/consent';
import { ACCOUNT_KINDS, normaliseAccount } from '../domain/channels';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The keyed hashes of whom a request was for, read from the request itself (`to` of a process
 * message, `customer` of an operator's start): a contact id, each reading of an account value, or
 * a session's customer. Whatever cannot be read is left out.
 */
export async function contactTagsOfRequest(
  db: Knex,
  input: { to?: unknown; customer?: unknown },
  key: Buffer,
): Promise<string[]> {
  const target = (input.to ?? input.customer) as Record<string, unknown> | undefined;
  if (typeof target !== 'object' || target === null) return [];
  const tags = new Set<string>();
  if (typeof target.contactId === 'string') tags.add(contactHash(key, target.contactId));
  if (typeof target.account === 'string') {
    for (const kind of ACCOUNT_KINDS) {
      try {
        tags.add(accountHash(key, { kind, value: normaliseAccount(kind, target.account) }));
      } catch {
        // Not a value of this kind.
      }
    }
  }
  if (typeof target.sessionId === 'string' && UUID.test(target.sessionId)) {
    for (const tag of await contactTagsOfSession(db, target.sessionId, key)) tags.add(tag);
  }
  return [...tags];
}
