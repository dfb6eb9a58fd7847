import type { ProviderConfig } from '../config/providers';
import type { ChannelAdapters } from './adapter';
import { createEmailAdapter } from './email';
import { createLiveChatWidgetAdapter } from './livechat';
import { createTelegramAdapter } from './telegram/adapter';
import { createWhatsAppAdapter } from './whatsapp/adapter';

export interface ConfiguredChannels {
  adapters: ChannelAdapters;
  /** Kinds with no provider configured: their messages wait (retrying) until a worker has one. */
  unconfigured: string[];
  /** Releases the adapters' pooled connections. */
  close(): Promise<void>;
}

/**
 * The real provider adapters for every kind whose provider the worker's environment configures.
 * Adding a kind (Viber, a custom messenger) means one more adapter module and one more line here.
 */
export function createChannelAdapters(config: ProviderConfig): ConfiguredChannels {
  // The widget needs no provider: its visitors read the history from our server.
  const adapters: ChannelAdapters = { livechat: createLiveChatWidgetAdapter() };
  if (config.SMTP_URL)
    adapters.email = createEmailAdapter({ smtpUrl: config.SMTP_URL, poolMax: config.SMTP_POOL_MAX });
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    adapters.whatsapp = createWhatsAppAdapter({
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      ...(config.TWILIO_API_URL ? { apiUrl: config.TWILIO_API_URL } : {}),
      ...(config.WEBHOOK_BASE_URL ? { statusCallbackUrl: config.WEBHOOK_BASE_URL } : {}),
      ...(config.WEBHOOK_BASE_URL && config.MEDIA_URL_SECRET
        ? { media: { baseUrl: config.WEBHOOK_BASE_URL, secret: config.MEDIA_URL_SECRET } }
        : {}),
    });
  }
  if (config.TELEGRAM_BOT_TOKEN) {
    adapters.telegram = createTelegramAdapter({
      botToken: config.TELEGRAM_BOT_TOKEN,
      ...(config.TELEGRAM_API_URL ? { apiUrl: config.TELEGRAM_API_URL } : {}),
    });
  }
  const unconfigured = (['email', 'whatsapp', 'telegram'] as const).filter((kind) => !adapters[kind]);
  return {
    adapters,
    unconfigured,
    close: async () => {
      await Promise.all(Object.values(adapters).map((adapter) => adapter.close?.()));
    },
  };
}
