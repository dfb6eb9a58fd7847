import type { Knex } from 'knex';
import { InvalidInput, ScheduledTimeInPast } from '../domain/errors';
import { endOfQuietHours } from '../domain/quiet-hours';
import type { SendLiveChatMessageInput } from '../domain/types';
import type { SendContext } from '../db/send-context';

const MAX_AHEAD_MS = 366 * 24 * 60 * 60 * 1_000;

/** A given time must be ahead, and not absurdly far: checked before anything is read or written. */
export function checkSendAt(sendAt: string | undefined, now: Date): Date | undefined {
  if (sendAt === undefined) return undefined;
  const at = new Date(sendAt);
  if (at.getTime() <= now.getTime())
    throw new ScheduledTimeInPast({ sendAt: at.toISOString(), now: now.toISOString() });
  if (at.getTime() - now.getTime() > MAX_AHEAD_MS)
    throw new InvalidInput({ path: 'sendAt', message: 'must be at most a year ahead' });
  return at;
}

/**
 * When the message may go: the given time, moved to the end of the live chat's quiet hours when it
 * falls in them (in the contact's time zone, else the live chat's); undefined for "now". Urgent
 * messages ignore quiet hours.
 */
export async function scheduleOf(
  db: Knex,
  liveChat: NonNullable<SendContext['liveChat']>,
  recipient: { contactId: string | null } | { sessionId: string },
  input: Pick<SendLiveChatMessageInput, 'urgent'>,
  sendAt: Date | undefined,
  now: Date,
): Promise<Date | undefined> {
  const quiet = liveChat.quiet_hours;
  if (!quiet || input.urgent) return sendAt;
  const timeZone = (await contactTimeZone(db, recipient)) ?? liveChat.time_zone;
  return endOfQuietHours(sendAt ?? now, quiet, timeZone) ?? sendAt;
}

async function contactTimeZone(
  db: Knex,
  recipient: { contactId: string | null } | { sessionId: string },
): Promise<string | null> {
  const query =
    'sessionId' in recipient
      ? db('sessions as s').join('contacts as c', 'c.id', 's.contact_id').where('s.id', recipient.sessionId)
      : recipient.contactId === null
        ? undefined
        : db('contacts as c').where('c.id', recipient.contactId);
  const row = query ? await query.first<{ time_zone: string | null } | undefined>('c.time_zone') : undefined;
  return row?.time_zone ?? null;
}
