import type { Knex } from 'knex';
import type { AccountKind, BulkRecipient } from '../domain/types';
import type { BulkRecipientRow, BulkRunRow } from './rows';

export function getBulkRun(db: Knex, id: string): Promise<BulkRunRow | undefined> {
  return db<BulkRunRow>('bulk_runs').where({ id }).first();
}

/** Whom a bulk run sends to: the recipients given, or the contacts a query over the bound app selects. */
export type AudienceSource =
  | { recipients: BulkRecipient[] }
  | { app: string; accountKind: AccountKind; where: Record<string, string | number | boolean> };

const LIST_CHUNK = 1_000;

/**
 * Records the run and its audience in one transaction and returns how many recipients it has. The
 * run's id is the workflow id, so a retried planning step finds the run it already made instead of
 * resolving the audience again (contacts added meanwhile do not change a run that has started).
 */
export async function planBulkRun(
  db: Knex,
  run: { id: string; liveChatId: string; channelId: string },
  audience: AudienceSource,
): Promise<{ total: number }> {
  return db.transaction(async (trx) => {
    const inserted = await trx('bulk_runs')
      .insert({ id: run.id, live_chat_id: run.liveChatId, channel_id: run.channelId, total: 0 })
      .onConflict('id')
      .ignore()
      .returning('id');
    if (inserted.length === 0) {
      const existing = await trx<BulkRunRow>('bulk_runs').where({ id: run.id }).first('total');
      return { total: existing?.total ?? 0 };
    }
    let total: number;
    if ('recipients' in audience) {
      for (let start = 0; start < audience.recipients.length; start += LIST_CHUNK) {
        const chunk = audience.recipients.slice(start, start + LIST_CHUNK);
        await trx('bulk_recipients').insert(
          chunk.map((recipient, k) => ({
            bulk_id: run.id,
            position: start + k + 1,
            recipient: JSON.stringify(recipient),
          })),
        );
      }
      total = audience.recipients.length;
    } else {
      // One statement, however many contacts match: ordered by id, so positions are stable.
      const result = await trx.raw(
        `insert into bulk_recipients (bulk_id, position, recipient)
         select ?, row_number() over (order by c.id), jsonb_build_object('contactId', c.id)
           from contacts c
          where c.app = ? and c.data @> ?::jsonb
            and exists (select 1 from contact_fields f where f.contact_id = c.id and f.kind = ?)`,
        [run.id, audience.app, JSON.stringify(audience.where), audience.accountKind],
      );
      total = (result as { rowCount: number }).rowCount;
    }
    await trx('bulk_runs').where({ id: run.id }).update({ total });
    return { total };
  });
}

/** Removes a run that turned out to have nobody to send to, so the refusal leaves nothing behind. */
export async function dropBulkRun(db: Knex, id: string): Promise<void> {
  await db('bulk_runs').where({ id }).delete();
}

/** The next recipients after `after`, in order. */
export async function bulkRecipientsAfter(
  db: Knex,
  id: string,
  after: number,
  limit: number,
): Promise<{ position: number; recipient: BulkRecipient }[]> {
  return db<BulkRecipientRow>('bulk_recipients')
    .where({ bulk_id: id })
    .andWhere('position', '>', after)
    .orderBy('position')
    .limit(limit)
    .select('position', 'recipient');
}

export interface BulkOutcome {
  position: number;
  status: 'sent' | 'failed' | 'scheduled';
  messageId?: string;
  failureType?: string;
  failureReason?: string;
}

/**
 * Records a page of outcomes in one statement; recording the same page again changes nothing.
 * Returns the statuses of the recipients it changed (none when the page had been recorded).
 */
export async function recordBulkOutcomes(
  db: Knex,
  id: string,
  outcomes: BulkOutcome[],
): Promise<BulkOutcome['status'][]> {
  if (outcomes.length === 0) return [];
  const result = await db.raw<{ rows: { status: BulkOutcome['status'] }[] }>(
    `update bulk_recipients r
        set status = o.status, message_id = o."messageId",
            failure_type = o."failureType", failure_reason = o."failureReason"
       from jsonb_to_recordset(?::jsonb)
            as o(position int, status text, "messageId" uuid, "failureType" text, "failureReason" text)
      where r.bulk_id = ? and r.position = o.position and r.status is distinct from o.status
      returning r.status`,
    [JSON.stringify(outcomes), id],
  );
  return result.rows.map((row) => row.status);
}

/** Ends a run: recipients never attempted are marked cancelled. */
export async function finishBulkRun(
  db: Knex,
  id: string,
  state: 'completed' | 'cancelled',
  now: Date,
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('bulk_recipients').where({ bulk_id: id, status: 'pending' }).update({ status: 'cancelled' });
    await trx('bulk_runs').where({ id }).update({ state, finished_at: now });
  });
}

/** A run's recipients counted by outcome, and refusals by type: the result of a run that has ended. */
export async function bulkRunSummary(
  db: Knex,
  id: string,
): Promise<{ byStatus: Record<string, number>; failuresByType: Record<string, number> }> {
  const rows = await db('bulk_recipients')
    .where({ bulk_id: id })
    .groupBy('status', 'failure_type')
    .select('status', 'failure_type')
    .count<{ status: string; failure_type: string | null; count: string }[]>('* as count');
  const byStatus: Record<string, number> = {};
  const failuresByType: Record<string, number> = {};
  for (const row of rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + Number(row.count);
    if (row.status === 'failed' && row.failure_type)
      failuresByType[row.failure_type] = (failuresByType[row.failure_type] ?? 0) + Number(row.count);
  }
  return { byStatus, failuresByType };
}

/**
 * Recipients held for their quiet hours whose time has come (by the database's clock), earliest
 * first; and, when none has, when the next one's does.
 */
export async function heldRecipientsDue(
  db: Knex,
  id: string,
  limit: number,
): Promise<{ due: { position: number; messageId: string }[]; nextAt: string | null }> {
  const held = () =>
    db('bulk_recipients as r')
      .join('messages as m', 'm.id', 'r.message_id')
      .where({ 'r.bulk_id': id, 'r.status': 'scheduled' });
  const due = await held()
    .andWhere('m.scheduled_for', '<=', db.fn.now())
    .orderBy([{ column: 'm.scheduled_for' }, { column: 'r.position' }])
    .limit(limit)
    .select<{ position: number; messageId: string }[]>('r.position', 'r.message_id as messageId');
  if (due.length > 0) return { due, nextAt: null };
  const next = await held().min<{ at: Date | null }[]>('m.scheduled_for as at');
  return { due, nextAt: next[0]?.at ? next[0].at.toISOString() : null };
}

/**
 * A cancelled run's held recipients: their messages not gone yet are marked cancelled (never sent),
 * and so are the recipients. One statement; a message a dispatch attempt holds is left to it.
 */
export async function cancelHeldRecipients(db: Knex, id: string): Promise<{ cancelled: number }> {
  const result = await db.raw<{ rows: { position: number }[] }>(
    `with held as (
       select position, message_id from bulk_recipients where bulk_id = :id and status = 'scheduled'),
     cancelled as (
       update messages m set status = 'cancelled', updated_at = now()
         from held
        where m.id = held.message_id and m.status = 'pending'
          and (m.dispatch_lease_until is null or m.dispatch_lease_until < now())
       returning m.id)
     update bulk_recipients r set status = 'cancelled'
       from held
      where r.bulk_id = :id and r.position = held.position and held.message_id in (select id from cancelled)
     returning r.position`,
    { id },
  );
  return { cancelled: result.rows.length };
}
