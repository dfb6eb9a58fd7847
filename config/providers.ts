import { z } from 'zod';
import { telegramConfigShape, telegramSecrets } from '../channels/telegram/config';
import { whatsappConfigShape, whatsappSecrets } from '../channels/whatsapp/config';
import { ConfigError } from './environment';

const optionalUrl = z.url().optional();
const perSecond = z.coerce.number().positive().max(10_000);

/**
 * How the worker reaches the providers. Secrets (SMTP password inside SMTP_URL, Twilio auth token,
 * Telegram bot token, webhook secret) live only here, in the worker's environment: never in
 * workflow inputs, results, histories or logs. The *_API_URL variables point the real SDKs at
 * another address speaking the same protocol (the sandbox stand-ins); unset, the SDKs use the
 * providers' own.
 */
const ProviderConfigSchema = z.object({
  SMTP_URL: optionalUrl,
  SMTP_POOL_MAX: z.coerce.number().int().min(1).max(50).default(5),
  // Each messenger's own variables, from its folder.
  ...whatsappConfigShape,
  ...telegramConfigShape,
  /** Shared secret the inbound-mail webhook requires (header x-livechat-webhook-secret). */
  EMAIL_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** Public base URL of our webhook server: Twilio posts status callbacks there. */
  WEBHOOK_BASE_URL: optionalUrl,
  /**
   * Key of the signed URLs at which the server serves stored attachments (WhatsApp media: Twilio
   * fetches them from WEBHOOK_BASE_URL); the worker and the server need the same one.
   */
  MEDIA_URL_SECRET: z.string().min(32).optional(),
  /**
   * Email over IMAP: each email channel's mailbox is `IMAP_URL_<CHANNEL>` (see
   * channels/email/imap-config.ts), read by the worker. How often it is checked besides IDLE, and
   * how long one worker holds it without renewing (another takes over after that).
   */
  IMAP_POLL_SECONDS: z.coerce.number().min(0.1).max(3_600).default(60),
  IMAP_LEASE_SECONDS: z.coerce.number().min(1).max(3_600).default(90),
  WEBHOOK_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  /** Address `npm run server` listens on: loopback by default; `0.0.0.0` (all) in a container. */
  WEBHOOK_HOST: z.string().min(1).default('127.0.0.1'),
  /** Dispatches per second per channel kind, held by Temporal across all workers. */
  EMAIL_RATE_LIMIT: perSecond.default(50),
});

export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

export function loadProviderConfig(env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  // An empty variable means unset (compose files pass `${VAR:-}` for providers not in use).
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = ProviderConfigSchema.safeParse(set);
  if (!parsed.success) {
    // Name the variable, never echo its value: it may be a secret.
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message.split(':')[0]}`,
    );
    throw new ConfigError(`invalid provider configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Every configured secret, for tests and log scrubbing that must never find them anywhere. */
export function secretsOf(config: ProviderConfig): string[] {
  const secrets = [
    ...whatsappSecrets(config),
    ...telegramSecrets(config),
    config.EMAIL_WEBHOOK_SECRET,
    config.MEDIA_URL_SECRET,
  ];
  if (config.SMTP_URL) {
    const password = decodeURIComponent(new URL(config.SMTP_URL).password);
    if (password) secrets.push(password);
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
}
