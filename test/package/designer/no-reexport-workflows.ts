// A workflows file that forgot the re-export: the plugin stops the worker at start.
import { executeChild } from '@temporalio/workflow';
import { sendLiveChatMessage, type SendLiveChatMessageInput } from 'livechat-temporal/workflows';

export async function orderReady(message: SendLiveChatMessageInput): Promise<string> {
  return (await executeChild(sendLiveChatMessage, { args: [message] })).messageId;
}
