import { z } from 'zod';
import type { ChannelAdapter } from '../adapter';
import { createWhatsAppAdapter } from './adapter';

/**
 * WhatsApp's slice of the provider configuration (config/providers.ts merges every kind's): the
 * Twilio account (the auth token also checks webhook signatures and fetches customers' media), and
 * the dispatch rate, held by Temporal across all workers.
 */
export const whatsappConfigShape = {
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  /** Another server speaking Twilio's API (the sandbox stand-in); unset, Twilio's own. */
  TWILIO_API_URL: z.url().optional(),
  WHATSAPP_RATE_LIMIT: z.coerce.number().positive().max(10_000).default(80),
};

export type WhatsAppConfig = z.infer<z.ZodObject<typeof whatsappConfigShape>> & {
  WEBHOOK_BASE_URL?: string | undefined;
  MEDIA_URL_SECRET?: string | undefined;
};

export function whatsappSecrets(config: WhatsAppConfig): (string | undefined)[] {
  return [config.TWILIO_AUTH_TOKEN];
}

/** The worker's WhatsApp adapter, when the environment names a Twilio account. */
export function whatsappAdapterFrom(config: WhatsAppConfig): ChannelAdapter | undefined {
  if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN) return undefined;
  return createWhatsAppAdapter({
    accountSid: config.TWILIO_ACCOUNT_SID,
    authToken: config.TWILIO_AUTH_TOKEN,
    ...(config.TWILIO_API_URL ? { apiUrl: config.TWILIO_API_URL } : {}),
    ...(config.WEBHOOK_BASE_URL ? { statusCallbackUrl: config.WEBHOOK_BASE_URL } : {}),
    ...(config.WEBHOOK_BASE_URL && config.MEDIA_URL_SECRET
      ? { media: { baseUrl: config.WEBHOOK_BASE_URL, secret: config.MEDIA_URL_SECRET } }
      : {}),
  });
}
