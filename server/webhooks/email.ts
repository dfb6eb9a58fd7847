import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseAddressHeader, simpleParser, type ParsedMail, type StructuredHeader } from 'mailparser';
import type { Knex } from 'knex';
import { getChannel } from '../../db/live-chats';
import { applyDeliveryStatus } from '../../db/messages';
import { ChannelNotFound, InvalidEmail, InvalidInput, isLiveChatError } from '../../domain/errors';
import { MAX_SUBJECT_LENGTH } from '../../domain/limits';
import { recordInboundMessage } from '../../inbound/record-inbound-message';
import type { WebhookDeps, WebhookRoutes } from '../webhook-server';

/** The header an inbound-parse service sends our shared secret in. */
export const EMAIL_WEBHOOK_SECRET_HEADER = 'x-livechat-webhook-secret';

/** Raw MIME including attachments; what common inbound-parse services forward at most. */
export const DEFAULT_EMAIL_BODY_LIMIT = 25 * 1024 * 1024;

/** A message answering more ids than this is not legitimate threading; the rest are ignored. */
const MAX_THREAD_IDS = 100;
/** RFC 5322's line limit: a Message-ID longer than a header line is not one. */
const MAX_MESSAGE_ID_LENGTH = 998;

export interface EmailWebhookOptions {
  /** Shared with the inbound-parse service; it must send it in `x-livechat-webhook-secret`. */
  secret: string;
  /** Largest raw message accepted, in bytes (default 25 MB). */
  bodyLimit?: number;
}

/**
 * Inbound email: `POST /webhooks/email/:channelId` with the raw message (`message/rfc822`), as an
 * inbound-parse service forwards it. The shared secret is checked before the body is read; a reply
 * lands in the session of the message it answers (In-Reply-To / References against our
 * Message-IDs), anything else opens a session started by the customer. A bounce (a delivery report
 * from a mail server) is no customer message: it marks the message it reports on failed.
 */
export function emailWebhookRoutes(options: EmailWebhookOptions): WebhookRoutes {
  // Short secrets can be guessed; refuse them at start-up rather than accept forged mail later.
  if (options.secret.length < 16)
    throw new Error('the email webhook secret must be at least 16 characters long');
  const expected = digest(options.secret);
  const bodyLimit = options.bodyLimit ?? DEFAULT_EMAIL_BODY_LIMIT;

  return (app: FastifyInstance, deps: Required<WebhookDeps>) => {
    // A scope of its own, so the message/rfc822 parser and the secret check apply to these routes only.
    void app.register(async (scope) => {
      scope.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
        done(null, body),
      );
      scope.addHook('onRequest', async (request, reply) => {
        if (!secretMatches(request.headers[EMAIL_WEBHOOK_SECRET_HEADER], expected)) {
          return reply
            .code(401)
            .send(errorBody('Unauthorized', `missing or wrong ${EMAIL_WEBHOOK_SECRET_HEADER} header`));
        }
      });

      scope.post<{ Params: { channelId: string } }>(
        '/webhooks/email/:channelId',
        { bodyLimit },
        async (request, reply) => {
          if (!Buffer.isBuffer(request.body)) {
            return reply
              .code(415)
              .send(
                errorBody('UnsupportedMediaType', 'send the raw message as Content-Type: message/rfc822'),
              );
          }
          try {
            const { channelId } = request.params;
            const channel = await getChannel(deps.db, channelId);
            if (!channel || channel.kind !== 'email') throw new ChannelNotFound({ channelId });
            const mail = await readInboundMail(request.body);
            if (mail.kind === 'delivery-report') {
              const deliveryReport = await applyDeliveryReport(deps.db, channelId, mail.report, deps.clock());
              if (deliveryReport.updated && deliveryReport.status)
                deps.metrics.messages.inc({ channel: 'email', status: deliveryReport.status });
              return reply.code(200).send({ deliveryReport });
            }
            const recorded = await recordInboundMessage(deps.db, {
              channelId,
              ...mail.message,
              receivedAt: deps.clock(),
            });
            if (!recorded.duplicate) deps.metrics.inbound.inc({ channel: 'email' });
            return reply.code(200).send(recorded);
          } catch (error) {
            return refuse(reply, error);
          }
        },
      );
    });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant time: both sides are hashed to the same length before timingSafeEqual. */
function secretMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== 'string' || given === '') return false;
  return timingSafeEqual(digest(given), expected);
}

function errorBody(type: string, message: string) {
  return { error: { type, message } };
}

/** Domain refusals are the sender's problem (4xx, not retried by the service); the rest propagate as 500. */
function refuse(reply: FastifyReply, error: unknown): FastifyReply {
  if (!isLiveChatError(error)) throw error;
  const status = error instanceof ChannelNotFound ? 404 : 400;
  return reply.code(status).send(errorBody(error.type, error.message));
}

/** A customer's mail, as recorded in the history. */
export interface InboundEmail {
  from: string;
  text: string;
  subject?: string;
  providerMessageId: string;
  inReplyTo: string[];
}

/** A bounce or delivery notice (RFC 3464 `multipart/report; report-type=delivery-status`). */
export interface DeliveryReport {
  /** Message-IDs of the message it reports on: from its returned headers, then In-Reply-To / References. */
  originalMessageIds: string[];
  recipients: { recipient?: string; action: string; status?: string; diagnostic?: string }[];
}

export type InboundMail =
  { kind: 'message'; message: InboundEmail } | { kind: 'delivery-report'; report: DeliveryReport };

const PARSER_OPTIONS = {
  skipTextToHtml: true,
  skipImageLinks: true,
  checksumAlgo: false,
  // An HTML-only mail is turned into text; a huge one is not worth converting.
  maxHtmlLengthToParse: 2 * 1024 * 1024,
} as const;

async function parse(raw: Buffer, options: Parameters<typeof simpleParser>[1] = {}): Promise<ParsedMail> {
  try {
    return await simpleParser(raw, { ...PARSER_OPTIONS, ...options });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new InvalidInput({ path: 'body', message: `is not a readable MIME message (${why})` });
  }
}

/**
 * Reads a raw inbound mail: a delivery report about one of our messages (a bounce from a mail
 * server, not a customer), or a customer's message.
 */
export async function readInboundMail(raw: Buffer): Promise<InboundMail> {
  const mail = await parse(raw);
  if (isDeliveryReport(mail)) {
    // Again, keeping the report and the returned message as parts instead of reading them as text.
    const parts = await parse(raw, { keepDeliveryStatus: true, ignoreEmbedded: true });
    return { kind: 'delivery-report', report: deliveryReportOf(parts) };
  }
  const subject = cleanSubject(mail.subject);
  return {
    kind: 'message',
    message: {
      from: senderOf(mail),
      text: (mail.text ?? '').trimEnd(),
      ...(subject !== undefined ? { subject } : {}),
      providerMessageId: messageIdOf(mail, raw),
      inReplyTo: threadIdsOf(mail),
    },
  };
}

function isDeliveryReport(mail: ParsedMail): boolean {
  const type = mail.headers.get('content-type');
  return (
    isStructured(type) &&
    type.value.toLowerCase() === 'multipart/report' &&
    type.params['report-type']?.toLowerCase() === 'delivery-status'
  );
}

function isStructured(value: unknown): value is StructuredHeader {
  if (typeof value !== 'object' || value === null || !('value' in value) || !('params' in value))
    return false;
  return typeof value.value === 'string' && typeof value.params === 'object' && value.params !== null;
}

function deliveryReportOf(mail: ParsedMail): DeliveryReport {
  const returnedIds = mail.attachments
    .filter((part) => part.contentType === 'text/rfc822-headers' || part.contentType === 'message/rfc822')
    .flatMap((part) => {
      const head = part.content.toString('utf8').split(/\r?\n\r?\n/, 1)[0] ?? '';
      const id = fields(head).get('message-id');
      return id ? [...id.matchAll(/<[^<>\s]{1,998}>/g)].map((match) => match[0]) : [];
    });
  const statusPart = mail.attachments.find((part) => part.contentType === 'message/delivery-status');
  // The first block is about the report as a whole; each further block is about one recipient.
  const blocks = (statusPart?.content.toString('utf8') ?? '').split(/\r?\n[ \t]*\r?\n/).slice(1);
  const recipients = blocks
    .map(fields)
    .filter((block) => block.has('action'))
    .map((block) => {
      const recipient = afterType(block.get('final-recipient') ?? block.get('original-recipient'));
      const status = block.get('status');
      const diagnostic = afterType(block.get('diagnostic-code'));
      return {
        action: (block.get('action') ?? '').toLowerCase(),
        ...(recipient ? { recipient } : {}),
        ...(status ? { status } : {}),
        ...(diagnostic ? { diagnostic } : {}),
      };
    });
  return { originalMessageIds: [...new Set([...returnedIds, ...threadIdsOf(mail)])], recipients };
}

/** `Name: value` lines (folded lines joined) into a map of lower-case names to their first value. */
function fields(block: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!map.has(name)) map.set(name, line.slice(colon + 1).trim());
  }
  return map;
}

/** `rfc822; name@example.com` → `name@example.com`; `smtp; 550 ...` → `550 ...`. */
function afterType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const text = (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
  return text === '' ? undefined : text;
}

export interface AppliedDeliveryReport {
  /** Our message the report is about, when it is one of ours on this channel. */
  providerMessageId: string | null;
  status: 'failed' | 'delivered' | null;
  /** Whether the message's status changed (a late or repeated report changes nothing). */
  updated: boolean;
}

/**
 * A bounce marks our message failed, a delivery notice delivered. Only for one of our messages on
 * this channel, and only when the report names that message's recipient: a mail that merely quotes
 * one of our Message-IDs cannot change another conversation's status.
 */
async function applyDeliveryReport(
  db: Knex,
  channelId: string,
  report: DeliveryReport,
  at: Date,
): Promise<AppliedDeliveryReport> {
  const none: AppliedDeliveryReport = { providerMessageId: null, status: null, updated: false };
  const ids = report.originalMessageIds.slice(0, MAX_THREAD_IDS);
  if (ids.length === 0) return none;
  const ours: { provider_message_id: string; account: string } | undefined = await db('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where({ 's.channel_id': channelId, 'm.direction': 'outbound' })
    .whereIn('m.provider_message_id', ids)
    .first('m.provider_message_id', 's.account');
  if (!ours) return none;
  const about = report.recipients.find(
    (entry) => entry.recipient !== undefined && entry.recipient.toLowerCase() === ours.account.toLowerCase(),
  );
  const status = about?.action === 'failed' ? 'failed' : about?.action === 'delivered' ? 'delivered' : null;
  if (!about || status === null) return { ...none, providerMessageId: ours.provider_message_id };
  const reason = `the mail bounced: ${about.diagnostic ?? about.status ?? 'delivery failed'}`;
  const updated = await applyDeliveryStatus(db, {
    channelId,
    providerMessageId: ours.provider_message_id,
    status,
    ...(status === 'failed' ? { reason: reason.slice(0, 500) } : {}),
    at,
  });
  return { providerMessageId: ours.provider_message_id, status, updated };
}

/** The one From address, its domain kept in ASCII (punycode) as our address rules expect. */
function senderOf(mail: ParsedMail): string {
  const lines = mail.headerLines.filter((line) => line.key === 'from');
  if (lines.length === 0) throw new InvalidInput({ path: 'from', message: 'the message has no From header' });
  const values = lines.map((line) => line.line.replace(/^[^:]*:/, ''));
  const found = parseAddressHeader(values, { flatten: true, decodePunycode: false }).value.flatMap((entry) =>
    entry.address ? [entry.address] : [],
  );
  const raw = values.join(', ').trim();
  if (found.length > 1) throw new InvalidEmail({ value: raw, reason: 'multiple-addresses' });
  const address = found[0];
  if (address === undefined) throw new InvalidEmail({ value: raw, reason: 'invalid-format' });
  return address;
}

/** A subject is one header line: controls (CR/LF included) become spaces. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

/**
 * Customers' subjects are not refused for being long or odd (the message would be lost); they are
 * made one line and shortened to what a subject may hold.
 */
function cleanSubject(subject: string | undefined): string | undefined {
  const line = (subject ?? '').replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  return line.length > MAX_SUBJECT_LENGTH ? `${line.slice(0, MAX_SUBJECT_LENGTH - 1)}…` : line;
}

/**
 * The Message-ID, which makes a repeated delivery count once. Mail without a usable one gets an id
 * derived from its bytes, so a repeat of the same bytes is still recognised.
 */
function messageIdOf(mail: ParsedMail, raw: Buffer): string {
  const id = mail.messageId?.trim();
  if (id && id.length <= MAX_MESSAGE_ID_LENGTH && /^<[^<>\s]+>$/.test(id)) return id;
  return `<sha256.${createHash('sha256').update(raw).digest('hex')}@inbound.invalid>`;
}

/** Every `<id>` of In-Reply-To, then References (newest last), without repeats. */
function threadIdsOf(mail: ParsedMail): string[] {
  const texts = [mail.inReplyTo ?? '', ...[mail.references ?? []].flat()];
  const ids = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/<[^<>\s]{1,998}>/g)) {
      if (ids.size >= MAX_THREAD_IDS) return [...ids];
      ids.add(match[0]);
    }
  }
  return [...ids];
}
