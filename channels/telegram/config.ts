import { z } from 'zod';
import type { ChannelAdapter } from '../adapter';
import { createTelegramAdapter } from './adapter';

/**
 * Telegram's slice of the provider configuration (config/providers.ts merges every kind's): the
 * bot's token (the worker sends with it; the server downloads files and answers button presses),
 * the Bot API server, the webhook's secret and the dispatch rate.
 */
export const telegramConfigShape = {
  TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
  /** Another server speaking the Bot API (the sandbox stand-in, a self-hosted Bot API server). */
  TELEGRAM_API_URL: z.url().optional(),
  /** The `secret_token` given to setWebhook; updates without it are refused. */
  TELEGRAM_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** The Telegram channel the bot's updates go to; default: the only telegram channel configured. */
  TELEGRAM_CHANNEL_ID: z.string().min(1).optional(),
  TELEGRAM_RATE_LIMIT: z.coerce.number().positive().max(10_000).default(30),
};

export type TelegramConfig = z.infer<z.ZodObject<typeof telegramConfigShape>>;

export function telegramSecrets(config: TelegramConfig): (string | undefined)[] {
  return [config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_WEBHOOK_SECRET];
}

/** The worker's Telegram adapter, when the environment names a bot. */
export function telegramAdapterFrom(config: TelegramConfig): ChannelAdapter | undefined {
  if (!config.TELEGRAM_BOT_TOKEN) return undefined;
  return createTelegramAdapter({
    botToken: config.TELEGRAM_BOT_TOKEN,
    ...(config.TELEGRAM_API_URL ? { apiUrl: config.TELEGRAM_API_URL } : {}),
  });
}
