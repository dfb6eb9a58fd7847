import { checkChannelLimits } from '../domain/attachments';
import { InvalidInput } from '../domain/errors';
import type { ChannelKind } from '../domain/types';
import type { Knex } from 'knex';

/** A file of a message as the history shows it and the adapters send it (without its bytes). */
export interface AttachmentRef {
  position: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** A file ready to be stored: its bytes and their SHA-256 (lower-case hex). */
export interface StoredFile {
  filename: string;
  contentType: string;
  sha256: string;
  content: Buffer;
}

/**
 * The files of the message `alias.id`, in order, as one JSON array (`[]` when it has none): a
 * sub-select for the queries that read messages, so the history shows names and sizes in the same
 * round trip.
 */
export function attachmentsOf(alias: string): string {
  return `coalesce((select jsonb_agg(jsonb_build_object('position', ma.position, 'filename', ma.filename,
                    'contentType', ma.content_type, 'size', af.size, 'sha256', af.sha256) order by ma.position)
                      from message_attachments ma join attachments af on af.sha256 = ma.attachment_sha256
                     where ma.message_id = ${alias}.id), '[]'::jsonb)`;
}

/**
 * Stores a new message's files: each distinct content once (a file already stored by any message is
 * not written again), then the message's links to them in order. Run in the transaction that
 * inserted the message, so a message never exists without its files, nor files for a message that
 * was not made.
 */
export async function storeMessageAttachments(
  trx: Knex.Transaction,
  messageId: string,
  files: readonly StoredFile[],
): Promise<void> {
  if (files.length === 0) return;
  const distinct = new Map(files.map((f) => [f.sha256, f]));
  await trx('attachments')
    .insert(
      [...distinct.values()].map((f) => ({ sha256: f.sha256, size: f.content.length, content: f.content })),
    )
    .onConflict('sha256')
    .ignore();
  await linkStoredFiles(trx, messageId, files);
}

/** Stored files by SHA-256, with their sizes (those not stored are missing from the map). */
export async function storedSizes(db: Knex, sha256s: readonly string[]): Promise<Map<string, number>> {
  if (sha256s.length === 0) return new Map();
  const rows: { sha256: string; size: string | number }[] = await db('attachments')
    .whereIn('sha256', [...new Set(sha256s)])
    .select('sha256', 'size');
  return new Map(rows.map((r) => [r.sha256, Number(r.size)]));
}

/** Links a new message to files stored before it (an operator's uploads), in order, in its transaction. */
export async function linkStoredFiles(
  trx: Knex.Transaction,
  messageId: string,
  files: readonly { sha256: string; filename: string; contentType: string }[],
): Promise<void> {
  if (files.length === 0) return;
  await trx('message_attachments').insert(
    files.map((f, position) => ({
      message_id: messageId,
      position,
      attachment_sha256: f.sha256,
      filename: f.filename,
      content_type: f.contentType,
    })),
  );
}

/**
 * Checks files stored beforehand (an operator's uploads) against a channel's limits for a process's
 * files, by their stored sizes; refuses one that was never stored.
 */
export async function checkStoredFiles(
  db: Knex,
  files: readonly { sha256: string; filename: string; contentType: string }[],
  channelKind: ChannelKind,
): Promise<void> {
  if (files.length === 0) return;
  const sizes = await storedSizes(
    db,
    files.map((f) => f.sha256),
  );
  const missing = files.find((f) => !sizes.has(f.sha256));
  if (missing) throw new InvalidInput({ path: 'files', message: `${missing.filename} was never uploaded` });
  checkChannelLimits(
    files.map((f) => ({ ...f, size: sizes.get(f.sha256) ?? 0 })),
    channelKind,
  );
}

/** Stores one file's bytes once (content-addressed); its SHA-256. */
export async function storeFileContent(db: Knex, sha256: string, content: Buffer): Promise<void> {
  await db('attachments').insert({ sha256, size: content.length, content }).onConflict('sha256').ignore();
}

/** The bytes of a stored file. */
export async function attachmentContent(db: Knex, sha256: string): Promise<Buffer> {
  const row = await db('attachments').where({ sha256 }).first<{ content: Buffer } | undefined>('content');
  if (!row) throw new Error(`attachment ${sha256} is not stored`);
  return row.content;
}

/** One file of a message with its bytes, for the media URL that serves it (WhatsApp). */
export async function messageAttachment(
  db: Knex,
  messageId: string,
  position: number,
): Promise<{ filename: string; contentType: string; content: Buffer } | undefined> {
  const row = await db('message_attachments as ma')
    .join('attachments as a', 'a.sha256', 'ma.attachment_sha256')
    .where({ 'ma.message_id': messageId, 'ma.position': position })
    .first<{ filename: string; content_type: string; content: Buffer } | undefined>(
      'ma.filename',
      'ma.content_type',
      'a.content',
    );
  return row ? { filename: row.filename, contentType: row.content_type, content: row.content } : undefined;
}
