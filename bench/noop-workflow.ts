import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import { dispatchTaskQueue } from '../domain/task-queues';
import type { ChannelKind } from '../domain/types';
import { DATABASE_STEP, PROVIDER_STEP } from '../workflows/activity-options';
import type { NoopActivities } from './noop-activities';

const { noopPrepare } = proxyActivities<NoopActivities>(DATABASE_STEP);

/**
 * Exactly the shape of sendLiveChatMessage (one activity on the main queue, one on the channel's
 * dispatch queue, same options) with activities that do nothing: Temporal's own floor.
 */
export async function benchNoop(input: { channelKind: ChannelKind }): Promise<{ status: string }> {
  const prepared = await noopPrepare({ channelKind: input.channelKind });
  const { noopDispatch } = proxyActivities<NoopActivities>({
    ...PROVIDER_STEP,
    taskQueue: dispatchTaskQueue(workflowInfo().taskQueue, prepared.channelKind),
  });
  return noopDispatch({ messageId: prepared.messageId });
}
