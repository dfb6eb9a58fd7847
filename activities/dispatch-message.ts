import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Knex } from 'knex';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type ChannelAdapter,
  type ChannelAdapters,
  type OutboundMessage,
  type SendOutcome,
} from '../channels/adapter';
import {
  leaseForDispatch,
  recordedProviderIds,
  releaseLease,
  renewLease,
  type LeasedMessage,
} from '../db/dispatch-lease';
import { attachmentContent } from '../db/attachments';
import { getMessage, markFailed, markSent } from '../db/messages';
import { DeliveryFailed, DispatchInProgress, ProviderUnavailable, RecipientOptedOut } from '../domain/errors';
import { openGate, type DispatchGate } from './rate-gate';
import type { DeliveryStatus } from '../domain/types';
import { errorField, scrub, silentLogger, type Logger } from '../infra/logger';
import type { LiveChatMetrics } from '../infra/metrics';
import { liveChatTracer } from '../infra/telemetry';

/** Where a dispatch reports what happened; both optional (tests, the benchmark). */
export interface DispatchTelemetry {
  /** Lines carry the message's and session's ids and the provider's code, never the address or the text. */
  logger?: Logger;
  metrics?: LiveChatMetrics;
}

export interface DispatchResult {
  status: DeliveryStatus;
  providerMessageId: string | null;
}

/**
 * A live attempt renews its lease (and heartbeats to Temporal) every `RENEW_EVERY_MS` while it
 * runs, so the lease only runs out `LEASE_MS` after an attempt died: that, and the dispatch step's
 * heartbeat timeout (workflows/activity-options.ts), is how long a killed worker delays a send.
 */
const LEASE_MS = 30_000;
const RENEW_EVERY_MS = 5_000;

/**
 * Hands a pending message to its channel's adapter and records the outcome, in two round trips.
 * The message is leased to one attempt at a time, so concurrent dispatches of one message
 * (processes given the same idempotency key, a retry while a slow attempt still runs) hand it to
 * the provider once; a message no longer pending was dispatched already and is reported, not sent
 * again. A transient provider error is retried by Temporal with backoff (after the provider's
 * retry-after when it gave one); a permanent refusal marks the message failed once, with the reason
 * operators see, and fails the step with `DeliveryFailed`.
 */
export async function dispatchMessage(
  db: Knex,
  channels: ChannelAdapters,
  messageId: string,
  now: () => Date,
  /** Tells Temporal the attempt is alive (the activity's heartbeat); nothing outside an activity. */
  keepAlive: () => void = () => undefined,
  telemetry: DispatchTelemetry = {},
  /** Waits for the channel's rate (activities/rate-gate.ts) before the message goes to the provider. */
  gate: DispatchGate = openGate,
): Promise<DispatchResult> {
  const logger = (telemetry.logger ?? silentLogger).child({ messageId });
  const leased = await leaseForDispatch(db, messageId, LEASE_MS);
  if (!leased) return settledOrInProgress(db, messageId);
  const renewal = setInterval(() => {
    keepAlive();
    renewLease(db, messageId, LEASE_MS).catch((error: unknown) =>
      logger.warn({ error: errorField(error) }, 'could not renew the dispatch lease'),
    );
  }, RENEW_EVERY_MS);
  try {
    return await dispatchLeased(
      db,
      channels,
      leased,
      now,
      logger.child({ sessionId: leased.session_id }),
      telemetry.metrics,
      gate,
    );
  } finally {
    clearInterval(renewal);
  }
}

async function dispatchLeased(
  db: Knex,
  channels: ChannelAdapters,
  leased: LeasedMessage,
  now: () => Date,
  logger: Logger,
  metrics: LiveChatMetrics | undefined,
  gate: DispatchGate,
): Promise<DispatchResult> {
  const messageId = leased.id;
  const channel = leased.channel_kind;
  if (leased.opted_out) {
    // Prepared before the customer opted out (held for its time, or a bulk racing the opt-out).
    await persistently(
      () => markFailed(db, leased.id, 'not sent: the customer opted out before it went', now()),
      logger,
    );
    metrics?.messages.inc({ channel, status: 'failed' });
    logger.info({ channel }, 'not sent: the customer opted out');
    throw new RecipientOptedOut({
      liveChatId: leased.live_chat_id,
      reason: 'opted-out',
      method: leased.opted_out.method,
      optedOutAt: new Date(leased.opted_out.at).toISOString(),
      ...(leased.opted_out.channelId ? { channelId: leased.opted_out.channelId } : {}),
    });
  }
  let outcome: SendOutcome;
  const timer = metrics?.dispatchDuration.startTimer({ channel });
  try {
    const adapter = channels[leased.channel_kind];
    if (!adapter)
      throw new Error(`no adapter is configured for ${leased.channel_kind} channels on this worker`);
    const outbound = outboundOf(db, leased);
    // An earlier attempt that may have sent it: ask the provider first, where it can be asked.
    outcome =
      (await deliveredEarlier(db, adapter, outbound, leased.uncertain_since, logger)) ??
      (await gate(leased.channel_kind).then(() => tracedSend(adapter, outbound)));
    timer?.({ outcome: 'sent' });
  } catch (error) {
    timer?.({ outcome: error instanceof PermanentDeliveryError ? 'refused' : 'error' });
    if (error instanceof PermanentDeliveryError) {
      // The provider's text can quote the address ("Invalid 'To' Phone Number: +49…"): scrubbed.
      logger.warn(
        { channel, code: error.providerCode ?? null, reason: scrub(error.message) },
        'provider refused the message for good',
      );
      metrics?.providerErrors.inc({ channel, kind: 'permanent', code: error.providerCode ?? 'none' });
      await persistently(() => markFailed(db, leased.id, error.message, now()), logger);
      metrics?.messages.inc({ channel, status: 'failed' });
      throw new DeliveryFailed({
        messageId: leased.id,
        sessionId: leased.session_id,
        reason: error.message,
        ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
      });
    }
    // A provider's "come back later" means it did not take the message; anything else may hide a send.
    await releaseLease(db, messageId, {
      notSent: error instanceof TransientDeliveryError && !error.outcomeUnknown,
    });
    if (error instanceof TransientDeliveryError) {
      const code = error.outcomeUnknown ? 'outcome_unknown' : 'unavailable';
      metrics?.providerErrors.inc({ channel, kind: 'transient', code });
      logger.info(
        { channel, code, error: errorField(error), retryAfterMs: error.retryAfterMs ?? null },
        'provider unavailable; Temporal retries the dispatch',
      );
      throw new ProviderUnavailable({
        messageId,
        reason: error.message,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      });
    }
    // A connection refused or dropped, a timeout: retried like a provider's "not now".
    metrics?.providerErrors.inc({ channel, kind: 'transient', code: 'error' });
    logger.warn({ channel, error: errorField(error) }, 'dispatch failed; Temporal retries it');
    throw error;
  }
  // The provider has the message. Losing this record would send it again once the lease runs out,
  // so a database hiccup here (a cut connection, a failover) is waited out rather than given up on;
  // if it lasts, the lease stays, and no other attempt sends before it ends.
  await persistently(() => markSent(db, leased.id, outcome.providerMessageId, now()), logger);
  metrics?.messages.inc({ channel, status: 'sent' });
  // Not the provider's id: Telegram's carries the chat id.
  logger.info({ channel }, 'message handed to the provider');
  return { status: 'sent', providerMessageId: outcome.providerMessageId };
}

/**
 * The provider's call in a span of its own (a child of the activity's when traces are on; nothing
 * when they are off), with the channel kind and the provider's code: no address, no text.
 */
function tracedSend(adapter: ChannelAdapter, outbound: OutboundMessage): Promise<SendOutcome> {
  const kind = outbound.channel.kind;
  return liveChatTracer().startActiveSpan(
    `provider send ${kind}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'livechat.channel': kind, 'livechat.message_id': outbound.messageId },
    },
    async (span) => {
      try {
        return await adapter.send(outbound);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.name : 'error',
        });
        if (error instanceof PermanentDeliveryError) {
          span.setAttribute('livechat.outcome', 'refused');
          if (error.providerCode !== undefined)
            span.setAttribute('livechat.provider_code', error.providerCode);
        } else span.setAttribute('livechat.outcome', 'error');
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function outboundOf(db: Knex, leased: LeasedMessage): OutboundMessage {
  return {
    messageId: leased.id,
    sessionId: leased.session_id,
    sessionName: leased.session_name,
    channel: {
      id: leased.channel_id,
      kind: leased.channel_kind,
      name: leased.channel_name,
      settings: leased.channel_settings,
    },
    to: leased.account,
    text: leased.text,
    ...(leased.author_kind === 'process' ? { fromProcess: true } : {}),
    ...(leased.subject !== null ? { subject: leased.subject } : {}),
    earlierProviderMessageIds: leased.earlier_provider_ids,
    lastInboundAt: leased.last_inbound_at,
    ...(leased.whatsapp_template ? { whatsappTemplate: leased.whatsapp_template } : {}),
    ...(leased.attachments.length > 0
      ? {
          attachments: leased.attachments.map((a) => ({
            ...a,
            content: () => attachmentContent(db, a.sha256),
          })),
        }
      : {}),
  };
}

/**
 * After an attempt whose outcome is unknown, asks the provider whether the message arrived and
 * takes the newest matching provider id that no other message has recorded.
 */
async function deliveredEarlier(
  db: Knex,
  adapter: ChannelAdapter,
  message: OutboundMessage,
  uncertainSince: Date | null,
  logger: Logger,
): Promise<SendOutcome | undefined> {
  if (!uncertainSince || !adapter.findDelivered) return undefined;
  const candidates = await adapter.findDelivered(message, uncertainSince);
  const taken = await recordedProviderIds(db, candidates);
  const providerMessageId = candidates.find((id) => !taken.has(id));
  if (providerMessageId === undefined) return undefined;
  logger.info('an earlier attempt had delivered the message: recording it instead of sending again');
  return { providerMessageId };
}

/** Runs an idempotent write until it succeeds, for about 6 seconds: 100 ms, then twice as long each time. */
async function persistently(write: () => Promise<void>, logger: Logger): Promise<void> {
  for (let attempt = 0, delayMs = 100; ; attempt++, delayMs *= 2) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 5) throw error;
      logger.warn({ error: errorField(error) }, 'recording the outcome of a send failed; trying again');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** A message dispatched before is reported as it ended; one being dispatched right now is retried. */
async function settledOrInProgress(db: Knex, messageId: string): Promise<DispatchResult> {
  const message = await getMessage(db, messageId);
  if (!message) throw new Error(`message ${messageId} does not exist`);
  if (message.status === 'failed') {
    throw new DeliveryFailed({
      messageId: message.id,
      sessionId: message.session_id,
      reason: message.failure_reason ?? 'refused by the provider',
    });
  }
  if (message.status !== 'pending')
    return { status: message.status, providerMessageId: message.provider_message_id };
  // Another attempt holds the lease: by the retry it has recorded the outcome (or its lease ran out).
  throw new DispatchInProgress({ messageId });
}
