import type { ChannelKind } from '../domain/types';

/** A pre-approved WhatsApp template (Twilio Content API): needed outside the 24-hour window. */
export interface WhatsAppTemplate {
  contentSid: string;
  variables?: Record<string, string>;
}

/** A file sent with a message: checked against the channel's limits before it was stored. */
export interface OutboundAttachment {
  /** Its place in the message, from 0: with the message id, what a media URL names. */
  position: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Reads the bytes (from the database), for adapters that upload them. */
  content(): Promise<Buffer>;
}

/** One outbound message as a channel adapter needs it: already validated and addressed. */
export interface OutboundMessage {
  messageId: string;
  sessionId: string;
  sessionName: string;
  channel: { id: string; kind: ChannelKind; name: string; settings: Record<string, unknown> };
  /** The normalised account: E.164 phone, email address, Telegram chat id. */
  to: string;
  text: string;
  subject?: string;
  /**
   * Provider ids of the session's earlier messages, oldest first: email threads a new message
   * into its session with In-Reply-To / References built from them.
   */
  earlierProviderMessageIds: string[];
  /** When the customer last wrote in this session: WhatsApp allows free-form text for 24 hours after. */
  lastInboundAt: Date | null;
  whatsappTemplate?: WhatsAppTemplate;
  /** The files to send with the text, in order (none: a text message). */
  attachments?: OutboundAttachment[];
  /** A business process wrote it (not an operator): email gives such mail a one-click unsubscribe. */
  fromProcess?: boolean;
}

export interface SendOutcome {
  /** The provider's own id for the message (Twilio SID, SMTP Message-ID, Telegram message_id). */
  providerMessageId: string;
}

/**
 * The one interface every channel kind implements. Adding a kind (Viber, a custom messenger) means
 * one more adapter and one more row in the channel table (domain/channels.ts).
 *
 * Errors are classified once, here: throw `PermanentDeliveryError` when the provider refuses for good
 * (invalid number, blocked bot, address rejected) and `TransientDeliveryError` when it asks to come
 * back later (429 with retry-after, 5xx, SMTP 4xx). Anything else (network errors, timeouts) is
 * treated as transient too and retried by Temporal with backoff.
 */
export interface ChannelAdapter {
  send(message: OutboundMessage): Promise<SendOutcome>;
  /**
   * For providers that can be asked (Twilio lists sent messages; SMTP and the Bot API cannot): the
   * provider ids of messages matching this one that the provider took since `since`, newest first.
   * Dispatch asks before sending again after an attempt whose outcome is unknown, and records the
   * first id no other message has instead of delivering twice.
   */
  findDelivered?(message: OutboundMessage, since: Date): Promise<string[]>;
  /** Releases pooled connections on worker shutdown. */
  close?(): Promise<void>;
}

export type ChannelAdapters = Partial<Record<ChannelKind, ChannelAdapter>>;

/** A refusal that retrying cannot fix: the message fails once, visibly, with this reason. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
  constructor(
    message: string,
    /** The provider's own error code (Twilio 21211, SMTP 550, Telegram 403), for operators and logs. */
    readonly providerCode?: string,
  ) {
    super(message);
  }
}

/** The provider asked us to come back later; `retryAfterMs` is honoured when it says how long. */
export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    /**
     * The request may have reached the provider (a timeout, a connection reset after sending):
     * the retry asks the provider first where it can (`findDelivered`). False when the provider
     * answered "not now" or could not be reached at all.
     */
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}
