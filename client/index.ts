import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';
import { sendLiveChatMessage as sendLiveChatMessageWorkflow } from '../workflows';

export interface StartOptions {
  taskQueue: string;
  /** Also the idempotency key: starting the same id twice sends once. */
  workflowId: string;
}

/** Starts Send Live Chat Message and waits for its result (typed failures arrive as WorkflowFailedError). */
export function sendLiveChatMessage(
  client: Client,
  input: SendLiveChatMessageInput,
  options: StartOptions,
): Promise<SendLiveChatMessageResult> {
  return client.workflow.execute(sendLiveChatMessageWorkflow, { ...options, args: [input] });
}

/** Starts Send Live Chat Message without waiting; the handle gives the result later. */
export function startSendLiveChatMessage(
  client: Client,
  input: SendLiveChatMessageInput,
  options: StartOptions,
): Promise<WorkflowHandle<typeof sendLiveChatMessageWorkflow>> {
  return client.workflow.start(sendLiveChatMessageWorkflow, { ...options, args: [input] });
}

export { getHistory, formatHistory } from './history';
