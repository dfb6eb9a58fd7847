import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InitiateSessionInput, InitiateSessionResult } from '../domain/types';
import { DATABASE_STEP, PROVIDER_STEP } from './activity-options';

const { startOperatorSession } = proxyActivities<Activities>(DATABASE_STEP);
const { dispatchMessage } = proxyActivities<Activities>(PROVIDER_STEP);

/**
 * Initiate Session: an operator starts a conversation with a customer under the channel's rules.
 * The session is assigned to the operator; an optional first message is sent at once.
 */
export async function initiateSession(input: InitiateSessionInput): Promise<InitiateSessionResult> {
  const started = await startOperatorSession({
    ...input,
    idempotencyKey: input.idempotencyKey ?? `workflow:${workflowInfo().workflowId}`,
  });
  const first = started.firstMessage;
  if (!first) return started;
  const { status } = await dispatchMessage({ messageId: first.messageId });
  return { ...started, firstMessage: { messageId: first.messageId, status } };
}
