import {
  allHandlersFinished,
  condition,
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, BulkOutcome } from '../activities';
import type {
  BulkNotifyInput,
  BulkNotifyResult,
  BulkProgress,
  BulkRecipient,
  ChannelKind,
} from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import {
  bulkProgressQuery,
  cancelBulkUpdate,
  pauseBulkUpdate,
  resumeBulkUpdate,
} from './bulk-notify-messages';
import { deliverScheduledMessage } from './deliver-scheduled-message';
import { dispatcherFor } from './dispatcher';
import { refusalOf } from './refusal-of';
import { requireInput } from './require-input';

const { planBulk, bulkRecipientsAfter, recordBulkOutcomes, finishBulk, prepareMessage } =
  proxyActivities<Activities>(DATABASE_STEP);

const DEFAULT_CONCURRENCY = 20;
/** Well under Temporal's warning at 10 240 events: each run continues as new before it. */
export const DEFAULT_EVENTS_BEFORE_CONTINUE_AS_NEW = 8_000;
/** What one recipient costs in history: two activities (3 events each) and their share of workflow tasks. */
const EVENTS_PER_RECIPIENT = 12;

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
  /** Held for the customer's quiet hours, each by a Deliver Scheduled Message workflow of its own. */
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
 * as new before its history grows large, carrying only counters. Query `bulkProgress`; steer with
 * the `pauseBulk`, `resumeBulk` and `cancelBulk` updates.
 */
export async function bulkNotify(
  input: BulkNotifyInput,
  continuation?: BulkContinuation,
): Promise<BulkNotifyResult> {
  requireInput(input);
  const { workflowId: bulkId, runId } = workflowInfo();
  const concurrency = input.concurrency ?? DEFAULT_CONCURRENCY;
  const eventsLimit = Math.max(200, input.continueAsNewAfterEvents ?? DEFAULT_EVENTS_BEFORE_CONTINUE_AS_NEW);
  const pageSize = Math.max(
    1,
    Math.min(500, 5 * concurrency, Math.floor(eventsLimit / (2 * EVENTS_PER_RECIPIENT))),
  );

  let state: BulkContinuation | undefined = continuation;
  let cancelRequested = false;
  const progress = (): BulkProgress => {
    const s = state ?? { total: 0, ...noneYet() };
    return {
      bulkId,
      state: cancelRequested ? 'cancelling' : s.paused ? 'paused' : 'running',
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
  const keyBase = input.idempotencyKey ?? `bulk:${bulkId}`;

  /** A message due in its customer's quiet hours waits in a workflow of its own; this run goes on. */
  const holdScheduled = async (
    position: number,
    message: { messageId: string; channelKind: ChannelKind; scheduledFor: string },
  ): Promise<void> => {
    try {
      await startChild(deliverScheduledMessage, {
        workflowId: `${bulkId}/scheduled-${position}`,
        args: [message],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (error) {
      // Started by this run before it continued as new, or by a retry: it is waiting already.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };

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
        await holdScheduled(position, { ...prepared, scheduledFor: prepared.scheduledFor });
        run.scheduled++;
        return { position, status: 'scheduled', messageId: prepared.messageId };
      }
      await dispatch({ messageId: prepared.messageId });
      run.sent++;
      return { position, status: 'sent', messageId: prepared.messageId };
    } catch (error) {
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
    }
  };

  while (run.done < run.total && !cancelRequested) {
    await condition(() => !run.paused || cancelRequested);
    if (cancelRequested) break;
    const page = await bulkRecipientsAfter({ bulkId, after: run.done, limit: pageSize });
    if (page.length === 0) break;
    const outcomes: BulkOutcome[] = [];
    let next = 0;
    // `concurrency` lanes take the page's recipients in order; a pause holds them before the next.
    const lane = async (): Promise<void> => {
      for (;;) {
        await condition(() => !run.paused || cancelRequested);
        const item = page[next];
        if (cancelRequested || !item) return;
        next++;
        outcomes.push(await sendOne(item.position, item.recipient));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, page.length) }, lane));
    await recordBulkOutcomes({ bulkId, outcomes });
    // Recipients are taken in order, so the first one not taken bounds what is done.
    const firstNotTaken = page[next];
    run.done = firstNotTaken ? firstNotTaken.position - 1 : (page[page.length - 1]?.position ?? run.done);

    const nearLimit = workflowInfo().historyLength + pageSize * EVENTS_PER_RECIPIENT > eventsLimit;
    if (run.done < run.total && !cancelRequested && (nearLimit || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      // The audience is in the database now: the next run does not carry a list of thousands.
      const next: typeof input = { ...input, audience: { query: {} } };
      await continueAsNew<typeof bulkNotify>(next, { ...run, continuedAsNew: run.continuedAsNew + 1 });
    }
  }

  const ended = cancelRequested ? 'cancelled' : 'completed';
  await finishBulk({ bulkId, state: ended });
  await condition(allHandlersFinished);
  return { ...progress(), state: ended };
}
