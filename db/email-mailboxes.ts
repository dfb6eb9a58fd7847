import type { Knex } from 'knex';

/** How far a mailbox was read: UIDs are only comparable under the same UIDVALIDITY and mailbox. */
export interface MailboxCursor {
  mailbox: string;
  /** As text: UIDVALIDITY is an unsigned 32-bit number, kept exact. */
  uidValidity: string | null;
  lastUid: number;
}

interface CursorRow {
  mailbox: string;
  uid_validity: string | null;
  last_uid: string;
}

const cursorOf = (row: CursorRow): MailboxCursor => ({
  mailbox: row.mailbox,
  uidValidity: row.uid_validity === null ? null : String(row.uid_validity),
  lastUid: Number(row.last_uid),
});

/**
 * Takes (or keeps) the channel's mailbox for `owner` for `leaseMs`: only when no other reader holds
 * an unexpired lease. Returns the cursor when this owner holds it now, else undefined.
 */
export async function acquireMailboxLease(
  db: Knex,
  lease: { channelId: string; mailbox: string; owner: string; leaseMs: number },
): Promise<MailboxCursor | undefined> {
  const result = await db.raw<{ rows: CursorRow[] }>(
    `insert into email_mailboxes (channel_id, mailbox, lease_owner, lease_until)
     values (:channelId, :mailbox, :owner, now() + make_interval(secs => :seconds))
     on conflict (channel_id) do update
        set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, updated_at = now()
      where email_mailboxes.lease_owner = excluded.lease_owner
         or email_mailboxes.lease_until is null or email_mailboxes.lease_until < now()
     returning mailbox, uid_validity::text as uid_validity, last_uid`,
    { ...lease, seconds: lease.leaseMs / 1_000 },
  );
  const row = result.rows[0];
  return row ? cursorOf(row) : undefined;
}

/** The cursor as stored, when `owner` still holds the lease. */
export async function cursorOfHolder(
  db: Knex,
  channelId: string,
  owner: string,
): Promise<MailboxCursor | undefined> {
  const row = await db('email_mailboxes')
    .where({ channel_id: channelId, lease_owner: owner })
    .andWhere('lease_until', '>', db.fn.now())
    .first<CursorRow | undefined>('mailbox', db.raw('uid_validity::text as uid_validity'), 'last_uid');
  return row ? cursorOf(row) : undefined;
}

/**
 * Moves the holder's cursor (and renews its lease). A new UIDVALIDITY or mailbox starts it over
 * at 0. False when the lease was lost: another reader has the mailbox, this one must stop.
 */
export async function advanceCursor(
  db: Knex,
  update: {
    channelId: string;
    owner: string;
    leaseMs: number;
    mailbox: string;
    uidValidity: string;
    lastUid: number;
  },
): Promise<boolean> {
  const count = await db('email_mailboxes')
    .where({ channel_id: update.channelId, lease_owner: update.owner })
    .andWhere('lease_until', '>', db.fn.now())
    .update({
      mailbox: update.mailbox,
      uid_validity: update.uidValidity,
      last_uid: update.lastUid,
      lease_until: db.raw('now() + make_interval(secs => ?)', [update.leaseMs / 1_000]),
      updated_at: db.fn.now(),
    });
  return count > 0;
}

/** The holder's report for health checks (and a renewal of its lease); false when the lease was lost. */
export async function reportMailboxStatus(
  db: Knex,
  report: {
    channelId: string;
    owner: string;
    leaseMs: number;
    connected: boolean;
    lastPollAt: Date | null;
    lastError: string | null;
  },
): Promise<boolean> {
  const count = await db('email_mailboxes')
    .where({ channel_id: report.channelId, lease_owner: report.owner })
    .andWhere('lease_until', '>', db.fn.now())
    .update({
      connected: report.connected,
      last_poll_at: report.lastPollAt,
      last_error: report.lastError,
      lease_until: db.raw('now() + make_interval(secs => ?)', [report.leaseMs / 1_000]),
      updated_at: db.fn.now(),
    });
  return count > 0;
}

/** Extends the holder's lease; false when it was lost (expired and taken, or given up). */
export async function renewMailboxLease(
  db: Knex,
  lease: { channelId: string; owner: string; leaseMs: number },
): Promise<boolean> {
  const count = await db('email_mailboxes')
    .where({ channel_id: lease.channelId, lease_owner: lease.owner })
    .andWhere('lease_until', '>', db.fn.now())
    .update({ lease_until: db.raw('now() + make_interval(secs => ?)', [lease.leaseMs / 1_000]) });
  return count > 0;
}

/** Gives the mailbox up at shutdown, so another worker takes it at once. */
export async function releaseMailboxLease(db: Knex, channelId: string, owner: string): Promise<void> {
  await db('email_mailboxes')
    .where({ channel_id: channelId, lease_owner: owner })
    .update({ lease_owner: null, lease_until: null, connected: false, updated_at: db.fn.now() });
}

/** What a health check in any process reads: each mailbox's reader, as its holder last reported. */
export interface StoredMailboxStatus {
  channelId: string;
  mailbox: string;
  /** Whether a reader holds the mailbox now (an unexpired lease). */
  held: boolean;
  connected: boolean;
  lastPollAt: Date | null;
  lastError: string | null;
  updatedAt: Date;
}

export async function storedMailboxStatuses(db: Knex): Promise<StoredMailboxStatus[]> {
  const rows: {
    channel_id: string;
    mailbox: string;
    held: boolean;
    connected: boolean;
    last_poll_at: Date | null;
    last_error: string | null;
    updated_at: Date;
  }[] = await db('email_mailboxes')
    .orderBy('channel_id')
    .select(
      'channel_id',
      'mailbox',
      db.raw('(lease_until is not null and lease_until > now()) as held'),
      'connected',
      'last_poll_at',
      'last_error',
      'updated_at',
    );
  return rows.map((r) => ({
    channelId: r.channel_id,
    mailbox: r.mailbox,
    held: r.held,
    connected: r.held && r.connected,
    lastPollAt: r.last_poll_at,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  }));
}
