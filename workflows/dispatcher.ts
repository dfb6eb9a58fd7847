import { ActivityCancellationType, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { dispatchTaskQueue } from '../domain/task-queues';
import type { ChannelKind } from '../domain/types';
import { PROVIDER_STEP } from './activity-options';

/** The dispatch activity on its channel kind's own task queue, where that provider's rate limit holds. */
export function dispatcherFor(kind: ChannelKind): Activities['dispatchMessage'] {
  return proxyActivities<Activities>({
    ...PROVIDER_STEP,
    taskQueue: dispatchTaskQueue(workflowInfo().taskQueue, kind),
  }).dispatchMessage;
}

/**
 * Bulk Notify's page step on the channel kind's dispatch queue. It heartbeats its checkpoint, so a
 * killed worker's page is retried (from there) after 10 seconds; a cancelled workflow waits for the
 * page to stop starting recipients and record what it did.
 */
export function bulkPagesFor(kind: ChannelKind): Activities['sendBulkPage'] {
  return proxyActivities<Activities>({
    ...PROVIDER_STEP,
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    taskQueue: dispatchTaskQueue(workflowInfo().taskQueue, kind),
  }).sendBulkPage;
}
