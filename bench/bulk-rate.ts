import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createActivities } from '../activities';
import type { ChannelAdapters } from '../channels/adapter';
import { bulkProgress, startBulkNotify } from '../client/bulk-notify';
import type { Sandbox } from '../dev/sandbox/start-sandbox';
import { createDispatchWorkers, createWorkflowWorker, LiveChatWorkers } from '../worker/create-worker';
import { workflowCost } from './actions';
import { sampleMemory } from './stats';
import { seedBulkAudience } from './world';

export interface BulkRateResult {
  scenario: 'bulk-rate';
  /** The rate configured for the channel (the worker's bucket) and enforced by the stand-in. */
  configuredPerSecond: number;
  recipients: number;
  seconds: number;
  /** Messages the stand-in accepted per second, from its first to its last acceptance. */
  sustainedPerSecond: number;
  /** `sustainedPerSecond` as a share of the configured rate (target ≥ 0.9). */
  fractionOfRate: number;
  /** Calls the stand-in refused with 429 for going over its rate. */
  overRate: number;
  actionsPerRecipient: number;
  actionsPerMessage: number;
  historyBytesPerRecipient: number;
  peakRssMiB: number;
}

/**
 * The benchmark's `bulk-rate`: one Bulk Notify of `recipients` over WhatsApp (the twilio SDK and the
 * stand-in), with the channel's rate set to `perSecond` in the worker and the stand-in answering 429
 * to anything above it: how much of the configured rate the bulk keeps up, and whether it goes over.
 * Its workers run on a task queue of their own, so their bucket is not the other scenarios'.
 */
export async function runBulkRate(options: {
  connection: NativeConnection;
  namespace: string;
  client: Client;
  db: Knex;
  sandbox: Sandbox;
  channels: ChannelAdapters;
  workflowBundlePath: string;
  taskQueue: string;
  perSecond: number;
  recipients: number;
  phoneBase: number;
}): Promise<BulkRateResult> {
  const { client, db, sandbox, perSecond, recipients } = options;
  const liveChat = `bench-rate-${perSecond}`;
  const channel = `${liveChat}-whatsapp`;
  await seedBulkAudience(db, recipients, { liveChat, channel, phoneBase: options.phoneBase });
  const taskQueue = `${options.taskQueue}-rate-${perSecond}`;
  const { dispatchMessage, sendBulkPage, ...databaseSteps } = createActivities({
    db,
    channels: options.channels,
    rateLimits: { whatsapp: perSecond },
  });
  const queue = { connection: options.connection, namespace: options.namespace, taskQueue };
  const workers = new LiveChatWorkers([
    await createWorkflowWorker({
      ...queue,
      workflowBundlePath: options.workflowBundlePath,
      activities: databaseSteps,
    }),
    ...(await createDispatchWorkers({ ...queue, activities: { dispatchMessage, sendBulkPage } })),
  ]);
  const firstAttempt = sandbox.twilio.attempts.length;
  sandbox.twilio.faults.rateLimit(perSecond);
  const memory = sampleMemory();
  const t0 = Date.now();
  const bulkId = `bench-rate-${perSecond}-${t0}`;
  try {
    const { handle, last, queries } = await workers.runUntil(async () => {
      const handle = await startBulkNotify(
        client,
        {
          liveChatId: liveChat,
          channelId: channel,
          audience: { query: {} },
          text: 'Our shop opens at 9:00 from Monday on.',
          concurrency: 50,
        },
        { taskQueue, workflowId: bulkId },
      );
      let queries = 0;
      for (;;) {
        const progress = await bulkProgress(client, bulkId);
        queries++;
        if (progress.state === 'completed' || progress.state === 'cancelled')
          return { handle, last: progress, queries };
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    });
    const seconds = (Date.now() - t0) / 1_000;
    const peakRssMiB = memory.stop();
    if (last.sent !== recipients) throw new Error(`bulk-rate ${perSecond}: ${JSON.stringify(last)}`);
    const attempts = sandbox.twilio.attempts.slice(firstAttempt);
    const accepted = attempts.filter((a) => a.status === 201);
    if (new Set(accepted.map((a) => a.to)).size !== recipients || accepted.length !== recipients)
      throw new Error(`bulk-rate ${perSecond}: ${accepted.length} accepted for ${recipients} recipients`);
    const times = accepted.map((a) => a.at).sort((a, b) => a - b);
    const span = ((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1_000;
    const sustained = span > 0 ? (accepted.length - 1) / span : accepted.length;
    const cost = await workflowCost(client, bulkId, handle.firstExecutionRunId);
    const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;
    const actionsPerRecipient = round((cost.actions + queries) / recipients, 4);
    return {
      scenario: 'bulk-rate',
      configuredPerSecond: perSecond,
      recipients,
      seconds: round(seconds),
      sustainedPerSecond: round(sustained),
      fractionOfRate: round(sustained / perSecond, 3),
      overRate: attempts.filter((a) => a.status === 429).length,
      actionsPerRecipient,
      actionsPerMessage: actionsPerRecipient,
      historyBytesPerRecipient: round(cost.bytes / recipients),
      peakRssMiB,
    };
  } finally {
    sandbox.twilio.faults.rateLimit(undefined);
  }
}
