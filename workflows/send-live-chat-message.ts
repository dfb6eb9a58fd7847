import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../domain/errors';
import type { SendLiveChatMessageInput, SendLiveChatMessageResult } from '../domain/types';

// One transaction in PostgreSQL: rule checks, session, pending message row.
const { prepareMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '30 seconds', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

// The provider call, separate so an outage retries only the send. Providers can be slow or down
// for a while: retry with backoff for up to a day before giving up.
const { dispatchMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { maximumInterval: '5 minutes', nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/**
 * Send Live Chat Message: a process step that, with no operator, resolves the customer's account,
 * applies the channel's rules, opens or reuses a session and sends the message. Idempotent: the key
 * defaults to the workflow id, so the same request started twice sends once.
 */
export async function sendLiveChatMessage(
  input: SendLiveChatMessageInput,
): Promise<SendLiveChatMessageResult> {
  const { workflowId, runId } = workflowInfo();
  const prepared = await prepareMessage({
    ...input,
    idempotencyKey: input.idempotencyKey ?? `workflow:${workflowId}`,
    process: { workflowId, runId },
  });
  const status =
    prepared.status === 'pending'
      ? (await dispatchMessage({ messageId: prepared.messageId })).status
      : prepared.status;
  return {
    sessionId: prepared.sessionId,
    messageId: prepared.messageId,
    status,
    sessionReused: prepared.sessionReused,
  };
}
