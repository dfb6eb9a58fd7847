import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InitiateSessionInput, InitiateSessionResult } from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import { dispatcherFor } from './dispatcher';
import { requireInput } from './require-input';
import { tagContact, taggedOnRefusal } from './contact-tags';

const { startOperatorSession } = proxyActivities<Activities>(DATABASE_STEP);

/**
 * Initiate Session: an operator starts a conversation with a customer under the channel's rules.
 * The session is assigned to the operator; an optional first message is sent at once.
 */
export async function initiateSession(input: InitiateSessionInput): Promise<InitiateSessionResult> {
  const started = await taggedOnRefusal(input, () =>
    startOperatorSession({
      ...requireInput(input),
      idempotencyKey: input.idempotencyKey ?? `workflow:${workflowInfo().workflowId}`,
    }),
  );
  tagContact(started.contactTags);
  const result: InitiateSessionResult = {
    sessionId: started.sessionId,
    name: started.name,
    assignedOperatorId: started.assignedOperatorId,
    contactId: started.contactId,
  };
  const first = started.firstMessage;
  if (!first) return result;
  const { status } = await dispatcherFor(started.channelKind)({ messageId: first.messageId });
  return { ...result, firstMessage: { messageId: first.messageId, status } };
}
