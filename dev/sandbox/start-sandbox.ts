import { randomBytes } from 'node:crypto';
import type { ProviderConfig } from '../../config/providers';
import { startSmtpStandIn, type SmtpStandIn } from './smtp-stand-in';
import { startTelegramStandIn, type TelegramStandIn } from './telegram-stand-in';
import { TwilioStandIn } from './twilio-stand-in';

export interface Sandbox {
  smtp: SmtpStandIn;
  twilio: TwilioStandIn;
  telegram: TelegramStandIn;
  /** Provider settings that point the real SDKs at the stand-ins, with secrets generated per run. */
  providers: Pick<
    ProviderConfig,
    | 'SMTP_URL'
    | 'TWILIO_ACCOUNT_SID'
    | 'TWILIO_AUTH_TOKEN'
    | 'TWILIO_API_URL'
    | 'TELEGRAM_BOT_TOKEN'
    | 'TELEGRAM_API_URL'
  >;
  stop(): Promise<void>;
}

/**
 * All provider stand-ins on loopback (SMTP, a Twilio-compatible API, a Telegram Bot API-compatible
 * server), for the demo, the tests and the benchmark: the real nodemailer, twilio and telegraf talk
 * to them over their real protocols.
 */
export interface SandboxOptions {
  /** Fixed ports (`npm run sandbox`); default: free ones. */
  ports?: { smtp?: number; twilio?: number; telegram?: number };
  /** Fixed credentials (`npm run sandbox`); default: generated for this run. */
  credentials?: {
    smtpUser?: string;
    smtpPassword?: string;
    twilioAccountSid?: string;
    twilioAuthToken?: string;
    telegramBotToken?: string;
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const given = options.credentials ?? {};
  const ports = options.ports ?? {};
  const accountSid = given.twilioAccountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = given.twilioAuthToken ?? randomBytes(16).toString('hex');
  const botToken =
    given.telegramBotToken ??
    `${100_000 + Math.floor(Math.random() * 900_000)}:${randomBytes(18).toString('base64url')}`;
  const smtp = await startSmtpStandIn({
    ...(given.smtpUser !== undefined ? { username: given.smtpUser } : {}),
    ...(given.smtpPassword !== undefined ? { password: given.smtpPassword } : {}),
    ...(ports.smtp !== undefined ? { port: ports.smtp } : {}),
  });
  const twilio = new TwilioStandIn({
    accountSid,
    authToken,
    ...(ports.twilio !== undefined ? { port: ports.twilio } : {}),
  });
  await twilio.start();
  const telegram = await startTelegramStandIn({
    token: botToken,
    ...(ports.telegram !== undefined ? { port: ports.telegram } : {}),
  });
  return {
    smtp,
    twilio,
    telegram,
    providers: {
      SMTP_URL: smtp.url,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_API_URL: twilio.url,
      TELEGRAM_BOT_TOKEN: botToken,
      TELEGRAM_API_URL: telegram.url,
    },
    stop: async () => {
      await Promise.all([smtp.stop(), twilio.stop(), telegram.stop()]);
    },
  };
}
