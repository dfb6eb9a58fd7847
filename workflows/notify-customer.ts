import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';
import { sendLiveChatMessage } from './send-live-chat-message';

/**
 * For workflow designers: send a live chat message from your own workflow in one line.
 *
 *     await notifyCustomer('order-ready', { liveChatId, channelId, to: { contactId }, text });
 *
 * `step` names the notification within your workflow. The child's id is derived from your
 * workflow's id and the step, so a retried or re-run process sends that notification once.
 */
export function notifyCustomer(
  step: string,
  input: SendLiveChatMessageInput,
): Promise<SendLiveChatMessageResult> {
  return executeChild(sendLiveChatMessage, {
    workflowId: `${workflowInfo().workflowId}/notify/${step}`,
    args: [input],
  });
}
