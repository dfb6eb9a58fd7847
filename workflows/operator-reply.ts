import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { OperatorReplyInput, OperatorReplyResult } from '../domain/types';
import { DATABASE_STEP } from './activity-options';
import { dispatcherFor } from './dispatcher';
import { requireInput } from './require-input';
import { tagContact, taggedOnRefusal } from './contact-tags';

const { recordOperatorReply } = proxyActivities<Activities>(DATABASE_STEP);

/**
 * An operator's reply in a session, through the same durable dispatch as a process's message:
 * recorded once as the operator's own, then sent on the channel's queue under its rate limit.
 */
export async function operatorReply(input: OperatorReplyInput): Promise<OperatorReplyResult> {
  const recorded = await taggedOnRefusal(
    { to: { sessionId: (input as OperatorReplyInput | undefined)?.sessionId } },
    () =>
      recordOperatorReply({
        ...requireInput(input),
        idempotencyKey: input.idempotencyKey ?? `workflow:${workflowInfo().workflowId}`,
      }),
  );
  tagContact(recorded.contactTags);
  const { status } = await dispatcherFor(recorded.channelKind)({ messageId: recorded.messageId });
  return { sessionId: recorded.sessionId, messageId: recorded.messageId, status };
}
