/**
 * `npm run sandbox`: the provider stand-ins (SMTP, Twilio's API, Telegram's Bot API) as a process of
 * their own, on fixed ports of 127.0.0.1 with fixed credentials, so the worker and the server can run
 * apart as in production. It prints the provider settings and writes them to `.env.sandbox`, which
 * `npm run worker:sandbox` and `npm run server:sandbox` load (`--env-file`). Ports, credentials and
 * the file can be given (SANDBOX_* below). Ctrl-C stops it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startSandbox } from './start-sandbox';

const env = process.env;
const port = (name: string, fallback: number): number => {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`${name} must be a port number`);
  return n;
};

/** Not secrets anyone relies on: they only open stand-ins on loopback. Given ones replace them. */
const DEFAULTS = {
  smtpUser: 'sandbox',
  smtpPassword: 'sandbox-smtp-password',
  twilioAccountSid: `AC${'5a4db0c0'.repeat(4)}`,
  twilioAuthToken: 'sandbox-twilio-auth-token',
  telegramBotToken: '4242424242:sandbox-telegram-bot-token',
  telegramWebhookSecret: 'sandbox-telegram-webhook-secret',
  emailWebhookSecret: 'sandbox-email-webhook-secret',
  mediaUrlSecret: 'sandbox-media-url-secret-of-32-characters',
};

async function run(): Promise<void> {
  const sandbox = await startSandbox({
    ports: {
      smtp: port('SANDBOX_SMTP_PORT', 2525),
      twilio: port('SANDBOX_TWILIO_PORT', 3010),
      telegram: port('SANDBOX_TELEGRAM_PORT', 3011),
    },
    credentials: {
      smtpUser: env.SANDBOX_SMTP_USER || DEFAULTS.smtpUser,
      smtpPassword: env.SANDBOX_SMTP_PASSWORD || DEFAULTS.smtpPassword,
      twilioAccountSid: env.SANDBOX_TWILIO_ACCOUNT_SID || DEFAULTS.twilioAccountSid,
      twilioAuthToken: env.SANDBOX_TWILIO_AUTH_TOKEN || DEFAULTS.twilioAuthToken,
      telegramBotToken: env.SANDBOX_TELEGRAM_BOT_TOKEN || DEFAULTS.telegramBotToken,
    },
  });
  // Where the server will listen: Twilio's stand-in posts status callbacks there, Telegram's updates.
  const serverUrl = env.SANDBOX_SERVER_URL || `http://127.0.0.1:${env.WEBHOOK_PORT || '3001'}`;
  const settings: Record<string, string> = {
    ...Object.fromEntries(Object.entries(sandbox.providers).filter((e): e is [string, string] => !!e[1])),
    WEBHOOK_BASE_URL: serverUrl,
    TELEGRAM_WEBHOOK_SECRET: env.SANDBOX_TELEGRAM_WEBHOOK_SECRET || DEFAULTS.telegramWebhookSecret,
    EMAIL_WEBHOOK_SECRET: env.SANDBOX_EMAIL_WEBHOOK_SECRET || DEFAULTS.emailWebhookSecret,
    MEDIA_URL_SECRET: env.SANDBOX_MEDIA_URL_SECRET || DEFAULTS.mediaUrlSecret,
  };
  const file = path.resolve(env.SANDBOX_ENV_FILE || '.env.sandbox');
  const text = [
    '# Written by `npm run sandbox`: provider settings pointing at its stand-ins on 127.0.0.1.',
    '# Load with `node --env-file=.env.sandbox …` (npm run worker:sandbox, npm run server:sandbox).',
    ...Object.entries(settings).map(([key, value]) => `${key}=${value}`),
    '',
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
  console.log(text.trimEnd());
  // Supervisors and tests wait for this line.
  console.log(`sandbox ready: SMTP, Twilio and Telegram stand-ins up; settings written to ${file}`);
  const stop = () => {
    void sandbox.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
