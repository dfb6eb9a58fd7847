import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  ApplicationFailure,
  type Client,
} from '@temporalio/client';
import { liveChatErrorOf, SendNotScheduled } from '../domain/errors';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';
// Types only: the client names the workflow's query and update and never loads workflow code.
import type { SendState } from '../workflows/scheduled-send';
import type { sendLiveChatMessage as SendLiveChatMessageWorkflow } from '../workflows/send-live-chat-message';
import { startSendLiveChatMessage } from './send-live-chat-message';
import type { StartOptions } from './start-options';

export type { SendState };

const POLL_MS = 200;

/**
 * Starts Send Live Chat Message and returns as soon as its message has gone (`sent`, the result) or
 * is waiting for its time (`scheduled`: a given `sendAt`, or the customer's quiet hours), so a
 * caller is not kept waiting until then.
 */
export async function sendOrSchedule(
  client: Client,
  input: SendLiveChatMessageInput,
  options: StartOptions,
): Promise<{ kind: 'sent'; result: SendLiveChatMessageResult } | { kind: 'scheduled'; state: SendState }> {
  const handle = await startSendLiveChatMessage(client, input, options);
  let finished: SendLiveChatMessageResult | undefined;
  let failed: unknown;
  const result = handle.result().then(
    (value) => (finished = value),
    (error: unknown) => (failed = error ?? new Error('the send failed')),
  );
  for (;;) {
    if (finished) return { kind: 'sent', result: finished };
    if (failed) throw failed;
    const state = await handle.query<SendState>('sendState').catch(() => undefined);
    if (state?.state === 'scheduled') return { kind: 'scheduled', state };
    await Promise.race([result, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
  }
}

/** Where a send is now: preparing, scheduled (until when), sending, or done. */
export async function sendState(client: Client, workflowId: string): Promise<SendState> {
  return client.workflow
    .getHandle<typeof SendLiveChatMessageWorkflow>(workflowId)
    .query<SendState>('sendState');
}

/**
 * Cancels a scheduled message before its time: it is marked cancelled in the chat history and never
 * sent. Refused with `SendNotScheduled` when it has gone already or the send has ended.
 */
export async function cancelScheduledSend(client: Client, workflowId: string): Promise<SendState> {
  const handle = client.workflow.getHandle<typeof SendLiveChatMessageWorkflow>(workflowId);
  try {
    return await handle.executeUpdate<SendState, []>('cancelScheduledSend');
  } catch (error) {
    // The workflow's refusal (SendNotScheduled), as the catalogue's error it was made from.
    const refusal = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    const known = refusal instanceof ApplicationFailure ? liveChatErrorOf(refusal) : undefined;
    if (known) throw known;
    if (error instanceof WorkflowNotFoundError) {
      const ended = await handle.describe().catch(() => undefined);
      if (!ended) throw error;
      const status =
        ended.status.name === 'COMPLETED' ? (await handle.result()).status : ended.status.name.toLowerCase();
      throw new SendNotScheduled({ workflowId, status });
    }
    throw error;
  }
}
