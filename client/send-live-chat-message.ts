import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';
// Types only: the client starts the workflow by name and never loads workflow code.
import type { sendLiveChatMessage as SendLiveChatMessageWorkflow } from '../workflows/send-live-chat-message';
import type { StartOptions } from './start-options';

const WORKFLOW_TYPE = 'sendLiveChatMessage';

/** Starts Send Live Chat Message and waits for its result (typed failures arrive as WorkflowFailedError). */
export function sendLiveChatMessage(
  client: Client,
  input: SendLiveChatMessageInput,
  options: StartOptions,
): Promise<SendLiveChatMessageResult> {
  return client.workflow.execute<typeof SendLiveChatMessageWorkflow>(WORKFLOW_TYPE, {
    ...options,
    args: [input],
  });
}

/** Starts Send Live Chat Message without waiting; the handle gives the result later. */
export function startSendLiveChatMessage(
  client: Client,
  input: SendLiveChatMessageInput,
  options: StartOptions,
): Promise<WorkflowHandle<typeof SendLiveChatMessageWorkflow>> {
  return client.workflow.start<typeof SendLiveChatMessageWorkflow>(WORKFLOW_TYPE, {
    ...options,
    args: [input],
  });
}
