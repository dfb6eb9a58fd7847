import type { Client } from '@temporalio/client';
import type { SendWithFallbackInput, SendWithFallbackResult } from '../domain/types';
// Types only: the client starts the workflow by name and never loads workflow code.
import type { sendWithFallback as SendWithFallbackWorkflow } from '../workflows/send-with-fallback';
import type { StartOptions } from './start-options';

/** Starts Send With Fallback and waits: the result says which channel carried the message and why the others did not. */
export function sendWithFallback(
  client: Client,
  input: SendWithFallbackInput,
  options: StartOptions,
): Promise<SendWithFallbackResult> {
  return client.workflow.execute<typeof SendWithFallbackWorkflow>('sendWithFallback', {
    ...options,
    args: [input],
  });
}
