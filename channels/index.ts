import { consentKeyFrom } from '../config/consent-key';
import type { ProviderConfig } from '../config/providers';
import { CHANNEL_KINDS } from '../domain/channels';
import type { ChannelKind } from '../domain/types';
import type { ChannelAdapter, ChannelAdapters } from './adapter';
import { createEmailAdapter } from './email';
import { createLiveChatWidgetAdapter } from './livechat';
import { telegramAdapterFrom } from './telegram/config';
import { whatsappAdapterFrom } from './whatsapp/config';

/**
 * How the worker builds each kind's adapter from its environment: one entry per kind of the channel
 * table (the compiler asks for a new kind's), each the kind folder's own function; undefined when
 * the kind's provider is not configured.
 */
const ADAPTER_FROM_CONFIG: {
  readonly [K in ChannelKind]: (config: ProviderConfig) => ChannelAdapter | undefined;
} = {
  email: (config) =>
    config.SMTP_URL
      ? createEmailAdapter({
          smtpUrl: config.SMTP_URL,
          poolMax: config.SMTP_POOL_MAX,
          ...(config.WEBHOOK_BASE_URL
            ? { unsubscribe: { baseUrl: config.WEBHOOK_BASE_URL, key: consentKeyFrom() } }
            : {}),
        })
      : undefined,
  whatsapp: whatsappAdapterFrom,
  telegram: telegramAdapterFrom,
  // The widget needs no provider: its visitors read the history from our server.
  livechat: () => createLiveChatWidgetAdapter(),
};

export interface ConfiguredChannels {
  adapters: ChannelAdapters;
  /** Kinds with no provider configured: their messages wait (retrying) until a worker has one. */
  unconfigured: string[];
  /** Releases the adapters' pooled connections. */
  close(): Promise<void>;
}

/**
 * The real provider adapters for every kind whose provider the worker's environment configures.
 * Adding a kind (Viber, a custom messenger) means its row in the channel table, its folder, and its
 * entry above.
 */
export function createChannelAdapters(config: ProviderConfig): ConfiguredChannels {
  const adapters: ChannelAdapters = {};
  for (const kind of CHANNEL_KINDS) {
    const adapter = ADAPTER_FROM_CONFIG[kind](config);
    if (adapter) adapters[kind] = adapter;
  }
  const unconfigured = CHANNEL_KINDS.filter((kind) => !adapters[kind]);
  return {
    adapters,
    unconfigured,
    close: async () => {
      await Promise.all(Object.values(adapters).map((adapter) => adapter.close?.()));
    },
  };
}
