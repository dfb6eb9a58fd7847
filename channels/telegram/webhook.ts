import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readTelegramUpdate } from './adapter';
import { getChannel } from '../../db/live-chats';
import { isLiveChatError } from '../../domain/errors';
import { recordInboundMessage } from '../../inbound/record-inbound-message';
import type { WebhookRoutes } from '../../server/webhook-server';

/** The header Telegram sends the `secret_token` given to setWebhook in (Node lower-cases it). */
export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookOptions {
  /** The `secret_token` our setWebhook call gave Telegram (TELEGRAM_WEBHOOK_SECRET). */
  secretToken: string;
  /** Told about updates that could not be stored (answered 500, so Telegram sends them again). */
  onError?: (error: unknown) => void;
}

/**
 * `POST /webhooks/telegram/:channelId`: Telegram's updates for the bot of that channel. Only a
 * request carrying our secret is read at all; a customer's message is recorded into its session and
 * the chat is remembered (rule 9); other update kinds are acknowledged and dropped. A repeated update
 * is recorded once (its message id is the idempotency key).
 *
 * Answers: 401 wrong or missing secret (nothing read or stored); 404 not a Telegram channel of ours;
 * 400 an update we cannot read (shown to the admin by getWebhookInfo's last_error_message);
 * 500 storing failed, and Telegram retries.
 */
export function telegramWebhookRoutes(options: TelegramWebhookOptions): WebhookRoutes {
  const { secretToken } = options;
  if (!secretToken) throw new Error('the Telegram webhook needs a secret token (TELEGRAM_WEBHOOK_SECRET)');
  const expected = digest(secretToken);

  return (app, deps) => {
    app.post<{ Params: { channelId: string } }>(
      '/webhooks/telegram/:channelId',
      {
        // onRequest runs before the body is even parsed: an unsigned request costs us nothing more.
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          if (!secretMatches(request.headers[TELEGRAM_SECRET_HEADER], expected)) {
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
        if (reading.kind === 'ignored') return reply.code(200).send({ ok: true, ignored: reading.reason });
        try {
          const recorded = await recordInboundMessage(deps.db, reading.inbound);
          return reply.code(200).send({ ok: true, duplicate: recorded.duplicate });
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

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time: compares fixed-length digests, so neither content nor length leaks through timing. */
function secretMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), expected);
}
