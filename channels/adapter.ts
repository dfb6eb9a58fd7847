import type { ChannelKind } from '../domain/types';

/** One outbound message as a channel adapter needs it: already validated and addressed. */
export interface OutboundMessage {
  messageId: string;
  sessionId: string;
  sessionName: string;
  channel: { id: string; kind: ChannelKind; settings: Record<string, unknown> };
  /** The normalised account: E.164 phone, email address, Telegram chat id. */
  to: string;
  text: string;
  subject?: string;
}

export interface SendOutcome {
  /** The provider's own id for the message (Twilio SID, SMTP Message-ID, Telegram message_id). */
  providerMessageId: string;
}

/**
 * The one interface every channel kind implements. Throw `PermanentDeliveryError` when the provider
 * refuses for good (invalid number, blocked bot, address rejected); any other error is treated as
 * transient and retried by Temporal with backoff.
 */
export interface ChannelAdapter {
  send(message: OutboundMessage): Promise<SendOutcome>;
}

export type ChannelAdapters = Partial<Record<ChannelKind, ChannelAdapter>>;

/** A refusal that retrying cannot fix: the message fails once, visibly, with this reason. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}
