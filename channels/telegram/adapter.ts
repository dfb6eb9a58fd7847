import https from 'node:https';
import { Input, Telegram, TelegramError } from 'telegraf';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type ChannelAdapter,
  type OutboundMessage,
  type SendOutcome,
} from '../adapter';

export interface TelegramAdapterOptions {
  /** The bot's token (worker configuration only: TELEGRAM_BOT_TOKEN). */
  botToken: string;
  /** Another server speaking the Bot API (the sandbox stand-in, a self-hosted Bot API server). */
  apiUrl?: string;
  /**
   * Gives up on one call after this long, so the retry comes from us (with backoff) well before the
   * activity's own timeout. Default 30 s.
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The Bot API takes captions of 0-1024 characters; a longer text goes as a message of its own. */
export const MAX_CAPTION_LENGTH = 1024;

/**
 * The Telegram channel: sends through the Bot API with telegraf's `Telegram` client. The chat id is
 * the session's account; the bot may write to it only because the person wrote first (rule 9, checked
 * in our database before this is called).
 */
export function createTelegramAdapter(options: TelegramAdapterOptions): ChannelAdapter {
  const { botToken } = options;
  if (!botToken) throw new Error('a Telegram bot token is required');
  const apiRoot = options.apiUrl ?? 'https://api.telegram.org';
  // An agent of our own (telegraf's default is shared by every client in the process) so that
  // close() can release its sockets. telegraf uses no agent at all for http:// roots.
  const agent = apiRoot.startsWith('https:') ? new https.Agent({ keepAlive: true }) : undefined;
  const telegram = new Telegram(botToken, { apiRoot, ...(agent ? { agent } : {}) });
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  return {
    async send(message: OutboundMessage): Promise<SendOutcome> {
      const chatId = message.to;
      const signal = () => ({ signal: asTelegrafSignal(AbortSignal.timeout(timeoutMs)) });
      const files = message.attachments ?? [];
      try {
        // Plain text, no parse_mode: a customer-facing text must never be read as markup.
        if (files.length === 0 || message.text.length > MAX_CAPTION_LENGTH) {
          const sent = await telegram.callApi(
            'sendMessage',
            { chat_id: chatId, text: message.text },
            signal(),
          );
          if (files.length > 0) await sendDocuments(files, undefined);
          return { providerMessageId: telegramMessageId(chatId, sent.message_id) };
        }
        const first = await sendDocuments(files, message.text);
        return { providerMessageId: telegramMessageId(chatId, first) };
      } catch (error) {
        throw classifyTelegramError(error, botToken);
      }

      /**
       * The files as uploaded documents in one call (an album when there are several), the text as
       * the first one's caption when it fits; the id of the first message Telegram made.
       */
      async function sendDocuments(
        documents: NonNullable<OutboundMessage['attachments']>,
        caption: string | undefined,
      ): Promise<number> {
        const uploads = await Promise.all(
          documents.map(async (file) => Input.fromBuffer(await file.content(), file.filename)),
        );
        const [only] = uploads;
        if (uploads.length === 1 && only) {
          const sent = await telegram.callApi(
            'sendDocument',
            { chat_id: chatId, document: only, ...(caption !== undefined ? { caption } : {}) },
            signal(),
          );
          return sent.message_id;
        }
        const sent = await telegram.callApi(
          'sendMediaGroup',
          {
            chat_id: chatId,
            media: uploads.map((media, index) => ({
              type: 'document' as const,
              media,
              ...(index === 0 && caption !== undefined ? { caption } : {}),
            })),
          },
          signal(),
        );
        const firstId = sent[0]?.message_id;
        if (firstId === undefined) throw new Error('Telegram answered sendMediaGroup with no message');
        return firstId;
      }
    },
    async close(): Promise<void> {
      agent?.destroy();
    },
  };
}

/** telegraf's typings name the abort-controller polyfill; node-fetch 2 accepts Node's own signal. */
type TelegrafSignal = NonNullable<Parameters<Telegram['callApi']>[2]>['signal'];
export function asTelegrafSignal(signal: AbortSignal): TelegrafSignal {
  return signal as unknown as TelegrafSignal;
}

/**
 * Telegram numbers messages per chat (every private chat has its message 1, 2, 3…), so a bare
 * message_id is not unique within a channel. Prefixed with the chat id it is, which is what
 * provider-id lookups (inbound duplicates, replies, status updates) need.
 */
export function telegramMessageId(chatId: string | number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/**
 * Classifies a failed Bot API call, once, for dispatchMessage:
 * - 429 → transient, after the `retry_after` Telegram gave;
 * - 5xx → transient;
 * - 401 / 404 → transient: the Bot API answers these for a wrong or revoked token, which is the
 *   worker's misconfiguration, not a refusal of this message; once the token is fixed it goes out;
 * - other 4xx (403 blocked by the user, 400 chat not found, message too long…) → permanent, with
 *   Telegram's description as the reason operators see (its "Forbidden: " prefix dropped: the code
 *   is kept as providerCode);
 * - anything else (network, timeout) → a plain error, retried by Temporal.
 * Never carries the bot token: telegraf puts it in request URLs, and so in network errors.
 */
export function classifyTelegramError(error: unknown, botToken: string): Error {
  if (error instanceof TelegramError) {
    const code = error.code;
    const description = withoutSecret(error.description || 'no description', botToken);
    if (code === 429) {
      const retryAfter = error.parameters?.retry_after;
      const retryAfterMs = typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter * 1000 : undefined;
      return new TransientDeliveryError(`Telegram is rate limiting the bot: ${description}`, retryAfterMs);
    }
    if (code >= 500) return new TransientDeliveryError(`Telegram answered ${code}: ${description}`);
    if (code === 401 || code === 404) {
      return new TransientDeliveryError(
        `Telegram refused the bot token (${code} ${description}): check TELEGRAM_BOT_TOKEN`,
      );
    }
    return new PermanentDeliveryError(reasonOf(description), String(code));
  }
  return safeTelegramError(error, botToken);
}

/** "Forbidden: bot was blocked by the user" → "bot was blocked by the user". */
function reasonOf(description: string): string {
  const reason = description.replace(/^(Bad Request|Forbidden|Conflict|Unauthorized|Not Found):\s*/i, '');
  return reason || description;
}

/**
 * An error fit to log or rethrow: a Bot API refusal as its code and description, anything else
 * (network, timeout) as the same error without the token in its message or stack, and without its
 * cause, which may hold it.
 */
export function safeTelegramError(error: unknown, botToken: string): Error {
  if (error instanceof TelegramError) {
    return new Error(`Telegram answered ${error.code}: ${withoutSecret(error.description, botToken)}`);
  }
  if (!(error instanceof Error)) return new Error(withoutSecret(String(error), botToken));
  const safe = new Error(`Telegram could not be reached: ${withoutSecret(error.message, botToken)}`);
  safe.name = error.name;
  // The original's frames under our message: its own first line still holds the unscrubbed message.
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  safe.stack = withoutSecret([`${safe.name}: ${safe.message}`, ...frames].join('\n'), botToken);
  return safe;
}

/** Replaces the token, and its URL-encoded form, wherever it appears. */
export function withoutSecret(text: string, secret: string): string {
  if (!secret) return text;
  return text.split(secret).join('[REDACTED]').split(encodeURIComponent(secret)).join('[REDACTED]');
}
