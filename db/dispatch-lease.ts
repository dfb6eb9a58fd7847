import type { Knex } from 'knex';
import type { ChannelKind, DeliveryStatus } from '../domain/types';

/** A pending message leased to one dispatch attempt, with what its adapter needs. */
export interface LeasedMessage {
  id: string;
  session_id: string;
  text: string;
  subject: string | null;
  whatsapp_template: { contentSid: string; variables?: Record<string, string> } | null;
  session_name: string;
  account: string;
  last_inbound_at: Date | null;
  channel_id: string;
  channel_kind: ChannelKind;
  channel_name: string;
  channel_settings: Record<string, unknown>;
  /** Provider ids of the session's earlier messages, oldest first (email threading). */
  earlier_provider_ids: string[];
}

/**
 * Leases a pending message to this dispatch attempt for `leaseMs` and returns what the adapter
 * needs, in one statement. Undefined when the message is not pending any more, or another attempt
 * holds an unexpired lease: only one attempt at a time hands a message to the provider.
 */
export async function leaseForDispatch(
  db: Knex,
  messageId: string,
  leaseMs: number,
): Promise<LeasedMessage | undefined> {
  const result = await db.raw<{ rows: LeasedMessage[] }>(
    `update messages m
        set dispatch_lease_until = now() + make_interval(secs => :leaseSeconds)
       from sessions s join channels c on c.id = s.channel_id
      where m.id = :messageId and s.id = m.session_id and m.status = 'pending'
        and (m.dispatch_lease_until is null or m.dispatch_lease_until < now())
      returning m.id, m.session_id, m.text, m.subject, m.whatsapp_template, s.name as session_name, s.account, s.last_inbound_at,
                c.id as channel_id, c.kind as channel_kind, c.name as channel_name, c.settings as channel_settings,
                array(select e.provider_message_id from messages e
                       where e.session_id = m.session_id and e.provider_message_id is not null
                       order by e.created_at, e.id) as earlier_provider_ids`,
    { messageId, leaseSeconds: leaseMs / 1_000 },
  );
  return result.rows[0];
}

/** Gives the lease back after a failed attempt, so the retry need not wait for it to run out. */
export async function releaseLease(db: Knex, messageId: string): Promise<void> {
  await db('messages').where({ id: messageId, status: 'pending' }).update({ dispatch_lease_until: null });
}

export interface MessageStatus {
  status: DeliveryStatus;
  session_id: string;
  provider_message_id: string | null;
  failure_reason: string | null;
}
