import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import type { Knex } from 'knex';
import { parseAddressHeader, simpleParser, type ParsedMail, type StructuredHeader } from 'mailparser';
import mime from 'mime-types';
import type { StoredFile } from '../../db/attachments';
import { getChannel } from '../../db/live-chats';
import { applyDeliveryStatus } from '../../db/messages';
import { MAX_FILENAME_LENGTH } from '../../domain/attachments';
import { ChannelNotFound, InvalidEmail, InvalidInput } from '../../domain/errors';
import { MAX_SUBJECT_LENGTH } from '../../domain/limits';
import { recordInboundMessage, type RecordedInbound } from '../../inbound/record-inbound-message';
import { splitQuotedReply } from './quoted';

/** A message answering more ids than this is not legitimate threading; the rest are ignored. */
const MAX_THREAD_IDS = 100;
/** RFC 5322's line limit: a Message-ID longer than a header line is not one. */
const MAX_MESSAGE_ID_LENGTH = 998;

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * What of a customer's files is kept per mail. A customer's mail is never refused for its files
 * (it would be lost): files past these limits are left out, and the text says which.
 */
export const INBOUND_EMAIL_FILE_LIMITS = { maxCount: 20, maxTotalBytes: 25 * MiB } as const;

/** A customer's mail, as recorded in the history. */
export interface InboundEmail {
  from: string;
  /** What the customer wrote: the quoted history of a reply is set apart (in `fullText`). */
  text: string;
  /** The whole text, quoted history included, when `text` is only the new part of a reply. */
  fullText?: string;
  subject?: string;
  providerMessageId: string;
  inReplyTo: string[];
  /** The mail's files (attachments and inline images), in order, with their SHA-256. */
  attachments: StoredFile[];
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
  const { files, leftOut } = filesOf(mail);
  const whole = [bodyText(mail), ...leftOut].filter((t) => t !== '').join('\n\n');
  const reply = splitQuotedReply(whole);
  return {
    kind: 'message',
    message: {
      from: senderOf(mail),
      text: reply.text,
      ...(reply.fullText !== undefined ? { fullText: reply.fullText } : {}),
      ...(subject !== undefined ? { subject } : {}),
      providerMessageId: messageIdOf(mail, raw),
      inReplyTo: threadIdsOf(mail),
      attachments: files,
    },
  };
}

/**
 * The text a customer wrote: the text/plain part, else the HTML part as text (an HTML-only mail,
 * also inside multipart/alternative, where mailparser leaves `text` empty).
 */
function bodyText(mail: ParsedMail): string {
  const text = (mail.text ?? '').replace(/\r\n?/g, '\n').trimEnd();
  if (text.trim() !== '') return text;
  if (typeof mail.html !== 'string' || mail.html.trim() === '') return text;
  return htmlToText(mail.html);
}

/** HTML to readable text: paragraphs and line breaks kept, images and tracking pixels left out. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'head', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  })
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// eslint-disable-next-line no-control-regex
const FILENAME_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * The files of a customer's mail, each with its SHA-256, within INBOUND_EMAIL_FILE_LIMITS; what
 * does not fit is named in a line of text instead, so operators know it was sent.
 */
function filesOf(mail: ParsedMail): { files: StoredFile[]; leftOut: string[] } {
  const files: StoredFile[] = [];
  const leftOut: string[] = [];
  let total = 0;
  for (const [index, part] of mail.attachments.entries()) {
    const contentType = (part.contentType || 'application/octet-stream').toLowerCase();
    const filename = filenameOf(part.filename, contentType, index);
    const size = part.content.length;
    if (
      files.length >= INBOUND_EMAIL_FILE_LIMITS.maxCount ||
      total + size > INBOUND_EMAIL_FILE_LIMITS.maxTotalBytes
    ) {
      leftOut.push(
        `[attachment not kept: ${filename} (${size} bytes), over the limit of ${INBOUND_EMAIL_FILE_LIMITS.maxCount} files and ${INBOUND_EMAIL_FILE_LIMITS.maxTotalBytes / MiB} MiB per mail]`,
      );
      continue;
    }
    total += size;
    files.push({
      filename,
      contentType,
      sha256: createHash('sha256').update(part.content).digest('hex'),
      content: part.content,
    });
  }
  return { files, leftOut };
}

function filenameOf(given: string | undefined, contentType: string, index: number): string {
  const clean = (given ?? '').replace(FILENAME_CONTROLS, ' ').replace(/[\\/]/g, '_').trim();
  if (clean !== '') {
    if (clean.length <= MAX_FILENAME_LENGTH) return clean;
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : '';
    return clean.slice(0, MAX_FILENAME_LENGTH - ext.length) + ext;
  }
  const ext = mime.extension(contentType);
  return `attachment-${index + 1}${ext ? `.${ext}` : ''}`;
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
export async function applyDeliveryReport(
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

/** What became of one inbound mail: a customer's message recorded, or a delivery report applied. */
export type AcceptedMail =
  | { kind: 'message'; recorded: RecordedInbound }
  | { kind: 'delivery-report'; deliveryReport: AppliedDeliveryReport };

/**
 * One inbound mail of an email channel, whichever way it came (the webhook, the IMAP reader): a
 * bounce marks our message failed; a customer's message lands in the session it answers
 * (reopened if closed) or opens one, with its files. Repeating it changes nothing: a message is
 * recorded once per Message-ID, a report only moves a status forward.
 */
export async function acceptInboundMail(
  db: Knex,
  channelId: string,
  raw: Buffer,
  receivedAt: Date,
): Promise<AcceptedMail> {
  const channel = await getChannel(db, channelId);
  if (!channel || channel.kind !== 'email') throw new ChannelNotFound({ channelId });
  const mail = await readInboundMail(raw);
  if (mail.kind === 'delivery-report') {
    return {
      kind: 'delivery-report',
      deliveryReport: await applyDeliveryReport(db, channelId, mail.report, receivedAt),
    };
  }
  const recorded = await recordInboundMessage(db, { channelId, ...mail.message, receivedAt });
  return { kind: 'message', recorded };
}
