/**
 * The database reads and writes of the operators' workspace. Every read that returns sessions,
 * messages or contacts is scoped to the live chats the operator serves, in SQL, so a forgotten check
 * in a route cannot widen what an operator sees.
 */
import { attachmentsOf, messageAttachment, type AttachmentRef } from '../../db/attachments';
import type { InboundKind } from '../../db/rows';
import type { Knex } from 'knex';
import type { ConsentMethod, ConsentState } from '../../domain/consent';
import { sessionOfContact } from '../../db/sessions';
import type {
  AccountKind,
  AuthorKind,
  ChannelKind,
  DeliveryStatus,
  MemberRole,
  MessageDirection,
  OperatorStatus,
  SessionOrigin,
  SessionState,
} from '../../domain/types';

export interface Membership {
  liveChatId: string;
  liveChatName: string;
  boundApp: string;
  role: MemberRole;
}

export async function membershipsOf(db: Knex, operatorId: string): Promise<Membership[]> {
  const rows: { live_chat_id: string; name: string; bound_app: string; role: MemberRole }[] = await db(
    'live_chat_members as m',
  )
    .join('live_chats as l', 'l.id', 'm.live_chat_id')
    .where('m.operator_id', operatorId)
    .orderBy('l.name')
    .select('m.live_chat_id', 'l.name', 'l.bound_app', 'm.role');
  return rows.map((r) => ({
    liveChatId: r.live_chat_id,
    liveChatName: r.name,
    boundApp: r.bound_app,
    role: r.role,
  }));
}

export interface ChannelInfo {
  id: string;
  liveChatId: string;
  kind: ChannelKind;
  name: string;
  state: 'active' | 'disabled';
  /** The channel's non-secret settings (WhatsApp's approved templates among them). */
  settings: Record<string, unknown>;
}

export async function channelsOf(db: Knex, liveChatIds: readonly string[]): Promise<ChannelInfo[]> {
  if (liveChatIds.length === 0) return [];
  const rows: {
    id: string;
    live_chat_id: string;
    kind: ChannelKind;
    name: string;
    state: 'active' | 'disabled';
    settings: Record<string, unknown> | null;
  }[] = await db('channels')
    .whereIn('live_chat_id', liveChatIds)
    .orderBy(['live_chat_id', 'name'])
    .select('id', 'live_chat_id', 'kind', 'name', 'state', 'settings');
  return rows.map((r) => ({
    id: r.id,
    liveChatId: r.live_chat_id,
    kind: r.kind,
    name: r.name,
    state: r.state,
    settings: r.settings ?? {},
  }));
}

export async function setOperatorStatus(db: Knex, operatorId: string, status: OperatorStatus): Promise<void> {
  await db('operators').where({ id: operatorId }).update({ status });
}

/** A session with what the workspace shows next to it (live chat, channel, customer, last message). */
export interface SessionRecord {
  id: string;
  name: string;
  state: SessionState;
  origin: SessionOrigin;
  live_chat_id: string;
  live_chat_name: string;
  channel_id: string;
  channel_kind: ChannelKind;
  channel_name: string;
  account_kind: AccountKind;
  account: string;
  contact_id: string | null;
  contact_name: string | null;
  assigned_operator_id: string | null;
  assigned_operator_name: string | null;
  opened_at: Date;
  closed_at: Date | null;
  last_message_at: Date;
  last_text: string | null;
  last_direction: MessageDirection | null;
  last_status: DeliveryStatus | null;
  /** Telegram: when the customer blocked the bot (sends are refused until they write again). */
  blocked_at: Date | null;
  /** When the customer last wrote in this session (WhatsApp's 24-hour window counts from it). */
  last_inbound_at: Date | null;
  /** The account's consent in the session's live chat, when it has one. */
  consent_state: ConsentState | null;
  consent_method: ConsentMethod | null;
  consent_channel_id: string | null;
  consent_changed_at: Date | null;
}

/** Sessions joined with what a `SessionRecord` needs, limited to live chats the operator serves. */
function sessionsQuery(db: Knex, operatorId: string): Knex.QueryBuilder {
  return db('sessions as s')
    .join('live_chat_members as mem', function () {
      this.on('mem.live_chat_id', '=', 's.live_chat_id').andOn(
        'mem.operator_id',
        '=',
        db.raw('?', [operatorId]),
      );
    })
    .join('live_chats as l', 'l.id', 's.live_chat_id')
    .join('channels as ch', 'ch.id', 's.channel_id')
    .leftJoin('contacts as c', 'c.id', 's.contact_id')
    .leftJoin('operators as a', 'a.id', 's.assigned_operator_id')
    .leftJoin('telegram_chats as tc', function () {
      this.on('tc.channel_id', '=', 's.channel_id').andOn('tc.chat_id', '=', 's.account');
    })
    .leftJoin('consents as co', function () {
      this.on('co.live_chat_id', '=', 's.live_chat_id')
        .andOn('co.account_kind', '=', 's.account_kind')
        .andOn('co.account', '=', 's.account');
    })
    .joinRaw(
      `left join lateral (
         select lm.text, lm.direction, lm.status from messages lm
         where lm.session_id = s.id order by lm.created_at desc, lm.id desc limit 1
       ) last on true`,
    )
    .select(
      's.id',
      's.name',
      's.state',
      's.origin',
      's.live_chat_id',
      'l.name as live_chat_name',
      's.channel_id',
      'ch.kind as channel_kind',
      'ch.name as channel_name',
      's.account_kind',
      's.account',
      's.contact_id',
      'c.name as contact_name',
      's.assigned_operator_id',
      'a.name as assigned_operator_name',
      's.opened_at',
      's.closed_at',
      's.last_message_at',
      'tc.blocked_at',
      's.last_inbound_at',
      'co.state as consent_state',
      'co.method as consent_method',
      'co.channel_id as consent_channel_id',
      'co.changed_at as consent_changed_at',
      'last.text as last_text',
      'last.direction as last_direction',
      'last.status as last_status',
    );
}

const MY_SESSIONS_LIMIT = 200;

/**
 * My Sessions: the open sessions assigned to the operator or to no one (a process's notification, a
 * customer's first message) in live chats they serve as an operator, and every open session of the
 * live chats they supervise; the latest activity first.
 */
export function mySessions(db: Knex, operatorId: string): Promise<SessionRecord[]> {
  return (
    sessionsQuery(db, operatorId)
      .where('s.state', 'open')
      // An operator's own, and those nobody has taken yet (opened by a process or a customer).
      .where((mine) =>
        mine
          .where('mem.role', 'supervisor')
          .orWhere('s.assigned_operator_id', operatorId)
          .orWhereNull('s.assigned_operator_id'),
      )
      .orderBy([
        { column: 's.last_message_at', order: 'desc' },
        { column: 's.id', order: 'desc' },
      ])
      .limit(MY_SESSIONS_LIMIT)
  );
}

export type ShiftScope = 'mine' | 'unassigned' | 'all';

export interface ShiftQuery {
  scope: ShiftScope;
  state: 'open' | 'closed';
  /** Words to find in the session's name, the customer's name or account. */
  q: string;
}

/** The customer's messages the operator has not read yet (after their `session_reads` mark). */
const unreadOf = (db: Knex, operatorId: string) =>
  db.raw(
    `(select count(*)::int from messages um
       where um.session_id = s.id and um.direction = 'inbound'
         and um.created_at > coalesce((select sr.read_at from session_reads sr
                                        where sr.session_id = s.id and sr.operator_id = ?), '-infinity'))
     as unread`,
    [operatorId],
  );

/**
 * The session list for a shift: the operator's own sessions, those nobody has taken, or every session
 * of the live chats they serve; open or closed; found by words; each with its unread count.
 */
export function shiftSessions(
  db: Knex,
  operatorId: string,
  query: ShiftQuery,
): Promise<(SessionRecord & { unread: number })[]> {
  const builder = sessionsQuery(db, operatorId)
    .select(unreadOf(db, operatorId))
    .where('s.state', query.state);
  if (query.scope === 'mine') builder.where('s.assigned_operator_id', operatorId);
  if (query.scope === 'unassigned') builder.whereNull('s.assigned_operator_id');
  for (const word of query.q.split(/\s+/).filter(Boolean).slice(0, 5)) {
    const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    builder.where((w) =>
      w.whereILike('s.name', like).orWhereILike('s.account', like).orWhereILike('c.name', like),
    );
  }
  return builder
    .orderBy([
      { column: 's.last_message_at', order: 'desc' },
      { column: 's.id', order: 'desc' },
    ])
    .limit(MY_SESSIONS_LIMIT);
}

/** Unread customer messages in the operator's open sessions, by scope (the tabs' and the title's counts). */
export async function unreadCounts(db: Knex, operatorId: string): Promise<Record<ShiftScope, number>> {
  const rows: { mine: number | null; unassigned: number | null; all: number | null }[] = await db
    .from(
      sessionsQuery(db, operatorId)
        .clearSelect()
        .select('s.assigned_operator_id', unreadOf(db, operatorId))
        .where('s.state', 'open')
        .as('x'),
    )
    .select(
      db.raw('sum(unread) filter (where assigned_operator_id = ?)::int as mine', [operatorId]),
      db.raw('sum(unread) filter (where assigned_operator_id is null)::int as unassigned'),
      db.raw('sum(unread)::int as "all"'),
    );
  const row = rows[0];
  return { mine: row?.mine ?? 0, unassigned: row?.unassigned ?? 0, all: row?.all ?? 0 };
}

/** The operator has read the session up to now. */
export async function markSessionRead(
  db: Knex,
  operatorId: string,
  sessionId: string,
  at: Date,
): Promise<void> {
  await db('session_reads')
    .insert({ operator_id: operatorId, session_id: sessionId, read_at: at })
    .onConflict(['operator_id', 'session_id'])
    .merge({ read_at: db.raw('greatest(session_reads.read_at, excluded.read_at)') });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A session of a live chat the operator serves (any role); undefined for any other or none. */
export async function sessionOfOperator(
  db: Knex,
  operatorId: string,
  sessionId: string,
): Promise<(SessionRecord & { role: MemberRole }) | undefined> {
  // Not a UUID names no session, and PostgreSQL would refuse to compare it with one.
  if (!isUuid(sessionId)) return undefined;
  return sessionsQuery(db, operatorId).where('s.id', sessionId).first('mem.role as role');
}

/** Every session of a contact (see `sessionOfContact`) in the operator's live chats, newest first. */
export function sessionsOfContactIn(
  db: Knex,
  operatorId: string,
  contactId: string,
  limit = 50,
): Promise<SessionRecord[]> {
  return sessionsQuery(db, operatorId)
    .where(sessionOfContact(db, contactId, 's'))
    .orderBy([
      { column: 's.opened_at', order: 'desc' },
      { column: 's.id', order: 'desc' },
    ])
    .limit(limit);
}

/** One message as the history shows it, with the names it needs. */
export interface MessageRecord {
  id: string;
  session_id: string;
  live_chat_id: string;
  direction: MessageDirection;
  author_kind: AuthorKind;
  author_id: string | null;
  author_name: string | null;
  process_workflow_id: string | null;
  process_run_id: string | null;
  text: string;
  full_text: string | null;
  subject: string | null;
  status: DeliveryStatus;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  scheduled_for: Date | null;
  account: string;
  contact_name: string | null;
  /** The message's files, in order (names, types, sizes; never their bytes). */
  attachments: AttachmentRef[];
  edited_at: Date | null;
  inbound_kind: InboundKind | null;
  provider_status_message: string | null;
  provider_error_code: string | null;
  /** Earlier texts of an edited message, oldest first. */
  versions: { text: string; replacedAt: string }[];
  /** A customer's files not stored (yet): still being fetched, or given up on with a reason. */
  unstored_files: {
    position: number;
    state: 'pending' | 'failed';
    contentType: string | null;
    filename: string | null;
    failureReason: string | null;
  }[];
}

function messagesQuery(db: Knex): Knex.QueryBuilder {
  return db('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .leftJoin('operators as o', 'o.id', 'm.author_id')
    .leftJoin('contacts as c', 'c.id', 's.contact_id')
    .select(
      'm.id',
      'm.session_id',
      's.live_chat_id',
      'm.direction',
      'm.author_kind',
      'm.author_id',
      'o.name as author_name',
      'm.process_workflow_id',
      'm.process_run_id',
      'm.text',
      'm.full_text',
      'm.subject',
      'm.status',
      'm.failure_reason',
      'm.created_at',
      'm.updated_at',
      'm.sent_at',
      'm.scheduled_for',
      's.account',
      'c.name as contact_name',
      db.raw(`${attachmentsOf('m')} as attachments`),
      'm.edited_at',
      'm.inbound_kind',
      'm.provider_status_message',
      'm.provider_error_code',
      db.raw(`coalesce((select jsonb_agg(jsonb_build_object('text', v.text, 'replacedAt', v.replaced_at)
                         order by v.replaced_at)
                          from message_versions v where v.message_id = m.id), '[]'::jsonb) as versions`),
      db.raw(`coalesce((select jsonb_agg(jsonb_build_object('position', f.position, 'state', f.state,
                         'contentType', f.content_type, 'filename', f.filename, 'failureReason', f.failure_reason)
                         order by f.position)
                          from inbound_files f where f.message_id = m.id and f.state <> 'stored'), '[]'::jsonb)
               as unstored_files`),
    );
}

const HISTORY_LIMIT = 1000;

/** The messages of sessions, oldest first within each (the caller has checked access to them). */
export function messagesOfSessions(db: Knex, sessionIds: readonly string[]): Promise<MessageRecord[]> {
  if (sessionIds.length === 0) return Promise.resolve([]);
  return messagesQuery(db)
    .whereIn('m.session_id', sessionIds)
    .orderBy([{ column: 'm.created_at' }, { column: 'm.id' }])
    .limit(HISTORY_LIMIT * sessionIds.length);
}

/** One file of a message of this session, with its bytes (the caller has checked access to the session). */
export async function attachmentOfSessionMessage(
  db: Knex,
  sessionId: string,
  messageId: string,
  position: number,
): Promise<{ filename: string; contentType: string; content: Buffer } | undefined> {
  if (!isUuid(messageId)) return undefined;
  const inSession = await db('messages').where({ id: messageId, session_id: sessionId }).first('id');
  return inSession ? messageAttachment(db, messageId, position) : undefined;
}

export function messageById(db: Knex, id: string): Promise<MessageRecord | undefined> {
  return messagesQuery(db).where('m.id', id).first();
}

/** These messages as they are now, in any live chat (the live feed filters them). */
export function messagesByIds(db: Knex, ids: readonly string[]): Promise<MessageRecord[]> {
  const uuids = ids.filter(isUuid);
  if (uuids.length === 0) return Promise.resolve([]);
  return messagesQuery(db)
    .whereIn('m.id', uuids)
    .orderBy([{ column: 'm.updated_at' }, { column: 'm.id' }]);
}

export function messageByIdempotencyKey(db: Knex, key: string): Promise<MessageRecord | undefined> {
  return messagesQuery(db).where('m.idempotency_key', key).first();
}

/** Messages changed after `since` in any live chat, oldest change first (the live feed filters them). */
export function messagesChangedSince(db: Knex, since: Date, limit: number): Promise<MessageRecord[]> {
  return messagesQuery(db)
    .where('m.updated_at', '>', since)
    .orderBy([{ column: 'm.updated_at' }, { column: 'm.id' }])
    .limit(limit);
}

export async function databaseNow(db: Knex): Promise<Date> {
  const result: { rows: { now: Date }[] } = await db.raw('select now() as now');
  const now = result.rows[0]?.now;
  if (!now) throw new Error('select now() returned no row');
  return now;
}

/** The session an operator's request (its idempotency key) opened, if it has yet. */
export async function sessionIdByIdempotencyKey(db: Knex, key: string): Promise<string | undefined> {
  const row: { id: string } | undefined = await db('sessions').where({ idempotency_key: key }).first('id');
  return row?.id;
}

/** Closes an open session; a closed one stays as it was. */
export async function closeSession(db: Knex, sessionId: string, now: Date): Promise<void> {
  await db('sessions').where({ id: sessionId, state: 'open' }).update({ state: 'closed', closed_at: now });
}

export interface ContactRecord {
  id: string;
  app: string;
  name: string;
  fields: { field: string; type: 'account' | 'email'; kind: AccountKind; value: string }[];
}

/** `%`, `_` and `\` match themselves in a LIKE pattern built from what an operator typed. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const CONTACT_SEARCH_LIMIT = 20;

/**
 * Contacts of the given apps whose name or one of whose account values contains `q` (any case). A
 * phone number typed with spaces or dashes also matches its E.164 form.
 */
export async function searchContacts(db: Knex, apps: readonly string[], q: string): Promise<ContactRecord[]> {
  if (apps.length === 0) return [];
  const text = q.trim();
  const compact = text.replace(/[\s().-]/g, '');
  const query = db('contacts as c')
    .whereIn('c.app', apps)
    .orderBy([{ column: 'c.name' }, { column: 'c.id' }])
    .limit(CONTACT_SEARCH_LIMIT)
    .select('c.id', 'c.app', 'c.name');
  if (text !== '') {
    query.where((match) =>
      match.whereILike('c.name', likePattern(text)).orWhereExists((fields) =>
        fields
          .select(db.raw('1'))
          .from('contact_fields as f')
          .whereRaw('f.contact_id = c.id')
          .where((value) =>
            value.whereILike('f.value', likePattern(text)).orWhereILike('f.value', likePattern(compact)),
          ),
      ),
    );
  }
  const rows: { id: string; app: string; name: string }[] = await query;
  return withFields(db, rows);
}

/** A contact of one of the given apps (the bound apps of the operator's live chats). */
export async function contactInApps(
  db: Knex,
  apps: readonly string[],
  contactId: string,
): Promise<ContactRecord | undefined> {
  if (apps.length === 0) return undefined;
  const row: { id: string; app: string; name: string } | undefined = await db('contacts')
    .where({ id: contactId })
    .whereIn('app', apps)
    .first('id', 'app', 'name');
  if (!row) return undefined;
  const [contact] = await withFields(db, [row]);
  return contact;
}

async function withFields(
  db: Knex,
  contacts: { id: string; app: string; name: string }[],
): Promise<ContactRecord[]> {
  if (contacts.length === 0) return [];
  const fields: {
    contact_id: string;
    field: string;
    type: 'account' | 'email';
    kind: AccountKind;
    value: string;
  }[] = await db('contact_fields')
    .whereIn(
      'contact_id',
      contacts.map((c) => c.id),
    )
    .orderBy(['contact_id', 'field', 'position'])
    .select('contact_id', 'field', 'type', 'kind', 'value');
  return contacts.map((c) => ({
    ...c,
    fields: fields
      .filter((f) => f.contact_id === c.id)
      .map((f) => ({ field: f.field, type: f.type, kind: f.kind, value: f.value })),
  }));
}

/** One account's consent in one live chat, as the customer's page lists it. */
export interface ConsentRecord {
  live_chat_id: string;
  account_kind: AccountKind;
  account: string;
  state: ConsentState;
  method: ConsentMethod;
  channel_id: string | null;
  changed_at: Date;
}

/** The consent decisions of a contact's accounts in these live chats. */
export function consentsOfContact(
  db: Knex,
  contactId: string,
  liveChatIds: readonly string[],
): Promise<ConsentRecord[]> {
  return db('consents as co')
    .whereIn('co.live_chat_id', liveChatIds)
    .whereExists((fields) =>
      fields
        .select(db.raw('1'))
        .from('contact_fields as f')
        .where('f.contact_id', contactId)
        .whereRaw('f.kind = co.account_kind and f.value = co.account'),
    )
    .orderBy(['co.live_chat_id', 'co.account_kind', 'co.account'])
    .select(
      'co.live_chat_id',
      'co.account_kind',
      'co.account',
      'co.state',
      'co.method',
      'co.channel_id',
      'co.changed_at',
    );
}
