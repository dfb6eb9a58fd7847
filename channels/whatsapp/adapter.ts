import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import type Response from 'twilio/lib/http/response';
import { signMediaUrl } from '../../infra/media-url';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type ChannelAdapter,
  type OutboundMessage,
  type SendOutcome,
} from '../adapter';

export interface WhatsAppAdapterOptions {
  accountSid: string;
  authToken: string;
  /** Another address speaking Twilio's REST API (the sandbox stand-in); unset, Twilio's own. */
  apiUrl?: string;
  /** Public base URL of our webhook server; Twilio posts delivery status callbacks below it. */
  statusCallbackUrl?: string;
  /**
   * Where Twilio fetches a message's files (MediaUrl): the public base URL of our server and the
   * secret its signed media URLs are made with (WEBHOOK_BASE_URL, MEDIA_URL_SECRET).
   */
  media?: { baseUrl: string; secret: string };
  /** Injected so tests can move the 24-hour window. */
  now?: () => Date;
  /** Per-request timeout; the dispatch activity's own timeout is longer. */
  timeoutMs?: number;
}

const HOUR_MS = 60 * 60 * 1000;
/** WhatsApp allows free-form text for 24 hours after the customer's last message. */
export const WHATSAPP_WINDOW_MS = 24 * HOUR_MS;
/**
 * Twilio counts the window from its own receipt of the customer's message (a little before our
 * webhook saw it) to its receipt of ours (a little after we send): in the last minutes a template,
 * when there is one, is the safer choice.
 */
const WINDOW_SAFETY_MS = 5 * 60 * 1000;
/** A Retry-After beyond this is treated as this: the activity's retry policy takes over from there. */
const MAX_RETRY_AFTER_MS = HOUR_MS;

/** Twilio error codes that no retry can fix (checked before the HTTP status, which may disagree). */
const PERMANENT_CODES = new Set([
  21211, // invalid 'To' number
  21408, // permission to send to this region is not enabled
  21610, // the recipient unsubscribed (replied STOP)
  21614, // 'To' is not a valid mobile number
  21612, // cannot route between these two numbers
  63003, // the channel could not find the To address
  63016, // outside the 24-hour window: a template is required
  63024, // invalid message recipient
]);

/** Network errors that mean the request never reached Twilio; any other may hide a message it took. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Twilio's clock and the database's may differ: earlier sends are looked for this much before. */
const CLOCK_SKEW_MS = 2 * 60 * 1000;

/** What Twilio gave us with the response, kept per send; the SDK's exceptions drop the headers. */
interface ResponseNotes {
  headers?: Record<string, unknown>;
}

/**
 * Twilio documents a custom HTTP client as the way to send the SDK's requests somewhere else (a
 * proxy, a mock): `edge`/`region` only choose among Twilio's own hosts, and rewriting a domain's
 * `baseUrl` would touch generated internals. This client keeps the SDK's transport (auth, form
 * encoding, connection pool) and only moves requests to `apiUrl`. It also notes each response's
 * headers for the send that made it (via AsyncLocalStorage, as one client serves concurrent sends),
 * because `RestException` keeps no headers and a 429's Retry-After must be honoured.
 */
class RoutingRequestClient extends RequestClient {
  constructor(
    private readonly apiUrl: URL | undefined,
    private readonly notes: AsyncLocalStorage<ResponseNotes>,
    options: RequestClient.RequestClientOptions,
  ) {
    super(options);
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const response = await super.request({ ...opts, uri: this.route(opts.uri) });
    const note = this.notes.getStore();
    if (note) note.headers = response.headers as Record<string, unknown>;
    return response;
  }

  private route(uri: string): string {
    if (!this.apiUrl) return uri;
    const original = new URL(uri);
    const base = this.apiUrl.href.replace(/\/+$/, '');
    return `${base}${original.pathname}${original.search}`;
  }
}

/**
 * WhatsApp through Twilio's Messages API. Inside the 24-hour window it sends the text as it is;
 * outside it, an approved template (the message's own, else the channel's `templateContentSid` with
 * the text as variable 1). Channel settings: `from` (the business's WhatsApp number, E.164) and
 * optionally `templateContentSid`.
 */
export function createWhatsAppAdapter(options: WhatsAppAdapterOptions): ChannelAdapter {
  const notes = new AsyncLocalStorage<ResponseNotes>();
  const httpClient = new RoutingRequestClient(
    options.apiUrl ? new URL(options.apiUrl) : undefined,
    notes,
    // The SDK must not retry 429s on its own: Temporal retries, after Retry-After.
    { timeout: options.timeoutMs ?? 20_000, autoRetry: false },
  );
  const client = twilio(options.accountSid, options.authToken, { httpClient });
  const now = options.now ?? (() => new Date());
  const callbackBase = options.statusCallbackUrl?.replace(/\/+$/, '');

  return {
    async send(message: OutboundMessage): Promise<SendOutcome> {
      const from = senderOf(message.channel);
      const content = contentFor(message, now());
      const mediaUrl = mediaUrlsFor(message, content, options.media, now());
      const note: ResponseNotes = {};
      try {
        const created = await notes.run(note, () =>
          client.messages.create({
            from: `whatsapp:${from}`,
            to: `whatsapp:${message.to}`,
            ...content,
            ...(mediaUrl.length > 0 ? { mediaUrl } : {}),
            ...(callbackBase
              ? {
                  statusCallback: `${callbackBase}/webhooks/twilio/${encodeURIComponent(message.channel.id)}/status`,
                }
              : {}),
          }),
        );
        return { providerMessageId: created.sid };
      } catch (error) {
        throw classifyTwilioError(error, note.headers);
      }
    },

    // Twilio takes no idempotency key, but lists what it took: newest first, by sender and recipient.
    async findDelivered(message: OutboundMessage, since: Date): Promise<string[]> {
      const note: ResponseNotes = {};
      try {
        const listed = await notes.run(note, () =>
          client.messages.list({
            from: `whatsapp:${senderOf(message.channel)}`,
            to: `whatsapp:${message.to}`,
            pageSize: 50,
            limit: 50,
          }),
        );
        const after = since.getTime() - CLOCK_SKEW_MS;
        return listed
          .filter((sent) => sent.dateCreated.getTime() >= after && carries(sent.body, message))
          .map((sent) => sent.sid);
      } catch (error) {
        throw classifyTwilioError(error, note.headers);
      }
    },
  };
}

/**
 * Signed URLs of the message's files, for Twilio to fetch. Media goes only with free-form text:
 * outside the 24-hour window an approved template is sent, which cannot carry a file of ours.
 */
export function mediaUrlsFor(
  message: OutboundMessage,
  content: Content,
  media: WhatsAppAdapterOptions['media'],
  now: Date,
): string[] {
  const files = message.attachments ?? [];
  if (files.length === 0) return [];
  if (!('body' in content)) {
    throw new PermanentDeliveryError(
      "outside WhatsApp's 24-hour window a message can only be an approved template, which cannot " +
        "carry this message's file: send it after the customer has written",
      '63016',
    );
  }
  if (!media) {
    // The worker's configuration, not the message: retried, so it goes out once it is set.
    throw new Error(
      'this WhatsApp message has a file, but the worker has no MEDIA_URL_SECRET and WEBHOOK_BASE_URL ' +
        'to give Twilio a URL for it',
    );
  }
  return files.map((file) =>
    signMediaUrl({ ...media, now }, { messageId: message.messageId, position: file.position }),
  );
}

/** Free-form text is sent as the body; a template with the text as a variable renders it inside. */
function carries(body: string | null | undefined, message: OutboundMessage): boolean {
  if (!body) return false;
  return body === message.text || (message.text.length >= 8 && body.includes(message.text));
}

type Content = { body: string } | { contentSid: string; contentVariables?: string };

/** The 24-hour rule: free-form text inside the window, an approved template outside it. */
export function contentFor(message: OutboundMessage, now: Date): Content {
  const sinceInbound = message.lastInboundAt ? now.getTime() - message.lastInboundAt.getTime() : Infinity;
  if (sinceInbound < WHATSAPP_WINDOW_MS - WINDOW_SAFETY_MS) return { body: message.text };

  const template = message.whatsappTemplate;
  if (template) {
    return {
      contentSid: template.contentSid,
      ...(template.variables ? { contentVariables: JSON.stringify(template.variables) } : {}),
    };
  }
  const channelTemplate = message.channel.settings['templateContentSid'];
  if (typeof channelTemplate === 'string' && channelTemplate.trim() !== '') {
    return { contentSid: channelTemplate.trim(), contentVariables: JSON.stringify({ '1': message.text }) };
  }
  // Within the last minutes of the window and without a template, free-form text may still arrive.
  if (sinceInbound < WHATSAPP_WINDOW_MS) return { body: message.text };
  throw new PermanentDeliveryError(
    "outside WhatsApp's 24-hour window and no approved template is configured: the customer has not " +
      'written in the last 24 hours, so WhatsApp only accepts a pre-approved template ' +
      '(set templateContentSid on the channel)',
    '63016',
  );
}

function senderOf(channel: OutboundMessage['channel']): string {
  const from = channel.settings['from'];
  if (typeof from !== 'string' || !/^\+[1-9]\d{6,14}$/.test(from)) {
    // Retrying cannot fix a channel without a sender: fail visibly so an administrator sees it.
    throw new PermanentDeliveryError(
      `WhatsApp channel ${channel.id} has no valid sender number: set settings.from to its E.164 number`,
    );
  }
  return from;
}

interface TwilioErrorFacts {
  status: number;
  code: number | undefined;
  message: string;
}

function factsOf(error: unknown): TwilioErrorFacts | undefined {
  if (error instanceof twilio.RestException) {
    return { status: error.status, code: error.code, message: error.message };
  }
  if (error instanceof TwilioServiceException) {
    return { status: error.status, code: error.code || undefined, message: error.detail ?? error.title };
  }
  return undefined;
}

/**
 * Classifies what Twilio answered, once: the dispatch activity retries a `TransientDeliveryError`
 * (after Retry-After when given) and fails the message for good on a `PermanentDeliveryError`.
 */
export function classifyTwilioError(error: unknown, headers?: Record<string, unknown>): Error {
  if (error instanceof PermanentDeliveryError || error instanceof TransientDeliveryError) return error;
  const facts = factsOf(error);
  if (!facts) {
    // Network errors and timeouts: retried. Only a short description is kept, because the HTTP
    // library's error object carries the request, Authorization header included.
    if (isNetworkError(error)) {
      const code = networkErrorCode(error);
      return new TransientDeliveryError(
        `Twilio could not be reached (${code})`,
        undefined,
        !NEVER_CONNECTED.has(code),
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
  const described = `Twilio ${facts.status}${facts.code !== undefined ? ` error ${facts.code}` : ''}: ${facts.message}`;
  const retryAfterMs = parseRetryAfter(headers?.['retry-after']);
  if (facts.status === 429 || facts.code === 20429)
    return new TransientDeliveryError(described, retryAfterMs);
  if (facts.code !== undefined && PERMANENT_CODES.has(facts.code)) {
    return new PermanentDeliveryError(facts.message, String(facts.code));
  }
  if (facts.status >= 500) return new TransientDeliveryError(described, retryAfterMs);
  if (facts.status >= 400) {
    return new PermanentDeliveryError(
      facts.message,
      facts.code !== undefined ? String(facts.code) : undefined,
    );
  }
  return new TransientDeliveryError(described, retryAfterMs);
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: Date = new Date()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const raw = String(text).trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
  else {
    // An HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"), not whatever Date.parse makes of "-5".
    if (!/^[A-Za-z]{3}, /.test(raw)) return undefined;
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

function isNetworkError(error: unknown): error is Error & { code?: unknown } {
  return (
    error instanceof Error &&
    ((error as { isAxiosError?: unknown }).isAxiosError === true ||
      typeof (error as { code?: unknown }).code === 'string')
  );
}

function networkErrorCode(error: Error & { code?: unknown }): string {
  return typeof error.code === 'string' ? error.code : error.name;
}
