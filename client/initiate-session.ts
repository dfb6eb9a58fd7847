import type { Client, WorkflowHandle } from '@temporalio/client';
import type { InitiateSessionInput, InitiateSessionResult } from '../domain/types';
// Types only: the client starts the workflow by name and never loads workflow code.
import type { initiateSession as InitiateSessionWorkflow } from '../workflows/initiate-session';
import type { StartOptions } from './start-options';

const WORKFLOW_TYPE = 'initiateSession';

/**
 * Starts Initiate Session (an operator starts a conversation with a customer) and waits for it.
 * A broken rule (`OperatorOffline`, `SessionAlreadyOpen`, ...) arrives as WorkflowFailedError;
 * `describeWorkflowFailure` gives its type.
 */
export function initiateSession(
  client: Client,
  input: InitiateSessionInput,
  options: StartOptions,
): Promise<InitiateSessionResult> {
  return client.workflow.execute<typeof InitiateSessionWorkflow>(WORKFLOW_TYPE, {
    ...options,
    args: [input],
  });
}

/** Starts Initiate Session without waiting; the handle gives the result later. */
export function startInitiateSession(
  client: Client,
  input: InitiateSessionInput,
  options: StartOptions,
): Promise<WorkflowHandle<typeof InitiateSessionWorkflow>> {
  return client.workflow.start<typeof InitiateSessionWorkflow>(WORKFLOW_TYPE, {
    ...options,
    args: [input],
  });
}
