/**
 * Checks of the providers' credentials through their real SDKs, for `livechat channel test` and
 * `livechat doctor`: SMTP login (nodemailer `verify`), the Twilio account (`accounts(sid).fetch`),
 * the Telegram bot (`getMe`, `getWebhookInfo`), and an optional test message on each. Nothing here
 * returns or prints a secret: failures are the provider's answer with every configured secret cut.
 */
import { createTransport } from 'nodemailer';
import { Telegram } from 'telegraf';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { senderOf } from '../channels/email';
import type { ProviderConfig } from '../config/providers';
import { secretsOf } from '../config/providers';
import { telegramWebhookUrl } from '../channels/telegram/polling';

/** How long one check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 10_000;

export interface CheckResult {
  ok: boolean;
  /** One line, for people; never a secret. */
  message: string;
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The message of an error with every configured secret replaced by `***`. */
export function scrub(text: string, providers: ProviderConfig): string {
  return secretsOf(providers).reduce((out, secret) => out.split(secret).join('***'), text);
}

function withTimeout<T>(work: Promise<T>, what: string, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** `host:port` of a URL, without credentials. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}

/** Sends the SDK's requests to `apiUrl` (the sandbox stand-in), as the WhatsApp adapter does. */
class RoutedRequestClient extends RequestClient {
  constructor(private readonly apiUrl: string | undefined) {
    super({ timeout: CHECK_TIMEOUT_MS });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    if (!this.apiUrl) return super.request(opts);
    const original = new URL(opts.uri);
    return super.request({
      ...opts,
      uri: `${this.apiUrl.replace(/\/+$/, '')}${original.pathname}${original.search}`,
    });
  }
}

function twilioClient(providers: ProviderConfig) {
  if (!providers.TWILIO_ACCOUNT_SID || !providers.TWILIO_AUTH_TOKEN) return undefined;
  return twilio(providers.TWILIO_ACCOUNT_SID, providers.TWILIO_AUTH_TOKEN, {
    httpClient: new RoutedRequestClient(providers.TWILIO_API_URL),
  });
}

function telegramClient(providers: ProviderConfig): Telegram | undefined {
  if (!providers.TELEGRAM_BOT_TOKEN) return undefined;
  return new Telegram(providers.TELEGRAM_BOT_TOKEN, {
    apiRoot: providers.TELEGRAM_API_URL ?? 'https://api.telegram.org',
  });
}

export interface ChannelUnderTest {
  id: string;
  kind: string;
  name: string;
  settings: Record<string, unknown>;
}

/** A test message to send with `--send-to`. */
export interface TestMessage {
  to: string;
  text: string;
}

async function checkEmail(
  providers: ProviderConfig,
  channel: ChannelUnderTest | undefined,
  message: TestMessage | undefined,
): Promise<CheckResult> {
  if (!providers.SMTP_URL) return { ok: false, message: 'SMTP_URL is not set' };
  const server = hostOf(providers.SMTP_URL);
  const transport = createTransport({
    url: providers.SMTP_URL,
    connectionTimeout: CHECK_TIMEOUT_MS,
    greetingTimeout: CHECK_TIMEOUT_MS,
    socketTimeout: CHECK_TIMEOUT_MS,
    logger: false,
    debug: false,
  });
  try {
    await withTimeout(transport.verify(), `the SMTP server at ${server}`);
    let sent = '';
    if (channel && message) {
      const sender = senderOf(channel);
      const info = (await withTimeout(
        transport.sendMail({
          from: sender.name ? { name: sender.name, address: sender.address } : sender.address,
          to: message.to,
          subject: `Test message from live chat channel ${channel.id}`,
          text: message.text,
        }),
        `the SMTP server at ${server}`,
      )) as { messageId?: string };
      sent = `; test message accepted (${info.messageId ?? 'no Message-ID'})`;
    }
    return { ok: true, message: `SMTP server ${server} accepts our login${sent}` };
  } catch (error) {
    return { ok: false, message: `SMTP server ${server}: ${scrub(reason(error), providers)}` };
  } finally {
    transport.close();
  }
}

async function checkWhatsApp(
  providers: ProviderConfig,
  channel: ChannelUnderTest | undefined,
  message: TestMessage | undefined,
): Promise<CheckResult> {
  const client = twilioClient(providers);
  if (!client || !providers.TWILIO_ACCOUNT_SID)
    return { ok: false, message: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set' };
  const where = providers.TWILIO_API_URL ? ` at ${hostOf(providers.TWILIO_API_URL)}` : '';
  try {
    const account = await withTimeout(
      client.api.v2010.accounts(providers.TWILIO_ACCOUNT_SID).fetch(),
      'Twilio',
    );
    if (account.status !== 'active')
      return { ok: false, message: `Twilio account ${account.sid}${where} is ${account.status}, not active` };
    let sent = '';
    if (channel && message) {
      const from = channel.settings['from'];
      if (typeof from !== 'string')
        return { ok: false, message: `channel ${channel.id} has no settings.from` };
      const created = await withTimeout(
        client.messages.create({
          from: `whatsapp:${from}`,
          to: `whatsapp:${message.to}`,
          body: message.text,
        }),
        'Twilio',
      );
      sent = `; test message accepted (${created.sid}, ${created.status})`;
    }
    return { ok: true, message: `Twilio account ${account.sid}${where} is active${sent}` };
  } catch (error) {
    return { ok: false, message: `Twilio${where}: ${scrub(reason(error), providers)}` };
  }
}

async function checkTelegram(
  providers: ProviderConfig,
  channel: ChannelUnderTest | undefined,
  message: TestMessage | undefined,
): Promise<CheckResult> {
  const telegram = telegramClient(providers);
  if (!telegram) return { ok: false, message: 'TELEGRAM_BOT_TOKEN is not set' };
  try {
    const me = await withTimeout(telegram.getMe(), 'the Telegram Bot API');
    const expected = channel?.settings['botUsername'];
    if (
      typeof expected === 'string' &&
      expected.replace(/^@/, '').toLowerCase() !== me.username.toLowerCase()
    ) {
      return {
        ok: false,
        message: `the token is bot @${me.username}, but channel ${channel?.id ?? ''} names @${expected.replace(/^@/, '')}`,
      };
    }
    let sent = '';
    if (message) {
      const result = await withTimeout(
        telegram.sendMessage(message.to, message.text),
        'the Telegram Bot API',
      );
      sent = `; test message sent (${result.chat.id}:${result.message_id})`;
    }
    return { ok: true, message: `Telegram bot @${me.username} (${me.id}) answers${sent}` };
  } catch (error) {
    return { ok: false, message: `Telegram: ${scrub(reason(error), providers)}` };
  }
}

/** The provider of one channel kind, checked (and a test message sent, if given). */
export function checkProvider(
  kind: string,
  providers: ProviderConfig,
  channel?: ChannelUnderTest,
  message?: TestMessage,
): Promise<CheckResult> {
  switch (kind) {
    case 'email':
      return checkEmail(providers, channel, message);
    case 'whatsapp':
      return checkWhatsApp(providers, channel, message);
    case 'telegram':
      return checkTelegram(providers, channel, message);
    default:
      return Promise.resolve({ ok: true, message: `a ${kind} channel needs no provider` });
  }
}

/** Whether the provider of a kind is configured at all (its credentials are set). */
export function providerConfigured(kind: string, providers: ProviderConfig): boolean {
  if (kind === 'email') return Boolean(providers.SMTP_URL);
  if (kind === 'whatsapp') return Boolean(providers.TWILIO_ACCOUNT_SID && providers.TWILIO_AUTH_TOKEN);
  if (kind === 'telegram') return Boolean(providers.TELEGRAM_BOT_TOKEN);
  return true;
}

/**
 * Whether Telegram's webhook is as this deployment needs it: with WEBHOOK_BASE_URL, set to our URL
 * (the server sets it at start); without, not set (else Telegram refuses the long poll, 409).
 */
export async function checkTelegramWebhook(
  providers: ProviderConfig,
  channelId: string | undefined,
): Promise<CheckResult> {
  const telegram = telegramClient(providers);
  if (!telegram) return { ok: false, message: 'TELEGRAM_BOT_TOKEN is not set' };
  try {
    const info = await withTimeout(telegram.getWebhookInfo(), 'the Telegram Bot API');
    const lastError = info.last_error_message
      ? ` (Telegram's last error delivering: ${info.last_error_message})`
      : '';
    if (!providers.WEBHOOK_BASE_URL) {
      if (info.url) {
        return {
          ok: false,
          message: `a webhook is set (${info.url}) but WEBHOOK_BASE_URL is not: Telegram refuses long polling while it is; set WEBHOOK_BASE_URL or delete the webhook`,
        };
      }
      return { ok: true, message: 'no webhook set: `npm run server` long-polls (no WEBHOOK_BASE_URL)' };
    }
    if (!channelId)
      return { ok: false, message: 'no Telegram channel to receive on (set TELEGRAM_CHANNEL_ID)' };
    const expected = telegramWebhookUrl(providers.WEBHOOK_BASE_URL, channelId);
    if (info.url !== expected) {
      return {
        ok: false,
        message: `the webhook is ${info.url ? info.url : 'not set'}, not ${expected}: \`npm run server\` sets it at start`,
      };
    }
    return { ok: !lastError, message: `the webhook is ${expected}${lastError}` };
  } catch (error) {
    return { ok: false, message: `Telegram: ${scrub(reason(error), providers)}` };
  }
}
