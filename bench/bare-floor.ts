/**
 * The bare floor: a workflow of the same shape as a single send (one activity on the worker's
 * queue, one on a second queue) with activities that return at once, on a minimal worker, and no
 * code of this project: what Temporal itself costs on this machine and server.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';

interface BareActivities {
  barePrepare(input: { kind: string }): Promise<{ id: string }>;
  bareDispatch(input: { id: string }): Promise<{ status: string }>;
}

const { barePrepare } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareFloor(input: { kind: string }): Promise<{ status: string }> {
  const prepared = await barePrepare(input);
  const { bareDispatch } = proxyActivities<BareActivities>({
    startToCloseTimeout: '60 seconds',
    taskQueue: `${workflowInfo().taskQueue}-second`,
  });
  return bareDispatch(prepared);
}
