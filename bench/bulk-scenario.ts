import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { bulkProgress, startBulkNotify } from '../client/bulk-notify';
import type { BulkProgress } from '../domain/types';
import { runHistorySizes } from '../dev/run-histories';
import { workflowCost } from './actions';
import type { Probes } from './scenarios';
import { retainedHeapMiB, sampleMemory } from './stats';
import { BULK_CHANNEL, BULK_LIVE_CHAT } from './world';

export interface BulkScenarioResult {
  scenario: 'bulk';
  recipients: number;
  concurrency: number;
  seconds: number;
  messagesPerSecond: number;
  /** Runs of the one process: it continues as new to keep each history small. */
  runs: number;
  historyEventsTotal: number;
  historyEventsMaxPerRun: number;
  /** The largest run's history, encoded as Temporal stores it (payloads encrypted). */
  historyKiBMaxPerRun: number;
  historyKiBTotal: number;
  /** Progress queries answered while it ran; each had total, sent, failed and pending. */
  progressQueries: number;
  dbRoundTripsPerMessage: number;
  activityTasksPerMessage: number;
  /** Billable Temporal actions per recipient: from the histories of every run, plus the progress queries. */
  actionsPerRecipient: number;
  /** The same figure for a message, as every scenario reports it. */
  actionsPerMessage: number;
  /** Heartbeats among those actions (estimated, bench/actions.ts). */
  heartbeats: number;
  /** Encoded history of every run, per recipient. */
  historyBytesPerRecipient: number;
  peakRssMiB: number;
  retainedHeapMiB: number;
}

/**
 * The benchmark's `bulk`: one Bulk Notify process to every contact of an app of `recipients`
 * contacts, over WhatsApp through the twilio SDK and the stand-in, with its progress queried once a
 * second as `livechat bulk watch` does. Checks that every recipient reached the provider once.
 */
export async function runBulk(
  client: Client,
  db: Knex,
  taskQueue: string,
  recipients: number,
  concurrency: number,
  probes: Probes & { deliveredCount(): number },
): Promise<BulkScenarioResult> {
  const [queries0, tasks0, delivered0] = [probes.queries(), probes.activityTasks(), probes.deliveredCount()];
  const memory = sampleMemory();
  const t0 = Date.now();
  const bulkId = `bench-bulk-${t0}`;
  const handle = await startBulkNotify(
    client,
    {
      liveChatId: BULK_LIVE_CHAT,
      channelId: BULK_CHANNEL,
      audience: { query: {} },
      text: 'Our shop opens at 9:00 from Monday on.',
      concurrency,
    },
    { taskQueue, workflowId: bulkId },
  );
  let progressQueries = 0;
  let last: BulkProgress | undefined;
  for (;;) {
    const progress = await bulkProgress(client, bulkId);
    if (progress.state === 'completed' || progress.state === 'cancelled') {
      last = progress;
      break;
    }
    progressQueries++;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const seconds = (Date.now() - t0) / 1_000;
  const peakRssMiB = memory.stop();
  if (last.sent !== recipients || last.total !== recipients)
    throw new Error(`bulk: ${JSON.stringify(last)}, expected ${recipients} sent`);
  const delivered = probes.deliveredCount() - delivered0;
  if (delivered !== recipients)
    throw new Error(`bulk: ${delivered} reached the provider, expected ${recipients}`);
  const unsent = await db('bulk_recipients').where({ bulk_id: bulkId }).whereNot({ status: 'sent' }).count();
  if (Number((unsent[0] as { count: string }).count) !== 0) throw new Error('bulk: recipients left unsent');

  const sizes = await runHistorySizes(client, bulkId, handle.firstExecutionRunId);
  const cost = await workflowCost(client, bulkId, handle.firstExecutionRunId);
  const round = (x: number) => Math.round(x * 100) / 100;
  const actionsPerRecipient =
    Math.round(((cost.actions + progressQueries + 1) / recipients) * 10_000) / 10_000;
  return {
    scenario: 'bulk',
    recipients,
    concurrency,
    seconds: round(seconds),
    messagesPerSecond: round(recipients / seconds),
    runs: sizes.length,
    historyEventsTotal: sizes.reduce((sum, s) => sum + s.events, 0),
    historyEventsMaxPerRun: Math.max(...sizes.map((s) => s.events)),
    historyKiBMaxPerRun: round(Math.max(...sizes.map((s) => s.bytes)) / 1024),
    historyKiBTotal: round(sizes.reduce((sum, s) => sum + s.bytes, 0) / 1024),
    progressQueries,
    dbRoundTripsPerMessage: round((probes.queries() - queries0) / recipients),
    activityTasksPerMessage: round((probes.activityTasks() - tasks0) / recipients),
    actionsPerRecipient,
    actionsPerMessage: actionsPerRecipient,
    heartbeats: cost.heartbeats,
    historyBytesPerRecipient: round(cost.bytes / recipients),
    peakRssMiB,
    retainedHeapMiB: retainedHeapMiB(),
  };
}
