import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, BulkOutcome } from '../activities';
import type {
  BulkNotifyInput,
  BulkNotifyResult,
  BulkProgress,
  BulkRecipient,
  ChannelKind,
} from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import { bulkPagesFor } from './dispatcher';
import {
  bulkProgressQuery,
  cancelBulkUpdate,
  pauseBulkUpdate,
  resumeBulkUpdate,
} from './bulk-notify-messages';
import { dispatcherFor } from './dispatcher';
import { refusalOf } from './refusal-of';
import { requireInput } from './require-input';

const {
  planBulk,
  bulkRecipientsAfter,
  heldRecipientsDue,
  recordBulkOutcomes,
  cancelHeldRecipients,
  finishBulk,
  prepareMessage,
} = proxyActivities<Activities>(DATABASE_STEP);
/** A held recipient's time is checked by the database's clock: wake a little after it. */
const HELD_SLACK_MS = 1_000;

const DEFAULT_CONCURRENCY = 20;
/** Well under Temporal's warning at 10 240 events: each run continues as new before it. */
export const DEFAULT_EVENTS_BEFORE_CONTINUE_AS_NEW = 8_000;
/** What one recipient costs in history: two activities (3 events each) and their share of workflow tasks. */
const EVENTS_PER_RECIPIENT = 12;
/** What a page costs in history when batched: one activity, its workflow task, and room for a pause or a query. */
const EVENTS_PER_PAGE = 12;
const DEFAULT_PAGE_SIZE = 500;
/**
 * Runs started before batched dispatch replay their two steps per recipient; a run that starts now
 * (or continues as new) hands pages to `sendBulkPage`.
 */
export const BATCHED_DISPATCH_PATCH = 'bulk-batched-dispatch';

/** What a run hands to the next when it continues as new: a cursor and counters, never the audience. */
export interface BulkContinuation extends BulkCounters {
  total: number;
  channelKind: ChannelKind;
}

interface BulkCounters {
  /** Every position up to here has its outcome recorded. */
  done: number;
  sent: number;
  failed: number;
  /** Recorded, and held until the customer's quiet hours end; the held pass sends them then. */
  scheduled: number;
  failuresByType: Record<string, number>;
  paused: boolean;
  continuedAsNew: number;
}

const noneYet = (): BulkCounters => ({
  done: 0,
  sent: 0,
  failed: 0,
  scheduled: 0,
  failuresByType: {},
  paused: false,
  continuedAsNew: 0,
});

/**
 * Bulk Notify: one message to many customers on one channel, each recipient its own prepare and
 * dispatch steps (the same rules and idempotency as Send Live Chat Message), `concurrency` at a time.
 * The audience is resolved once into the database; the workflow walks it page by page and continues
 * as new before its history grows large, carrying only counters. Recipients in their quiet hours
 * are recorded and held; once the audience is done, the run waits for the next one's time on a
 * durable timer and sends each as it comes, so it completes when every message went (or failed).
 * Query `bulkProgress`; steer with the `pauseBulk`, `resumeBulk` and `cancelBulk` updates.
 */
export async function bulkNotify(
  input: BulkNotifyInput,
  continuation?: BulkContinuation,
): Promise<BulkNotifyResult> {
  requireInput(input);
  const { workflowId: bulkId, runId } = workflowInfo();
  const concurrency = input.concurrency ?? DEFAULT_CONCURRENCY;
  const batched = patched(BATCHED_DISPATCH_PATCH);
  const eventsLimit = Math.max(
    batched ? 100 : 200,
    input.continueAsNewAfterEvents ?? DEFAULT_EVENTS_BEFORE_CONTINUE_AS_NEW,
  );
  const pageSize = Math.max(
    1,
    Math.min(500, 5 * concurrency, Math.floor(eventsLimit / (2 * EVENTS_PER_RECIPIENT))),
  );

  let state: BulkContinuation | undefined = continuation;
  let cancelRequested = false;
  /** Set while the run waits for the next held recipient's quiet hours to end. */
  let waitingUntil: string | undefined;
  const progress = (): BulkProgress => {
    const s = state ?? { total: 0, ...noneYet() };
    return {
      bulkId,
      state: cancelRequested ? 'cancelling' : s.paused ? 'paused' : waitingUntil ? 'waiting' : 'running',
      ...(waitingUntil ? { waitingUntil } : {}),
      total: s.total,
      sent: s.sent,
      failed: s.failed,
      scheduled: s.scheduled,
      pending: s.total - s.sent - s.failed - s.scheduled,
      failuresByType: { ...s.failuresByType },
      continuedAsNew: s.continuedAsNew,
    };
  };
  setHandler(bulkProgressQuery, progress);
  setHandler(pauseBulkUpdate, () => {
    if (state && !cancelRequested) state.paused = true;
    return progress();
  });
  setHandler(resumeBulkUpdate, () => {
    if (state) state.paused = false;
    return progress();
  });
  setHandler(cancelBulkUpdate, () => {
    cancelRequested = true;
    return progress();
  });

  if (!state) {
    const planned = await planBulk({ bulkId, request: input });
    if (planned.ended) {
      const { cancelled, ...ended } = planned.ended;
      return { bulkId, total: planned.total, pending: cancelled, continuedAsNew: 0, ...ended };
    }
    state = { total: planned.total, channelKind: planned.channelKind, ...noneYet() };
  }
  const run = state;
  const dispatch = dispatcherFor(run.channelKind);
  const sendBulkPage = bulkPagesFor(run.channelKind);
  const keyBase = input.idempotencyKey ?? `bulk:${bulkId}`;

  /** One recipient: the same two steps as Send Live Chat Message; a refusal is this recipient's failure. */
  const sendOne = async (position: number, to: BulkRecipient): Promise<BulkOutcome> => {
    try {
      const prepared = await prepareMessage({
        liveChatId: input.liveChatId,
        channelId: input.channelId,
        to,
        text: input.text,
        ...(input.subject !== undefined ? { subject: input.subject } : {}),
        ...(input.variables ? { variables: input.variables } : {}),
        ...(input.whatsappTemplate ? { whatsappTemplate: input.whatsappTemplate } : {}),
        ...(input.author ? { author: input.author } : {}),
        ...(input.urgent ? { urgent: true } : {}),
        idempotencyKey: `${keyBase}:${position}`,
        process: { workflowId: bulkId, runId },
      });
      if (prepared.scheduledFor) {
        // In the customer's quiet hours: recorded now, sent by the held pass below once they end.
        run.scheduled++;
        return { position, status: 'scheduled', messageId: prepared.messageId };
      }
      return await dispatchOne(position, prepared.messageId);
    } catch (error) {
      return failedOutcome(position, error);
    }
  };

  const dispatchOne = async (position: number, messageId: string): Promise<BulkOutcome> => {
    await dispatch({ messageId });
    run.sent++;
    return { position, status: 'sent', messageId };
  };

  /** A refusal is this recipient's failure; anything else (a bug, a cancellation) goes on up. */
  const failedOutcome = (position: number, error: unknown): BulkOutcome => {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    run.failed++;
    run.failuresByType[refusal.type] = (run.failuresByType[refusal.type] ?? 0) + 1;
    return {
      position,
      status: 'failed',
      failureType: refusal.type,
      failureReason: refusal.message,
      ...(refusal.messageId ? { messageId: refusal.messageId } : {}),
    };
  };

  /** `concurrency` lanes take the items in order; a pause holds them before the next; a cancel ends them. */
  const inLanes = async <T>(items: T[], work: (item: T) => Promise<BulkOutcome>) => {
    const outcomes: BulkOutcome[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        await condition(() => !run.paused || cancelRequested);
        const item = items[next];
        if (cancelRequested || item === undefined) return;
        next++;
        outcomes.push(await work(item));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
    await recordBulkOutcomes({ bulkId, outcomes });
    return { outcomes, taken: next };
  };

  /** Batched: one step prepares and dispatches a page; the counters move by what it reports. */
  const sendPage = async (): Promise<number> => {
    const page = await sendBulkPage({
      bulkId,
      after: run.done,
      limit: input.pageSize ?? DEFAULT_PAGE_SIZE,
      concurrency,
      message: {
        liveChatId: input.liveChatId,
        channelId: input.channelId,
        text: input.text,
        ...(input.subject !== undefined ? { subject: input.subject } : {}),
        ...(input.variables ? { variables: input.variables } : {}),
        ...(input.whatsappTemplate ? { whatsappTemplate: input.whatsappTemplate } : {}),
        ...(input.author ? { author: input.author } : {}),
        ...(input.urgent ? { urgent: true } : {}),
      },
      keyBase,
      process: { workflowId: bulkId, runId },
    });
    run.sent += page.sent;
    run.failed += page.failed;
    run.scheduled += page.scheduled;
    for (const [type, n] of Object.entries(page.failuresByType))
      run.failuresByType[type] = (run.failuresByType[type] ?? 0) + n;
    run.done = page.done;
    return page.taken;
  };

  const continueAsNewIfLong = async (): Promise<void> => {
    const ahead = batched ? EVENTS_PER_PAGE : pageSize * EVENTS_PER_RECIPIENT;
    const nearLimit = workflowInfo().historyLength + ahead > eventsLimit;
    if (cancelRequested || !(nearLimit || workflowInfo().continueAsNewSuggested)) return;
    await condition(allHandlersFinished);
    // The audience is in the database now: the next run does not carry a list of thousands.
    const next: typeof input = { ...input, audience: { query: {} } };
    await continueAsNew<typeof bulkNotify>(next, { ...run, continuedAsNew: run.continuedAsNew + 1 });
  };

  try {
    // The audience, page by page, in order.
    while (run.done < run.total && !cancelRequested) {
      await condition(() => !run.paused || cancelRequested);
      if (cancelRequested) break;
      if (batched) {
        // A page that took nobody found no recipient after `done`: the audience is through.
        if ((await sendPage()) === 0) break;
        if (run.done < run.total || run.scheduled > 0) await continueAsNewIfLong();
        continue;
      }
      const page = await bulkRecipientsAfter({ bulkId, after: run.done, limit: pageSize });
      if (page.length === 0) break;
      const { taken } = await inLanes(page, (item) => sendOne(item.position, item.recipient));
      // Recipients are taken in order, so the first one not taken bounds what is done.
      const firstNotTaken = page[taken];
      run.done = firstNotTaken ? firstNotTaken.position - 1 : (page[page.length - 1]?.position ?? run.done);
      if (run.done < run.total || run.scheduled > 0) await continueAsNewIfLong();
    }

    // Those held for their quiet hours, as each one's time comes (a durable timer until the next).
    while (run.scheduled > 0 && !cancelRequested) {
      const held = await heldRecipientsDue({ bulkId, limit: pageSize });
      if (held.due.length === 0) {
        if (!held.nextAt) break;
        waitingUntil = held.nextAt;
        await condition(
          () => cancelRequested,
          Math.max(Date.parse(held.nextAt) - Date.now(), 0) + HELD_SLACK_MS,
        );
        waitingUntil = undefined;
        continue;
      }
      const { outcomes } = await inLanes(held.due, async (item) => {
        run.scheduled--;
        try {
          return await dispatchOne(item.position, item.messageId);
        } catch (error) {
          return failedOutcome(item.position, error);
        }
      });
      if (outcomes.length > 0) await continueAsNewIfLong();
    }
    if (cancelRequested && run.scheduled > 0) {
      // Held messages not yet gone are cancelled: marked so, they are never sent.
      const { cancelled } = await cancelHeldRecipients({ bulkId });
      run.scheduled = Math.max(0, run.scheduled - cancelled);
    }
  } catch (error) {
    // The workflow itself was cancelled (Temporal UI, `handle.cancel()`), not through `cancelBulk`:
    // end the run as cancelled too, held messages included, then let the cancellation through.
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(async () => {
      await cancelHeldRecipients({ bulkId });
      await finishBulk({ bulkId, state: 'cancelled' });
    });
    throw error;
  }

  const ended = cancelRequested ? 'cancelled' : 'completed';
  await finishBulk({ bulkId, state: ended });
  await condition(allHandlersFinished);
  return { ...progress(), state: ended };
}
