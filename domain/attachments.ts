/**
 * Attachments: the limits a process's files must keep, per channel kind, checked before anything is
 * stored so a process learns at once (and non-retryably) that a file cannot go out, instead of the
 * provider refusing it after the session was opened. Pure: no I/O here.
 */
import { AttachmentTooLarge, AttachmentTypeNotAllowed, TooManyAttachments } from './errors';
import type { AttachmentInput, ChannelKind } from './types';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Providers write their limits in (decimal) megabytes; read that way they are never exceeded. */
const MB = 1_000_000;

/**
 * Inline content (base64 in the workflow input) is kept in Temporal's history, once per workflow and
 * once per activity that carries it: small files only, so histories stay well under Temporal's
 * 2 MB payload limit. Larger files are given by URL and fetched by the worker.
 */
export const MAX_INLINE_FILE_BYTES = 256 * KiB;
export const MAX_INLINE_TOTAL_BYTES = 1 * MiB;
/** Files per message on any channel (a channel may allow fewer). */
export const MAX_ATTACHMENTS = 10;
export const MAX_FILENAME_LENGTH = 255;
/** Fetching a file given by URL gives up after this long (inside the 30 s of the prepare step). */
export const ATTACHMENT_FETCH_TIMEOUT_MS = 20_000;

export interface ChannelAttachmentLimits {
  /** Files in one message. */
  maxCount: number;
  /** One file. */
  maxFileBytes: number;
  /** All files of one message together. */
  maxTotalBytes: number;
  /** How the limits are worded in errors ("16 MB"). */
  label: (bytes: number) => string;
  /** The media types the provider accepts; undefined: any. */
  allowedTypes?: readonly string[];
  /** Lower limits for some media types (`image/` prefix), as the provider documents them. */
  maxBytesByTypePrefix?: Readonly<Record<string, number>>;
}

const mb = (bytes: number): string => `${bytes / MB} MB`;
const mib = (bytes: number): string =>
  bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${Math.round(bytes / KiB)} KiB`;

/**
 * Twilio's documented media types for WhatsApp (images, audio, video, documents, contacts).
 * Source: Twilio, "Guidance on WhatsApp Media Messages" and "Accepted content types for media".
 */
export const WHATSAPP_MEDIA_TYPES: readonly string[] = [
  'image/jpeg',
  'image/jpg',
  'image/png',
  'audio/ogg',
  'audio/amr',
  'audio/3gpp',
  'audio/aac',
  'audio/mpeg',
  'video/mp4',
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'text/vcard',
];

/**
 * Per channel kind. Sources: email — ours: 10 MiB in all, so the message (base64 makes it a third
 * larger) stays under the 20–25 MB that common mail servers accept; WhatsApp — Twilio: one media
 * file per WhatsApp message, at most 16 MB, images at most 5 MB, the types above; Telegram — Bot API
 * sendDocument: files up to 50 MB, sent as one album of at most 10 documents, and ours: 50 MB in all
 * so one dispatch never holds more in memory; the website widget — ours, as email.
 */
export const ATTACHMENT_LIMITS: Readonly<Record<ChannelKind, ChannelAttachmentLimits>> = {
  email: { maxCount: MAX_ATTACHMENTS, maxFileBytes: 10 * MiB, maxTotalBytes: 10 * MiB, label: mib },
  whatsapp: {
    maxCount: 1,
    maxFileBytes: 16 * MB,
    maxTotalBytes: 16 * MB,
    label: mb,
    allowedTypes: WHATSAPP_MEDIA_TYPES,
    maxBytesByTypePrefix: { 'image/': 5 * MB },
  },
  telegram: { maxCount: MAX_ATTACHMENTS, maxFileBytes: 50 * MB, maxTotalBytes: 50 * MB, label: mb },
  livechat: { maxCount: MAX_ATTACHMENTS, maxFileBytes: 10 * MiB, maxTotalBytes: 10 * MiB, label: mib },
};

/** A file resolved to its bytes, ready to be checked and stored. */
export interface AttachmentFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** The media type without parameters, lower case: `Text/Plain; charset=utf-8` → `text/plain`. */
export function mediaTypeEssence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Inline content is limited before anything else: a file over it is refused whatever the channel. */
export function checkInlineSizes(files: readonly { filename: string; size: number }[]): void {
  if (files.length > MAX_ATTACHMENTS)
    throw new TooManyAttachments({ count: files.length, max: MAX_ATTACHMENTS });
  let total = 0;
  for (const file of files) {
    if (file.size > MAX_INLINE_FILE_BYTES) {
      throw new AttachmentTooLarge({
        filename: file.filename,
        size: file.size,
        limit: MAX_INLINE_FILE_BYTES,
        scope: 'inline-file',
        limitLabel: mib(MAX_INLINE_FILE_BYTES),
      });
    }
    total += file.size;
    if (total > MAX_INLINE_TOTAL_BYTES) {
      throw new AttachmentTooLarge({
        filename: file.filename,
        size: total,
        limit: MAX_INLINE_TOTAL_BYTES,
        scope: 'inline-total',
        limitLabel: mib(MAX_INLINE_TOTAL_BYTES),
      });
    }
  }
}

/** How many bytes one file given by URL may have on this channel: the fetch stops past it. */
export function maxFetchBytes(channelKind: ChannelKind): number {
  return ATTACHMENT_LIMITS[channelKind].maxFileBytes;
}

/** The count a channel takes, checked before any URL is fetched. */
export function checkAttachmentCount(count: number, channelKind: ChannelKind): void {
  const limits = ATTACHMENT_LIMITS[channelKind];
  if (count > limits.maxCount) throw new TooManyAttachments({ count, max: limits.maxCount, channelKind });
}

/** Checks a message's files against its channel's limits (count, types, sizes), in order. */
export function checkChannelLimits(
  files: readonly { filename: string; contentType: string; size: number }[],
  channelKind: ChannelKind,
): void {
  const limits = ATTACHMENT_LIMITS[channelKind];
  checkAttachmentCount(files.length, channelKind);
  let total = 0;
  for (const file of files) {
    const type = mediaTypeEssence(file.contentType);
    if (limits.allowedTypes && !limits.allowedTypes.includes(type)) {
      throw new AttachmentTypeNotAllowed({
        filename: file.filename,
        contentType: type,
        channelKind,
        allowed: [...limits.allowedTypes],
      });
    }
    const byType = Object.entries(limits.maxBytesByTypePrefix ?? {}).find(([prefix]) =>
      type.startsWith(prefix),
    );
    const fileLimit = Math.min(limits.maxFileBytes, byType?.[1] ?? Infinity);
    if (file.size > fileLimit) {
      throw new AttachmentTooLarge({
        filename: file.filename,
        size: file.size,
        limit: fileLimit,
        scope: 'file',
        limitLabel: limits.label(fileLimit),
        channelKind,
        ...(byType ? { contentType: type } : {}),
      });
    }
    total += file.size;
    if (total > limits.maxTotalBytes) {
      throw new AttachmentTooLarge({
        filename: file.filename,
        size: total,
        limit: limits.maxTotalBytes,
        scope: 'total',
        limitLabel: limits.label(limits.maxTotalBytes),
        channelKind,
      });
    }
  }
}

/**
 * Checks what needs no channel and no network, before anything is read: how many files, and the
 * sizes of inline content (which is in the workflow's history and must stay small).
 */
export function checkAttachmentInputs(attachments: readonly AttachmentInput[]): void {
  checkInlineSizes(
    attachments.flatMap((a) =>
      a.content !== undefined ? [{ filename: a.filename, size: Buffer.byteLength(a.content, 'base64') }] : [],
    ),
  );
}
