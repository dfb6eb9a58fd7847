import type { FastifyReply, FastifyRequest } from 'fastify';
import { Telegram } from 'telegraf';
import { getChannel } from '../../db/live-chats';
import { isLiveChatError } from '../../domain/errors';
import { secretChecker } from '../../infra/secret-check';
import type { WebhookRoutes } from '../../server/webhook-server';
import { telegramFileFetcher } from './files';
import { handleTelegramUpdate } from './inbound';
import { readTelegramUpdate } from './updates';

/** The header Telegram sends the `secret_token` given to setWebhook in (Node lower-cases it). */
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookOptions {
  /** The `secret_token` our setWebhook call gave Telegram (TELEGRAM_WEBHOOK_SECRET). */
  secretToken: string;
  /**
   * The bot's token (TELEGRAM_BOT_TOKEN), to download customers' files (getFile) and answer button
   * presses (answerCallbackQuery). Without it updates are still recorded; files wait, pending, for a
   * server that has it.
   */
  botToken?: string;
  /** Another server speaking the Bot API (the sandbox stand-in). */
  apiUrl?: string;
  /** Told about updates that could not be stored (answered 500, so Telegram sends them again). */
  onError?: (error: unknown) => void;
}

/**
 * `POST /webhooks/telegram/:channelId`: Telegram's updates for the bot of that channel. Only a
 * request carrying our secret is read at all. A customer's message is recorded into its session and
 * the chat is remembered (rule 9), with its files fetched through getFile; an edit updates the
 * stored message and keeps the earlier text; the person blocking the bot marks the chat blocked (and
 * unblocking, or writing again, clears it); a button press is recorded with its data and answered.
 * Other update kinds are acknowledged and dropped. A repeated update is recorded once.
 *
 * Answers: 401 wrong or missing secret (nothing read or stored); 404 not a Telegram channel of ours;
 * 400 an update we cannot read (shown to the admin by getWebhookInfo's last_error_message);
 * 500 storing failed, and Telegram retries.
 */
export function telegramWebhookRoutes(options: TelegramWebhookOptions): WebhookRoutes {
  const { secretToken } = options;
  if (!secretToken) throw new Error('the Telegram webhook needs a secret token (TELEGRAM_WEBHOOK_SECRET)');
  const secretMatches = secretChecker(secretToken);
  const apiRoot = options.apiUrl ?? 'https://api.telegram.org';
  const telegram = options.botToken ? new Telegram(options.botToken, { apiRoot }) : undefined;
  const fetchFile = options.botToken
    ? telegramFileFetcher({
        botToken: options.botToken,
        ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
      })
    : undefined;

  return (app, deps) => {
    app.post<{ Params: { channelId: string } }>(
      '/webhooks/telegram/:channelId',
      {
        // onRequest runs before the body is even parsed: an unsigned request costs us nothing more.
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          if (!secretMatches(request.headers[TELEGRAM_SECRET_HEADER])) {
            return reply.code(401).send({ ok: false, error: 'missing or wrong secret token' });
          }
        },
      },
      async (request, reply) => {
        const channel = await getChannel(deps.db, request.params.channelId);
        if (!channel || channel.kind !== 'telegram') {
          return reply.code(404).send({ ok: false, error: 'no such Telegram channel' });
        }
        const reading = readTelegramUpdate(channel.id, request.body);
        if (reading.kind === 'malformed') return reply.code(400).send({ ok: false, error: reading.problem });
        try {
          const outcome = await handleTelegramUpdate(
            {
              db: deps.db,
              clock: deps.clock,
              ...(fetchFile ? { fetchFile } : {}),
              ...(telegram ? { telegram } : {}),
              ...(options.onError ? { onError: options.onError } : {}),
            },
            reading,
          );
          switch (outcome.kind) {
            case 'recorded':
              if (!outcome.duplicate) deps.metrics.inbound.inc({ channel: 'telegram' });
              return reply.code(200).send({ ok: true, duplicate: outcome.duplicate });
            case 'edited':
              return reply.code(200).send({ ok: true, edited: outcome.changed });
            case 'membership':
              return reply.code(200).send({ ok: true, blocked: outcome.blocked });
            case 'ignored':
              return reply.code(200).send({ ok: true, ignored: outcome.reason });
          }
        } catch (error) {
          // A broken rule (say, a chat id we cannot read) will not get better by Telegram retrying.
          if (isLiveChatError(error)) return reply.code(400).send({ ok: false, error: error.message });
          options.onError?.(error);
          // No details: they would go back to the caller.
          return reply.code(500).send({ ok: false, error: 'could not store the update' });
        }
      },
    );
  };
}
