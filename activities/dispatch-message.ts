import { log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { PermanentDeliveryError, type ChannelAdapters } from '../channels/adapter';
import { getChannel } from '../db/live-chats';
import { getMessage, markFailed, markSent } from '../db/messages';
import { getSession } from '../db/sessions';
import type { DeliveryStatus } from '../domain/types';

export interface DispatchResult {
  status: DeliveryStatus;
  providerMessageId: string | null;
  failureReason: string | null;
}

/**
 * Hands a pending message to its channel's adapter and records the outcome. A message that is no
 * longer pending was dispatched already (a retry after the commit): it is reported, not sent again.
 * Transient provider errors propagate, so Temporal retries with backoff; a permanent refusal marks
 * the message failed once, with the reason operators will see.
 */
export async function dispatchMessage(
  db: Knex,
  channels: ChannelAdapters,
  messageId: string,
  now: () => Date,
): Promise<DispatchResult> {
  const message = await getMessage(db, messageId);
  if (!message) throw new Error(`message ${messageId} does not exist`);
  if (message.status !== 'pending') return resultOf(message);

  const session = await getSession(db, message.session_id);
  const channel = session && (await getChannel(db, session.channel_id));
  if (!session || !channel) throw new Error(`message ${messageId} has no session or channel`);
  const adapter = channels[channel.kind];
  if (!adapter) throw new Error(`no adapter is configured for ${channel.kind} channels on this worker`);

  try {
    const outcome = await adapter.send({
      messageId: message.id,
      sessionId: session.id,
      sessionName: session.name,
      channel: { id: channel.id, kind: channel.kind, settings: channel.settings },
      to: session.account,
      text: message.text,
      ...(message.subject !== null ? { subject: message.subject } : {}),
    });
    await markSent(db, message.id, outcome.providerMessageId, now());
  } catch (error) {
    if (!(error instanceof PermanentDeliveryError)) throw error;
    log.warn('provider refused the message for good', { messageId, reason: error.message });
    await markFailed(db, message.id, error.message, now());
  }
  const updated = await getMessage(db, messageId);
  if (!updated) throw new Error(`message ${messageId} vanished`);
  return resultOf(updated);
}

function resultOf(message: {
  status: DeliveryStatus;
  provider_message_id: string | null;
  failure_reason: string | null;
}): DispatchResult {
  return {
    status: message.status,
    providerMessageId: message.provider_message_id,
    failureReason: message.failure_reason,
  };
}
