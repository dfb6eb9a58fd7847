import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import { requireInput } from './require-input';
import { scheduledSend } from './scheduled-send';
import { tagContact, taggedOnRefusal } from './contact-tags';

const { prepareMessage } = proxyActivities<Activities>(DATABASE_STEP);

/**
 * Send Live Chat Message: a process step that, with no operator, resolves the customer's account,
 * applies the channel's rules, opens or reuses a session and sends the message. Idempotent: the key
 * defaults to the workflow id, so the same request started twice sends once. A provider's permanent
 * refusal fails it with `DeliveryFailed` (the message stays in the history, marked failed). With
 * `sendAt`, or in the customer's quiet hours, the message waits for its time, cancellable.
 */
export async function sendLiveChatMessage(
  input: SendLiveChatMessageInput,
): Promise<SendLiveChatMessageResult> {
  const { workflowId, runId } = workflowInfo();
  const send = scheduledSend();
  const prepared = await taggedOnRefusal(input, () =>
    prepareMessage({
      ...requireInput(input),
      idempotencyKey: input.idempotencyKey ?? `workflow:${workflowId}`,
      process: { workflowId, runId },
    }),
  );
  tagContact(prepared.contactTags);
  // Also for a request seen before: dispatch then reports what became of its message, or sends it
  // if the earlier run stopped before sending. A scheduled message waits for its time first.
  const { status } = await send.deliver(prepared);
  return {
    sessionId: prepared.sessionId,
    messageId: prepared.messageId,
    status,
    sessionReused: prepared.sessionReused,
    ...(prepared.scheduledFor ? { scheduledFor: prepared.scheduledFor } : {}),
  };
}
