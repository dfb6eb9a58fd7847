import type { Knex } from 'knex';
import type { AuthorKind, ChannelKind, DeliveryStatus } from '../domain/types';
import { attachmentsOf, type AttachmentRef } from './attachments';

/** A pending message leased to one dispatch attempt, with what its adapter needs. */
export interface LeasedMessage {
  id: string;
  session_id: string;
  author_kind: AuthorKind;
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
  /** The message's files, in order, without their bytes. */
  attachments: AttachmentRef[];
  /**
   * A process's message whose customer opted out of the live chat since it was prepared (a
   * scheduled send, a bulk racing the opt-out): it must not go. How and when, or null.
   */
  opted_out: { method: string; at: string; channelId: string | null } | null;
  live_chat_id: string;
  /** Provider ids of the session's earlier messages, oldest first (email threading). */
  earlier_provider_ids: string[];
  /**
   * Set when an earlier attempt began handing this message over and its outcome is unknown (killed,
   * or the answer lost): since when the provider may already have it.
   */
  uncertain_since: Date | null;
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
  // \`prior\` is the row as it was before this statement: its uncertainty is the earlier attempts'.
  const result = await db.raw<{ rows: LeasedMessage[] }>(
    `update messages m
        set dispatch_lease_until = now() + make_interval(secs => :leaseSeconds),
            dispatch_uncertain_since = coalesce(m.dispatch_uncertain_since, now())
       from messages prior, sessions s join channels c on c.id = s.channel_id
      where m.id = :messageId and prior.id = m.id and s.id = m.session_id and m.status = 'pending'
        and (m.dispatch_lease_until is null or m.dispatch_lease_until < now())
      returning prior.dispatch_uncertain_since as uncertain_since, m.id, m.session_id, m.author_kind, m.text, m.subject, m.whatsapp_template, s.name as session_name, s.account, s.last_inbound_at,
                c.id as channel_id, c.kind as channel_kind, c.name as channel_name, c.settings as channel_settings,
                array(select e.provider_message_id from messages e
                       where e.session_id = m.session_id and e.provider_message_id is not null
                       order by e.created_at, e.id) as earlier_provider_ids,
                ${attachmentsOf('m')} as attachments, s.live_chat_id,
                case when m.author_kind = 'process' then (
                  select jsonb_build_object('method', co.method, 'at', co.changed_at, 'channelId', co.channel_id)
                    from consents co
                   where co.live_chat_id = s.live_chat_id and co.state = 'opted-out'
                     and ((co.account_kind = s.account_kind and co.account = s.account)
                          or exists (select 1 from contact_fields f
                                      where f.contact_id = s.contact_id and f.kind = co.account_kind
                                        and f.value = co.account))
                     and (co.method <> 'telegram-block' or co.channel_id = s.channel_id)
                   limit 1) end as opted_out`,
    { messageId, leaseSeconds: leaseMs / 1_000 },
  );
  return result.rows[0];
}

/** Extends a live attempt's lease, while its provider call runs; no-op once the message is settled. */
export async function renewLease(db: Knex, messageId: string, leaseMs: number): Promise<void> {
  await db.raw(
    `update messages set dispatch_lease_until = now() + make_interval(secs => :leaseSeconds)
      where id = :messageId and status = 'pending'`,
    { messageId, leaseSeconds: leaseMs / 1_000 },
  );
}

/**
 * Gives the lease back after a failed attempt, so the retry need not wait for it to run out.
 * `notSent`: the provider answered that it did not take the message (a 429, a 5xx with an error
 * body), so the next attempt sends without asking; otherwise (a timeout, a dropped connection) it
 * may have, and the next attempt asks first.
 */
export async function releaseLease(
  db: Knex,
  messageId: string,
  outcome: { notSent: boolean },
): Promise<void> {
  await db('messages')
    .where({ id: messageId, status: 'pending' })
    .update({
      dispatch_lease_until: null,
      ...(outcome.notSent ? { dispatch_uncertain_since: null } : {}),
    });
}

/** Which of these provider ids are recorded for some message already. */
export async function recordedProviderIds(db: Knex, providerIds: string[]): Promise<Set<string>> {
  if (providerIds.length === 0) return new Set();
  const rows = await db('messages').whereIn('provider_message_id', providerIds).select('provider_message_id');
  return new Set(rows.map((row: { provider_message_id: string }) => row.provider_message_id));
}

export interface MessageStatus {
  status: DeliveryStatus;
  session_id: string;
  provider_message_id: string | null;
  failure_reason: string | null;
}
