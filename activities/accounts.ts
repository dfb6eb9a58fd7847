import type { Knex } from 'knex';
import { contactFields, findContactByAccount, getContact } from '../db/contacts';
import type { ChannelRow, ContactFieldRow, ContactRow, LiveChatRow } from '../db/rows';
import { accountForChannel, channelRules } from '../domain/channels';
import {
  AccountKindMismatch,
  ChannelCannotInitiate,
  ContactHasNoAccount,
  ContactNotFound,
} from '../domain/errors';
import type { AccountKind } from '../domain/types';

export interface ResolvedAccount {
  contactId: string | null;
  contactName: string | null;
  accountKind: AccountKind;
  /** Normalised: E.164 phone, email address, Telegram chat id. */
  account: string;
}

type AccountRecipient = { contactId: string; field?: string } | { account: string };

/** Where contacts are looked up: the database, or what a caller already loaded in one query. */
export interface ContactLookups {
  contact(id: string): Promise<Pick<ContactRow, 'id' | 'app' | 'name'> | undefined>;
  fields(contactId: string): Promise<Pick<ContactFieldRow, 'field' | 'kind' | 'value'>[]>;
  byAccount(
    app: string,
    kind: AccountKind,
    value: string,
  ): Promise<Pick<ContactRow, 'id' | 'name'> | undefined>;
}

export function databaseLookups(db: Knex): ContactLookups {
  return {
    contact: (id) => getContact(db, id),
    fields: (contactId) => contactFields(db, contactId),
    byAccount: (app, kind, value) => findContactByAccount(db, app, kind, value),
  };
}

/**
 * Finds how to reach the customer on this channel: from the contact's fields of type Account (and,
 * for email, of type Email: rule 11) picked by the channel's account kind, or from an account value
 * given directly (rules 4 and 10: it must be of the channel's kind and well formed).
 */
export async function resolveAccount(
  lookups: ContactLookups,
  liveChat: Pick<LiveChatRow, 'id' | 'bound_app'>,
  channel: Pick<ChannelRow, 'id' | 'kind'>,
  to: AccountRecipient,
): Promise<ResolvedAccount> {
  const rules = channelRules(channel.kind);
  const accountKind = rules.accountKind;
  // The website widget has no addressable accounts: only customers start sessions there (rule 12).
  if (accountKind === null)
    throw new ChannelCannotInitiate({ channelKind: channel.kind, channelId: channel.id });

  if ('account' in to) {
    const account = accountForChannel(channel.kind, to.account).value;
    const contact = await lookups.byAccount(liveChat.bound_app, accountKind, account);
    return { contactId: contact?.id ?? null, contactName: contact?.name ?? null, accountKind, account };
  }

  const contact = await lookups.contact(to.contactId);
  if (!contact || contact.app !== liveChat.bound_app) {
    throw new ContactNotFound({ contactId: to.contactId, liveChatId: liveChat.id });
  }
  const fields = (await lookups.fields(contact.id)).filter(
    (f) => to.field === undefined || f.field === to.field,
  );
  const usable = fields.find((f) => f.kind === accountKind);
  if (!usable) {
    // A named field of another kind is a mismatch the caller should hear about as such (rule 4).
    const other = to.field !== undefined ? fields[0] : undefined;
    if (other)
      throw new AccountKindMismatch({ channelKind: channel.kind, expected: accountKind, given: other.kind });
    throw new ContactHasNoAccount({
      contactId: contact.id,
      accountKind,
      ...(to.field ? { field: to.field } : {}),
    });
  }
  return {
    contactId: contact.id,
    contactName: contact.name,
    accountKind,
    account: rules.normaliseAddress(usable.value),
  };
}
