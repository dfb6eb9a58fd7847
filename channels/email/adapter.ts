import { types } from 'node:util';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { normaliseEmail } from '../../domain/email';
import {
  PermanentDeliveryError,
  TransientDeliveryError,
  type ChannelAdapter,
  type OutboundMessage,
  type SendOutcome,
} from '../adapter';
import { unsubscribeHeaders, type UnsubscribeLinks } from './unsubscribe';

export interface EmailAdapterOptions {
  /** `smtp://user:password@host:port` (or `smtps://`): secret, from the worker's environment only. */
  smtpUrl: string;
  /** Pooled SMTP connections (SMTP_POOL_MAX); default 5. */
  poolMax?: number;
  /** Waits that end an attempt well inside the dispatch activity's 60 s start-to-close timeout. */
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** The whole send, waiting for a pooled connection included; default 45 s. */
  sendTimeoutMs?: number;
  /** The name we greet the server with (EHLO); default: this machine's host name. */
  clientName?: string;
  /** Mail a process sends carries List-Unsubscribe with a signed one-click URL of this server. */
  unsubscribe?: UnsubscribeLinks;
}

/**
 * The email channel is configured wrong (no usable sender address). Not a refusal by the provider:
 * the send is retried, so it goes out once an administrator fixes the channel's settings.
 */
export class EmailChannelMisconfigured extends Error {
  override readonly name = 'EmailChannelMisconfigured';
}

/**
 * A long thread would otherwise grow the References header without end; RFC 5322 §3.6.4 lets it be
 * shortened, and keeping the first id plus the most recent ones still threads in every common client.
 */
export const MAX_REFERENCES = 50;

/** Longest piece of a server's reply kept in a failure reason shown to operators. */
const MAX_REASON_LENGTH = 500;

/**
 * Sends email over SMTP with nodemailer's connection pool. Each message gets a Message-ID derived
 * from our message id, so a retried send carries the same id and the customer's reply (In-Reply-To)
 * finds its session; In-Reply-To / References thread it into the session's earlier mail.
 */
export function createEmailAdapter(options: EmailAdapterOptions): ChannelAdapter {
  assertSmtpUrl(options.smtpUrl);
  const sendTimeoutMs = options.sendTimeoutMs ?? 45_000;
  const transport = createTransport({
    pool: true,
    url: options.smtpUrl,
    maxConnections: options.poolMax ?? 5,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    ...(options.clientName !== undefined ? { name: options.clientName } : {}),
    // Never log: the traffic includes AUTH, and the messages are customers' data.
    logger: false,
    debug: false,
  });

  return {
    async send(message: OutboundMessage): Promise<SendOutcome> {
      const mail = buildMail(message, await attachmentsOf(message), options.unsubscribe);
      try {
        // Ends a stuck attempt with an error of its own before the activity's timeout does.
        await transport.sendMail({ ...mail.options, signal: AbortSignal.timeout(sendTimeoutMs) });
      } catch (error) {
        throw classifySmtpError(error);
      }
      return { providerMessageId: mail.messageId };
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}

/** Checks the URL without ever echoing it: it carries the SMTP password. */
function assertSmtpUrl(smtpUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    // URL's own error keeps the input (`error.input`), so it is not passed on.
    throw new EmailChannelMisconfigured(
      'the SMTP URL is not a valid URL (expected smtp://user:password@host:port)',
    );
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    throw new EmailChannelMisconfigured(
      `the SMTP URL must start with smtp:// or smtps://, not ${protocol}//`,
    );
  }
}

export interface Sender {
  name?: string;
  address: string;
  domain: string;
}

/**
 * The channel's sender: `settings.from` (`support@shop.example` or `Support <support@shop.example>`),
 * else the channel's name when it is an address (when the dispatcher passes the name along).
 */
export function senderOf(channel: { id: string; settings: Record<string, unknown>; name?: string }): Sender {
  const configured = channel.settings.from;
  if (configured !== undefined) {
    if (typeof configured !== 'string') {
      throw new EmailChannelMisconfigured(
        `email channel ${JSON.stringify(channel.id)}: settings.from must be a string such as "support@shop.example"`,
      );
    }
    return parseSender(channel.id, configured);
  }
  if (channel.name !== undefined) {
    try {
      return withDomain(normaliseEmail(channel.name));
    } catch {
      // Not an address: fall through to the error that says what to set.
    }
  }
  throw new EmailChannelMisconfigured(
    `email channel ${JSON.stringify(channel.id)} has no sender address: set settings.from (e.g. "support@shop.example")`,
  );
}

/** A display name goes into the From header: a line break there would start a header of its own. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function parseSender(channelId: string, raw: string): Sender {
  const named = /^\s*(?:"([^"]*)"|([^<"]*?))\s*<([^<>]*)>\s*$/.exec(raw);
  const name = (named?.[1] ?? named?.[2] ?? '').trim();
  const address = named ? (named[3] ?? '') : raw;
  if (CONTROL.test(name)) {
    throw new EmailChannelMisconfigured(
      `email channel ${JSON.stringify(channelId)}: the name in settings.from contains control characters`,
    );
  }
  try {
    const sender = withDomain(normaliseEmail(address));
    return name ? { ...sender, name } : sender;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new EmailChannelMisconfigured(
      `email channel ${JSON.stringify(channelId)}: settings.from is not usable: ${why}`,
    );
  }
}

function withDomain(address: string): Sender {
  return { address, domain: address.slice(address.lastIndexOf('@') + 1) };
}

/** The Message-ID of one of our messages: stable across retries, so replies can be matched to it. */
export function messageIdFor(messageId: string, sender: Sender): string {
  return `<${messageId}@${sender.domain}>`;
}

/** The message's files with their bytes, as nodemailer attaches them. */
async function attachmentsOf(message: OutboundMessage): Promise<NonNullable<SendMailOptions['attachments']>> {
  const files = message.attachments ?? [];
  return Promise.all(
    files.map(async (file) => ({
      filename: file.filename,
      content: await file.content(),
      contentType: file.contentType,
    })),
  );
}

/** What nodemailer is given for one message, and the Message-ID it will carry. */
export function buildMail(
  message: OutboundMessage,
  attachments: NonNullable<SendMailOptions['attachments']> = [],
  unsubscribe?: UnsubscribeLinks,
): { messageId: string; options: SendMailOptions } {
  const sender = senderOf(message.channel);
  const messageId = messageIdFor(message.messageId, sender);
  const earlier = threadIds(message.earlierProviderMessageIds, messageId);
  const lastEarlier = earlier[earlier.length - 1];
  return {
    messageId,
    options: {
      from: sender.name ? { name: sender.name, address: sender.address } : sender.address,
      // An address object, so the value is never read as a list of addresses.
      to: { name: '', address: message.to },
      subject: message.subject ?? message.sessionName,
      text: message.text,
      messageId,
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(lastEarlier !== undefined ? { inReplyTo: lastEarlier, references: earlier } : {}),
      // Process and bulk mail (RFC 8058); an operator's own reply is a conversation, not a list.
      ...(unsubscribe && message.fromProcess
        ? { headers: unsubscribeHeaders(unsubscribe, message.messageId, sender.address) }
        : {}),
    },
  };
}

/** Earlier ids in `<id>` form, oldest first, without this message's own id, bounded in number. */
function threadIds(ids: readonly string[], own: string): string[] {
  const seen = new Set<string>();
  for (const raw of ids) {
    const id = raw.trim();
    if (id === '' || /\s/.test(id)) continue;
    const bracketed = id.startsWith('<') && id.endsWith('>') ? id : `<${id.replace(/^<|>$/g, '')}>`;
    if (bracketed !== own) seen.add(bracketed);
  }
  const all = [...seen];
  if (all.length <= MAX_REFERENCES) return all;
  return [...all.slice(0, 1), ...all.slice(all.length - (MAX_REFERENCES - 1))];
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

/**
 * Classifies a failed send once: a 5xx reply is a refusal for good (the message fails, visibly), a
 * 4xx reply asks us to come back later, anything else (connection refused, timeouts, a dropped
 * connection) is a plain error that Temporal retries too.
 */
export function classifySmtpError(error: unknown): unknown {
  // Not `instanceof Error`: socket errors may come from another realm (e.g. under Jest).
  if (!types.isNativeError(error)) return error;
  const fields = error as Error & SmtpErrorFields;
  // Our credentials were refused (535 and the like): a configuration problem, not the message's;
  // retrying lets it go out once SMTP_URL is fixed. The message names no secret.
  if (fields.code === 'EAUTH' || fields.code === 'ENOAUTH') {
    return new Error(
      `the SMTP server did not accept our login; check the user and password in SMTP_URL (${error.message})`,
    );
  }
  const code = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  if (code === undefined) return error;
  const reply = replyText(fields.response, error.message);
  // RFC 5321: 5yz is a permanent negative reply, except 503 (bad sequence of commands), which is
  // about the session's state, not the message, and goes through on a new connection.
  if (code >= 500 && code < 600 && code !== 503) {
    return new PermanentDeliveryError(`the mail server refused the message: ${reply}`, String(code));
  }
  if (code >= 400 && code < 600) {
    return new TransientDeliveryError(`the mail server asked to try again later: ${reply}`);
  }
  return error;
}

function replyText(response: unknown, fallback: string): string {
  const text = (typeof response === 'string' && response.trim() !== '' ? response : fallback)
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}
