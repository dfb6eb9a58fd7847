import type { DispatchTelemetry } from './dispatch-message';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import type { Knex } from 'knex';
import type { ChannelAdapters } from '../channels/adapter';
import { bulkRecipientsAfter, recordBulkOutcomes, type BulkOutcome } from '../db/bulk-runs';
import { ContactNotFound, isLiveChatError } from '../domain/errors';
import { namesContact, renderMessageTemplate, templatePaths } from '../domain/templates';
import type { BulkNotifyInput, BulkRecipient } from '../domain/types';
import { dispatchMessage } from './dispatch-message';
import { prepareMessage } from './prepare-message';
import type { DispatchGate } from './rate-gate';

/** What every recipient's message shares: the request's message part. */
export type BulkMessage = Pick<
  BulkNotifyInput,
  'liveChatId' | 'channelId' | 'text' | 'subject' | 'variables' | 'whatsappTemplate' | 'author' | 'urgent'
>;

export interface BulkPageInput {
  bulkId: string;
  /** The recipients after this position, in order. */
  after: number;
  /** At most this many recipients. */
  limit: number;
  /** Sends in flight at once within the page. */
  concurrency: number;
  message: BulkMessage;
  /** Each recipient's idempotency key is this, a colon and its position. */
  keyBase: string;
  process: { workflowId: string; runId: string };
}

/** How far a page got: its checkpoint while it runs (the heartbeat's details), its result at the end. */
export interface BulkPageProgress {
  /** Every position up to here has its outcome recorded. */
  done: number;
  /** Recipients of this page done so far. */
  taken: number;
  sent: number;
  failed: number;
  scheduled: number;
  failuresByType: Record<string, number>;
}

export interface BulkPageDeps {
  db: Knex;
  channels: ChannelAdapters;
  clock: () => Date;
  gate: DispatchGate;
  /** Logs and metrics of each dispatch, as for single sends. */
  telemetry?: DispatchTelemetry;
  /** The checkpoint the previous attempt of this page reported (its last heartbeat), if any. */
  resumeFrom?: BulkPageProgress | undefined;
  /** Reports a checkpoint to Temporal (the activity's heartbeat). */
  checkpoint: (progress: BulkPageProgress) => void;
  /** Aborted when Temporal cancels the page (the workflow was cancelled): no more recipients start. */
  signal?: AbortSignal;
  /** A page ends after this long even if recipients are left, so pause and cancel wait at most that. */
  budgetMs?: number | undefined;
  /** How long a recipient the provider cannot take now is tried again within the page (default 20 s). */
  inPageRetryMs?: number | undefined;
  sleep?: (ms: number) => Promise<void>;
}

/** A page returns after this long at the most, even with recipients left: the next page goes on. */
const PAGE_BUDGET_MS = 30_000;
/** Outcomes are recorded, and the checkpoint moved, after this many or this long. */
const FLUSH_EVERY = 50;
const FLUSH_EVERY_MS = 1_000;
/** A recipient the provider cannot take right now is tried again in the page for this long, then the page fails and Temporal retries it. */
const IN_PAGE_RETRY_MS = 20_000;

/**
 * Bulk Notify's batched step: prepares and dispatches a page of recipients, `concurrency` at a
 * time, each with the same rules, idempotency key (`<keyBase>:<position>`) and dispatch lease as a
 * single send, so a recipient is once in the chat history and once at the provider however often
 * the page is retried. Outcomes are recorded as it goes and the position reached is its heartbeat,
 * so a retry (a killed worker, a provider down longer than the page waits) starts where the last
 * attempt's checkpoint stopped, and the recipients after it are found done by their keys. What one
 * recipient breaks (no account, a refusal by the provider) is that recipient's failure, counted.
 */
export async function sendBulkPage(deps: BulkPageDeps, input: BulkPageInput): Promise<BulkPageProgress> {
  const { db } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + (deps.budgetMs ?? PAGE_BUDGET_MS);
  const inPageRetryMs = deps.inPageRetryMs ?? IN_PAGE_RETRY_MS;
  let progress: BulkPageProgress = deps.resumeFrom ?? {
    done: input.after,
    taken: 0,
    sent: 0,
    failed: 0,
    scheduled: 0,
    failuresByType: {},
  };
  const left = input.limit - progress.taken;
  if (left <= 0) return progress;
  const page = await bulkRecipientsAfter(db, input.bulkId, progress.done, left);
  const { message } = input;
  const named = namesContact([
    ...templatePaths(message.text),
    ...(message.subject !== undefined ? templatePaths(message.subject) : []),
  ]);
  const personalise = personaliser(message, named, named ? await contactsOf(db, page) : new Map());

  const finished = new Map<number, BulkOutcome>();
  let next = 0;
  let flushed = 0;
  let stopped: unknown;
  let flushing: Promise<void> = Promise.resolve();

  /** Records the outcomes done in order from the checkpoint on, then moves the checkpoint past them. */
  const flush = (): Promise<void> => {
    flushing = flushing
      .catch(() => undefined)
      .then(async () => {
        const outcomes: BulkOutcome[] = [];
        for (let k = flushed; k < page.length; k++) {
          const outcome = finished.get(page[k]!.position);
          if (!outcome) break;
          outcomes.push(outcome);
        }
        if (outcomes.length === 0) return;
        await recordBulkOutcomes(db, input.bulkId, outcomes);
        const counted = { ...progress, failuresByType: { ...progress.failuresByType } };
        for (const o of outcomes) {
          finished.delete(o.position);
          counted.taken++;
          counted.done = o.position;
          if (o.status === 'sent') counted.sent++;
          else if (o.status === 'scheduled') counted.scheduled++;
          else {
            counted.failed++;
            const type = o.failureType ?? 'Unknown';
            counted.failuresByType[type] = (counted.failuresByType[type] ?? 0) + 1;
          }
        }
        flushed += outcomes.length;
        progress = counted;
        deps.checkpoint(progress);
      });
    return flushing;
  };

  const sendOne = async (position: number, to: BulkRecipient): Promise<BulkOutcome> => {
    for (let attempt = 0, started = Date.now(); ; attempt++) {
      try {
        const texts = personalise(to);
        const prepared = await prepareMessage(
          db,
          {
            liveChatId: message.liveChatId,
            channelId: message.channelId,
            to: addressOf(to),
            ...texts,
            ...(message.whatsappTemplate ? { whatsappTemplate: message.whatsappTemplate } : {}),
            ...(message.author ? { author: message.author } : {}),
            ...(message.urgent ? { urgent: true } : {}),
            idempotencyKey: `${input.keyBase}:${position}`,
            process: input.process,
          },
          deps.clock(),
        );
        if (prepared.scheduledFor) return { position, status: 'scheduled', messageId: prepared.messageId };
        await dispatchMessage(
          db,
          deps.channels,
          prepared.messageId,
          deps.clock,
          undefined,
          deps.telemetry ?? {},
          deps.gate,
        );
        return { position, status: 'sent', messageId: prepared.messageId };
      } catch (error) {
        const refusal = refusalOf(error);
        if (refusal) return { position, status: 'failed', ...refusal };
        // Not this recipient's fault (the provider busy, a dispatch still leased by a killed attempt,
        // the database gone for a moment): wait and try again, then leave it to Temporal's retry.
        const waited = Date.now() - started;
        if (waited >= inPageRetryMs || deps.signal?.aborted) throw error;
        const delay = retryDelayOf(error) ?? Math.min(250 * 2 ** attempt, 5_000);
        await sleep(Math.min(delay, inPageRetryMs - waited));
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (stopped === undefined && !deps.signal?.aborted && Date.now() < deadline) {
      const item = page[next];
      if (item === undefined) return;
      next++;
      try {
        finished.set(item.position, await sendOne(item.position, item.recipient));
      } catch (error) {
        stopped ??= error;
        return;
      }
      if (finished.size >= FLUSH_EVERY) await flush();
    }
  };

  // Also while a slow provider call holds every lane: what is done is recorded, and the heartbeat goes on.
  const keepAlive = setInterval(() => {
    deps.checkpoint(progress);
    flush().catch(() => undefined);
  }, FLUSH_EVERY_MS);
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, page.length)) }, lane));
    await flush();
  } finally {
    clearInterval(keepAlive);
  }
  if (stopped !== undefined) throw stopped;
  if (deps.signal?.aborted) throw new CancelledFailure('the bulk page was cancelled');
  return progress;
}

/** Where a recipient's message goes, without its variables. */
function addressOf(to: BulkRecipient): { contactId: string; field?: string } | { account: string } {
  if ('contactId' in to)
    return { contactId: to.contactId, ...(to.field !== undefined ? { field: to.field } : {}) };
  return { account: to.account };
}

type PageContacts = Map<string, { id: string; name: string; data: Record<string, unknown> }>;

/** The contacts of a page's recipients, in one query, when the template names a contact field. */
async function contactsOf(db: Knex, page: { recipient: BulkRecipient }[]): Promise<PageContacts> {
  const ids = page.flatMap(({ recipient }) => ('contactId' in recipient ? [recipient.contactId] : []));
  if (ids.length === 0) return new Map();
  const rows = await db('contacts').whereIn('id', ids).select('id', 'name', 'data');
  return new Map(
    rows.map((row: { id: string; name: string; data: Record<string, unknown> }) => [row.id, row]),
  );
}

/**
 * Each recipient's text and subject: the request's template rendered with the shared variables,
 * the recipient's own over them, and `contact` (id, name, data) when the template names it. A
 * field the recipient lacks is its `TemplateVariableMissing`, counted as its failure.
 */
function personaliser(
  message: BulkMessage,
  namesContact: boolean,
  contacts: PageContacts,
): (to: BulkRecipient) => { text: string; subject?: string; variables?: BulkMessage['variables'] } {
  return (to) => {
    if (!namesContact && !to.variables) {
      // Nothing of the recipient's own: the prepare step renders the shared variables, as for a single send.
      return {
        text: message.text,
        ...(message.subject !== undefined ? { subject: message.subject } : {}),
        ...(message.variables ? { variables: message.variables } : {}),
      };
    }
    let contact: Record<string, unknown> | undefined;
    if ('contactId' in to && namesContact) {
      const row = contacts.get(to.contactId);
      if (!row) throw new ContactNotFound({ contactId: to.contactId });
      contact = { id: row.id, name: row.name, data: row.data };
    }
    const context = { ...message.variables, ...to.variables, ...(contact ? { contact } : {}) };
    return {
      text: renderMessageTemplate(message.text, context),
      ...(message.subject !== undefined ? { subject: renderMessageTemplate(message.subject, context) } : {}),
    };
  };
}

/** A recipient's final refusal (a domain error that retrying cannot fix), as its outcome records it. */
function refusalOf(
  error: unknown,
): Pick<BulkOutcome, 'failureType' | 'failureReason' | 'messageId'> | undefined {
  if (isLiveChatError(error) && error.nonRetryable) {
    const messageId = (error.details as { messageId?: unknown }).messageId;
    return {
      failureType: error.type,
      failureReason: error.message,
      ...(typeof messageId === 'string' ? { messageId } : {}),
    };
  }
  if (error instanceof ApplicationFailure && error.nonRetryable && error.type) {
    return { failureType: error.type, failureReason: error.message };
  }
  return undefined;
}

function retryDelayOf(error: unknown): number | undefined {
  return error instanceof ApplicationFailure
    ? msOptionalToNumber(error.nextRetryDelay ?? undefined)
    : undefined;
}
