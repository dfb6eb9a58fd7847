import { proxyActivities, workflowInfo } from '@temporalio/workflow';
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
