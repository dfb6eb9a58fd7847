import {
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { BulkAlreadyFinished, BulkNotFound } from '../domain/errors';
import type { BulkNotifyInput, BulkNotifyResult, BulkProgress } from '../domain/types';
// Types only: the client names the workflow, its query and updates, and never loads workflow code.
import type { bulkNotify as BulkNotifyWorkflow } from '../workflows/bulk-notify';
import type { StartOptions } from './start-options';

const WORKFLOW_TYPE = 'bulkNotify';
type BulkHandle = WorkflowHandle<typeof BulkNotifyWorkflow>;

/** Starts Bulk Notify; its workflow id is the bulk id the other calls take. */
export function startBulkNotify(
  client: Client,
  input: BulkNotifyInput,
  options: StartOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof BulkNotifyWorkflow>> {
  return client.workflow.start<typeof BulkNotifyWorkflow>(WORKFLOW_TYPE, { ...options, args: [input] });
}

/** Waits for a bulk notification to end (completed, or cancelled) and gives its counts. */
export function bulkResult(client: Client, bulkId: string): Promise<BulkNotifyResult> {
  return client.workflow.getHandle<typeof BulkNotifyWorkflow>(bulkId).result();
}

/** Total, sent, failed and pending now; for a bulk that has ended, its final counts. */
export async function bulkProgress(client: Client, bulkId: string): Promise<BulkProgress> {
  const handle = client.workflow.getHandle<typeof BulkNotifyWorkflow>(bulkId);
  const status = await statusOf(handle);
  if (status !== 'RUNNING') return handle.result();
  return handle.query<BulkProgress>('bulkProgress');
}

/** Lets the sends in flight finish and starts no more until resumed. */
export function pauseBulk(client: Client, bulkId: string): Promise<BulkProgress> {
  return steer(client, bulkId, 'pauseBulk');
}

export function resumeBulk(client: Client, bulkId: string): Promise<BulkProgress> {
  return steer(client, bulkId, 'resumeBulk');
}

/** Lets the sends in flight finish, then ends the run; the recipients not reached count as cancelled. */
export function cancelBulk(client: Client, bulkId: string): Promise<BulkProgress> {
  return steer(client, bulkId, 'cancelBulk');
}

async function steer(
  client: Client,
  bulkId: string,
  update: 'pauseBulk' | 'resumeBulk' | 'cancelBulk',
): Promise<BulkProgress> {
  const handle = client.workflow.getHandle<typeof BulkNotifyWorkflow>(bulkId);
  // Asked first, so a finished bulk is refused by name rather than by a server's "not found".
  await statusOf(handle, { mustRun: true });
  try {
    return await handle.executeUpdate<BulkProgress, []>(update);
  } catch (error) {
    // It ended between the look and the update.
    if (error instanceof WorkflowNotFoundError) await statusOf(handle, { mustRun: true });
    throw error;
  }
}

/** The run's status; `BulkNotFound` when there is no such bulk, `BulkAlreadyFinished` if it must run and does not. */
async function statusOf(handle: BulkHandle, options: { mustRun?: boolean } = {}): Promise<string> {
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new BulkNotFound({ bulkId: handle.workflowId });
    throw error;
  }
  if (description.type !== WORKFLOW_TYPE) throw new BulkNotFound({ bulkId: handle.workflowId });
  const status = description.status.name;
  if (options.mustRun && status !== 'RUNNING') {
    const state = status === 'COMPLETED' ? (await handle.result()).state : status.toLowerCase();
    throw new BulkAlreadyFinished({ bulkId: handle.workflowId, state });
  }
  return status;
}
