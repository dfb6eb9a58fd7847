import { ApplicationFailure, log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { PermanentDeliveryError, TransientDeliveryError, type ChannelAdapters } from '../channels/adapter';
import { getChannel } from '../db/live-chats';
import { markFailed, markSent, providerIdsOfSession } from '../db/messages';
import type { MessageRow } from '../db/rows';
import { getSession } from '../db/sessions';
import { DeliveryFailed } from '../domain/errors';
import type { DeliveryStatus } from '../domain/types';

export interface DispatchResult {
  status: DeliveryStatus;
  providerMessageId: string | null;
}

/**
 * Hands a pending message to its channel's adapter and records the outcome. A message that is no
 * longer pending was dispatched already (a retry after the commit): it is reported, not sent again.
 * A transient provider error is retried by Temporal with backoff (after the provider's retry-after
 * when it gave one); a permanent refusal marks the message failed once, with the reason operators
 * see, and fails the step with `DeliveryFailed`.
 */
export async function dispatchMessage(
  db: Knex,
  channels: ChannelAdapters,
  messageId: string,
  now: () => Date,
): Promise<DispatchResult> {
  // The message row stays locked from the look at its status until the outcome is recorded, so
  // concurrent dispatches of one message (processes given the same idempotency key, a retry while
  // the first attempt still runs) hand it to the provider once: the others wait, then find it sent.
  const outcome = await db.transaction((trx) => dispatchLocked(trx, channels, messageId, now));
  // Thrown after the commit, so the message stays marked failed.
  if (outcome instanceof DeliveryFailed) throw outcome;
  return outcome;
}

async function dispatchLocked(
  db: Knex,
  channels: ChannelAdapters,
  messageId: string,
  now: () => Date,
): Promise<DispatchResult | DeliveryFailed> {
  const message = await db<MessageRow>('messages').where({ id: messageId }).forUpdate().first();
  if (!message) throw new Error(`message ${messageId} does not exist`);
  if (message.status !== 'pending') return settled(message);

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
      channel: { id: channel.id, kind: channel.kind, name: channel.name, settings: channel.settings },
      to: session.account,
      text: message.text,
      ...(message.subject !== null ? { subject: message.subject } : {}),
      earlierProviderMessageIds: await providerIdsOfSession(db, session.id),
      lastInboundAt: session.last_inbound_at,
    });
    await markSent(db, message.id, outcome.providerMessageId, now());
    return { status: 'sent', providerMessageId: outcome.providerMessageId };
  } catch (error) {
    if (error instanceof TransientDeliveryError) {
      throw ApplicationFailure.create({
        type: 'ProviderUnavailable',
        message: error.message,
        ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
      });
    }
    if (!(error instanceof PermanentDeliveryError)) throw error;
    log.warn('provider refused the message for good', {
      messageId,
      reason: error.message,
      code: error.providerCode,
    });
    await markFailed(db, message.id, error.message, now());
    return new DeliveryFailed({
      messageId: message.id,
      sessionId: session.id,
      reason: error.message,
      ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
    });
  }
}

/** A message dispatched before: its outcome, as the first dispatch reported it. */
function settled(message: MessageRow): DispatchResult {
  if (message.status === 'failed') {
    throw new DeliveryFailed({
      messageId: message.id,
      sessionId: message.session_id,
      reason: message.failure_reason ?? 'refused by the provider',
    });
  }
  return { status: message.status, providerMessageId: message.provider_message_id };
}
