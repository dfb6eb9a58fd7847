import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ChannelKind } from '../domain/types';
import type { InboundFileRow } from '../db/rows';

/**
 * Files customers send (WhatsApp media, Telegram photos, documents, voice), kept like outbound files:
 * by the SHA-256 of their bytes in `attachments`, linked to the message in `message_attachments`.
 *
 * Where the fetch happens, and why there. The provider gives a reference (a Twilio MediaUrl, a
 * Telegram file_id), not the bytes, and fetching them can be slow or fail. So:
 * 1. the message is recorded first, with one `inbound_files` row per reference, in the same
 *    transaction: once the webhook answers, nothing the customer sent can be lost;
 * 2. the webhook then fetches them itself, bounded (each fetch has a timeout, all run at once), so in
 *    the usual case operators see the file with the message;
 * 3. a fetch that failed or did not finish is retried from its row by `retryInboundFiles` (the server
 *    runs it on a timer) with backoff, until it succeeds or gives up (`failed`, with a reason).
 * Each attempt first takes a lease on the row (`next_attempt_at` moved ahead), so the webhook and the
 * retry loop, or two servers, never fetch one file at the same time, and storing is idempotent.
 * Not a Temporal activity: the webhook server runs no worker, inbound recording must not depend on
 * Temporal being up, and a workflow per customer file would cost actions for what one row does.
 */

/** A file a provider named in a customer's message, before it is fetched. */
export interface InboundFileRef {
  /** What to fetch it by: a Twilio MediaUrl, a Telegram file_id. */
  source: string;
  contentType?: string;
  filename?: string;
  /** The size the provider announced, if it did. */
  size?: number;
}

/** What a fetch brought back. */
export interface FetchedFile {
  content: Buffer;
  contentType: string;
  filename: string;
}

/** Fetches one file of a channel kind; throws `InboundFileRefused` when no retry can help. */
export type InboundFileFetcher = (file: InboundFileRow) => Promise<FetchedFile>;

export type InboundFileFetchers = Partial<Record<ChannelKind, InboundFileFetcher>>;

/** The provider will never give this file (too large, deleted, not theirs to give): stop trying. */
export class InboundFileRefused extends Error {
  override readonly name = 'InboundFileRefused';
}

/** How long one attempt holds its row; a fetch has its own shorter timeout. */
const LEASE_MS = 2 * 60 * 1000;
/** Then the file is marked failed: about a day of backoff (1 min, 2, 4, … capped at 4 h). */
export const MAX_INBOUND_FILE_ATTEMPTS = 12;
const MAX_BACKOFF_MS = 4 * 60 * 60 * 1000;

/** The rows to insert with a new inbound message (in its transaction). */
export async function insertInboundFiles(
  trx: Knex.Transaction,
  messageId: string,
  files: readonly InboundFileRef[],
): Promise<void> {
  if (files.length === 0) return;
  await trx('inbound_files').insert(
    files.map((file, position) => ({
      message_id: messageId,
      position,
      source: file.source,
      content_type: file.contentType ?? null,
      filename: file.filename ?? null,
      declared_size: file.size ?? null,
    })),
  );
}

interface Claimed extends InboundFileRow {
  channel_kind: ChannelKind;
}

/**
 * Fetches and stores the pending files of one message (`messageId`) or every file due for a retry,
 * at most `limit`. Returns how each ended.
 */
export async function fetchInboundFiles(
  db: Knex,
  fetchers: InboundFileFetchers,
  options: { messageId?: string; limit?: number; now?: () => Date } = {},
): Promise<{ stored: number; failed: number; retrying: number }> {
  const now = options.now ?? (() => new Date());
  const claimed = await claim(db, options.messageId, options.limit ?? 20, now());
  const outcomes = await Promise.all(
    claimed.map(async (file) => {
      const fetcher = fetchers[file.channel_kind];
      if (!fetcher) return giveUpOrRetry(db, file, `no ${file.channel_kind} provider is configured`, now());
      try {
        const fetched = await fetcher(file);
        await store(db, file, fetched, now());
        return 'stored' as const;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof InboundFileRefused) {
          await fail(db, file, reason);
          return 'failed' as const;
        }
        return giveUpOrRetry(db, file, reason, now());
      }
    }),
  );
  return {
    stored: outcomes.filter((o) => o === 'stored').length,
    failed: outcomes.filter((o) => o === 'failed').length,
    retrying: outcomes.filter((o) => o === 'retrying').length,
  };
}

/** Takes due pending rows for one attempt: moves their next attempt past the lease, counts it. */
async function claim(db: Knex, messageId: string | undefined, limit: number, at: Date): Promise<Claimed[]> {
  const result = await db.raw<{ rows: Claimed[] }>(
    `with due as (
       select message_id, position from inbound_files
        where state = 'pending' and next_attempt_at <= :at
          ${messageId !== undefined ? 'and message_id = :messageId' : ''}
        order by next_attempt_at
        limit :limit
        for update skip locked
     )
     update inbound_files f
        set next_attempt_at = :leaseUntil, attempts = f.attempts + 1
       from due, messages m, sessions s, channels c
      where f.message_id = due.message_id and f.position = due.position
        and m.id = f.message_id and s.id = m.session_id and c.id = s.channel_id
     returning f.*, c.kind as channel_kind`,
    {
      at,
      leaseUntil: new Date(at.getTime() + LEASE_MS),
      limit,
      ...(messageId !== undefined ? { messageId } : {}),
    },
  );
  return result.rows;
}

async function store(db: Knex, file: Claimed, fetched: FetchedFile, at: Date): Promise<void> {
  const sha256 = createHash('sha256').update(fetched.content).digest('hex');
  await db.transaction(async (trx) => {
    await trx('attachments')
      .insert({ sha256, size: fetched.content.length, content: fetched.content })
      .onConflict('sha256')
      .ignore();
    await trx('message_attachments')
      .insert({
        message_id: file.message_id,
        position: file.position,
        attachment_sha256: sha256,
        filename: fetched.filename,
        content_type: fetched.contentType,
      })
      .onConflict(['message_id', 'position'])
      .ignore();
    await trx('inbound_files')
      .where({ message_id: file.message_id, position: file.position })
      .update({ state: 'stored', stored_at: at, failure_reason: null });
    // Operators' live feed picks up changed messages by updated_at.
    await trx('messages').where({ id: file.message_id }).update({ updated_at: at });
  });
}

async function fail(db: Knex, file: Claimed, reason: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('inbound_files')
      .where({ message_id: file.message_id, position: file.position })
      .update({ state: 'failed', failure_reason: reason.slice(0, 500) });
    await trx('messages').where({ id: file.message_id }).update({ updated_at: db.fn.now() });
  });
}

async function giveUpOrRetry(
  db: Knex,
  file: Claimed,
  reason: string,
  at: Date,
): Promise<'failed' | 'retrying'> {
  if (file.attempts >= MAX_INBOUND_FILE_ATTEMPTS) {
    await fail(db, file, `gave up after ${file.attempts} attempts: ${reason}`);
    return 'failed';
  }
  const backoff = Math.min(60_000 * 2 ** (file.attempts - 1), MAX_BACKOFF_MS);
  await db('inbound_files')
    .where({ message_id: file.message_id, position: file.position })
    .update({ next_attempt_at: new Date(at.getTime() + backoff), failure_reason: reason.slice(0, 500) });
  return 'retrying';
}

/**
 * Retries due files every `intervalMs` until stopped (the server's loop). Errors of a round (the
 * database away) are reported and the next round tries again.
 */
export function retryInboundFiles(
  db: Knex,
  fetchers: InboundFileFetchers,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 30_000;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running
      .then(() => (stopped ? undefined : fetchInboundFiles(db, fetchers, { limit: 50 })))
      .catch((error: unknown) => options.onError?.(error));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Reads a response body of at most `maxBytes`, refusing a larger one as soon as it shows (by its
 * Content-Length, or while reading), so a huge file never sits in memory.
 */
export async function readBounded(response: Response, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new InboundFileRefused(`${what} is ${declared} bytes, more than the ${maxBytes} we keep`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    if (!reader) break;
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new InboundFileRefused(`${what} is more than the ${maxBytes} bytes we keep`);
    }
    chunks.push(Buffer.from(value));
  }
  if (size === 0) throw new InboundFileRefused(`${what} is empty`);
  return Buffer.concat(chunks);
}
