import {
  CancellationScope,
  condition,
  isCancellation,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SendNotScheduled } from '../domain/errors';
import type { ChannelKind, DeliveryStatus } from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import { dispatcherFor } from './dispatcher';

const { cancelScheduledMessage } = proxyActivities<Activities>(DATABASE_STEP);

/** Where a send is: its message being recorded, waiting for its time, being sent, or done. */
export interface SendState {
  state: 'preparing' | 'scheduled' | 'sending' | 'done';
  messageId?: string;
  scheduledFor?: string;
  status?: DeliveryStatus;
}

export const sendStateQuery = defineQuery<SendState>('sendState');
/** Cancels a message waiting for its time; refused (`SendNotScheduled`) once it is not waiting. */
export const cancelScheduledSendUpdate = defineUpdate<SendState>('cancelScheduledSend');

/**
 * A send's wait for its time, with its query and cancel update registered from the workflow's start
 * (so `sendState` answers `preparing` before the message is recorded). `deliver` sends a recorded
 * message through its channel's dispatch queue, first waiting on a durable timer until
 * `scheduledFor` when it has one; a `cancelScheduledSend` while it waits marks the message
 * cancelled, and it is never sent.
 */
export function scheduledSend() {
  const state: SendState = { state: 'preparing' };
  let cancelRequested = false;
  setHandler(sendStateQuery, () => ({ ...state }));
  setHandler(
    cancelScheduledSendUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => state.state === 'done');
      return { ...state };
    },
    {
      validator: () => {
        if (state.state !== 'scheduled' || cancelRequested) {
          const status = state.state === 'scheduled' ? 'being cancelled' : (state.status ?? state.state);
          throw new SendNotScheduled({ workflowId: workflowInfo().workflowId, status }).toFailure();
        }
      },
    },
  );

  return {
    async deliver(message: {
      messageId: string;
      channelKind: ChannelKind;
      scheduledFor?: string;
    }): Promise<{ status: DeliveryStatus }> {
      Object.assign(state, { messageId: message.messageId });
      if (message.scheduledFor) {
        Object.assign(state, { state: 'scheduled', scheduledFor: message.scheduledFor });
        const waitMs = Date.parse(message.scheduledFor) - Date.now();
        let cancelled: boolean;
        try {
          cancelled = waitMs > 0 && (await condition(() => cancelRequested, waitMs));
        } catch (error) {
          // The workflow itself was cancelled (Temporal UI, `handle.cancel()`): so is its message,
          // or operators would see it scheduled for ever.
          if (!isCancellation(error)) throw error;
          await CancellationScope.nonCancellable(() =>
            cancelScheduledMessage({ messageId: message.messageId }),
          );
          Object.assign(state, { state: 'done', status: 'cancelled' });
          throw error;
        }
        if (cancelled) {
          const { status } = await cancelScheduledMessage({ messageId: message.messageId });
          Object.assign(state, { state: 'done', status });
          // Had the message gone already (a repeat of the same request sent it), dispatch reports it.
          if (status === 'cancelled') return { status };
        }
      }
      Object.assign(state, { state: 'sending' });
      const { status } = await dispatcherFor(message.channelKind)({ messageId: message.messageId });
      Object.assign(state, { state: 'done', status });
      return { status };
    },
  };
}
