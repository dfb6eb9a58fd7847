import type { Knex } from 'knex';
import type { AccountKind } from '../domain/types';
import type { ContactFieldRow, ContactRow } from './rows';

export function getContact(db: Knex, id: string): Promise<ContactRow | undefined> {
  return db<ContactRow>('contacts').where({ id }).first();
}

export function contactFields(db: Knex, contactId: string): Promise<ContactFieldRow[]> {
  return db<ContactFieldRow>('contact_fields')
    .where({ contact_id: contactId })
    .orderBy(['field', 'position']);
}

/** The contact of the bound app that holds this account, if any (the oldest when several do). */
export async function findContactByAccount(
  db: Knex,
  app: string,
  kind: AccountKind,
  value: string,
): Promise<ContactRow | undefined> {
  return db<ContactRow>('contacts as c')
    .join('contact_fields as f', 'f.contact_id', 'c.id')
    .where({ 'c.app': app, 'f.kind': kind, 'f.value': value })
    .orderBy('c.created_at')
    .first('c.*');
}

export interface NewContactField {
  field: string;
  type: 'account' | 'email';
  kind: AccountKind;
  /** Already normalised. */
  value: string;
}

/** Creates an item of the bound app with typed fields (an operator's "+Create"). */
export async function insertContact(
  db: Knex,
  contact: { id: string; app: string; name: string },
  fields: NewContactField[],
): Promise<ContactRow> {
  const [row] = await db<ContactRow>('contacts').insert(contact).returning('*');
  if (!row) throw new Error('inserting a contact returned no row');
  if (fields.length > 0) {
    await db('contact_fields').insert(fields.map((f, position) => ({ contact_id: row.id, ...f, position })));
  }
  return row;
}
