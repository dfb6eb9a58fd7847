/**
 * How the server receives Telegram updates, chosen at start: with a public base URL
 * (WEBHOOK_BASE_URL) and a webhook secret, Telegram posts them to `/webhooks/telegram/:channelId`
 * (`setWebhook`, called only when `getWebhookInfo` shows it is not set so already); without a
 * public URL, the server long-polls, and of several replicas only the holder of a PostgreSQL lease
 * does (Telegram allows one poller per bot).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Telegram } from 'telegraf';
import { safeTelegramError } from '../channels/telegram';
import type { ProviderConfig } from '../config/providers';
import {
  startLeasedTelegramPolling,
  telegramChannelIdFor,
  telegramWebhookUrl,
} from '../channels/telegram/polling';

export interface TelegramInbound {
  mode: 'webhook' | 'polling' | 'off';
  stop(): Promise<void>;
}

interface Log {
  log(message: string): void;
  warn(message: string): void;
}

export interface TelegramInboundOptions {
  db: Knex;
  providers: ProviderConfig;
  log: Log;
  /** Long polling's lease, for tests; default 30 s. */
  leaseMs?: number;
  /** One getUpdates' wait, for tests; default 25 s. */
  pollTimeoutSeconds?: number;
}

/**
 * Makes sure Telegram posts to `url` with our secret: nothing when `getWebhookInfo` shows it does
 * already (and reports no delivery error), else `setWebhook`. Returns whether it called setWebhook.
 */
export async function ensureTelegramWebhook(
  telegram: Telegram,
  url: string,
  secretToken: string,
): Promise<boolean> {
  const info = await telegram.getWebhookInfo();
  if (info.url === url && !info.last_error_date) return false;
  await telegram.setWebhook(url, { secret_token: secretToken, allowed_updates: ['message'] });
  return true;
}

export async function startTelegramInbound(options: TelegramInboundOptions): Promise<TelegramInbound> {
  const { db, providers, log } = options;
  const token = providers.TELEGRAM_BOT_TOKEN;
  const off: TelegramInbound = { mode: 'off', stop: async () => undefined };
  if (!token) return off;
  let channelId: string | undefined;
  try {
    channelId = await telegramChannelIdFor(db, providers);
  } catch (error) {
    log.warn(`Telegram inbound off: ${error instanceof Error ? error.message : String(error)}`);
    return off;
  }
  if (!channelId) {
    log.warn(
      'Telegram inbound off: no telegram channel is configured (livechat config apply), nor TELEGRAM_CHANNEL_ID',
    );
    return off;
  }
  const apiRoot = providers.TELEGRAM_API_URL ?? 'https://api.telegram.org';
  if (providers.WEBHOOK_BASE_URL) {
    if (!providers.TELEGRAM_WEBHOOK_SECRET) {
      log.warn(
        'Telegram inbound off: WEBHOOK_BASE_URL is set but TELEGRAM_WEBHOOK_SECRET is not (the webhook needs it)',
      );
      return off;
    }
    const url = telegramWebhookUrl(providers.WEBHOOK_BASE_URL, channelId);
    try {
      const set = await ensureTelegramWebhook(
        new Telegram(token, { apiRoot }),
        url,
        providers.TELEGRAM_WEBHOOK_SECRET,
      );
      log.log(`Telegram webhook ${set ? 'set to' : 'already'} ${url} (channel ${channelId})`);
    } catch (error) {
      log.warn(`Telegram webhook not set: ${safeTelegramError(error, token).message}`);
    }
    return { mode: 'webhook', stop: async () => undefined };
  }
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const polling = startLeasedTelegramPolling({
    db,
    botToken: token,
    apiUrl: apiRoot,
    channelId,
    holder,
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.pollTimeoutSeconds !== undefined ? { timeoutSeconds: options.pollTimeoutSeconds } : {}),
    onError: (error) => log.warn(`Telegram polling: ${error.message}`),
    onLeaseChange: (polling) =>
      log.log(
        polling
          ? `Telegram: polling for updates (channel ${channelId}; this replica holds the lease)`
          : 'Telegram: stopped polling (lease released or taken over)',
      ),
  });
  log.log(`Telegram: long polling (no WEBHOOK_BASE_URL); one replica at a time polls, by lease`);
  return { mode: 'polling', stop: () => polling.stop() };
}
