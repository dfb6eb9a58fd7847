import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Events and encoded bytes (as Temporal stores them) of every run of a workflow, from the first,
 * following continue-as-new: how large a long process's histories grow.
 */
export async function runHistorySizes(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runId: string; events: number; bytes: number }[]> {
  const sizes: { runId: string; events: number; bytes: number }[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    sizes.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
    });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return sizes;
}
