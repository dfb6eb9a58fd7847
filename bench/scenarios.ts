import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { dispatchMessage } from '../activities/dispatch-message';
import { prepareMessage } from '../activities/prepare-message';
import type { ChannelAdapters } from '../channels/adapter';
import type { SendLiveChatMessageInput } from '../domain/types';
import { sendLiveChatMessage } from '../workflows';
import { benchNoop } from './noop-workflow';
import { inPool, quantile, retainedHeapMiB, sampleMemory } from './stats';

export interface ScenarioResult {
  scenario: string;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  dbRoundTripsPerMessage: number;
  activityTasksPerMessage: number;
  peakRssMiB: number;
  /** The heap left after a full collection once the scenario ended. */
  retainedHeapMiB: number;
}

/** What the benchmark watches while a scenario runs. */
export interface Probes {
  /** Queries sent to PostgreSQL so far. */
  queries(): number;
  /** Activity tasks executed so far. */
  activityTasks(): number;
  /** When the provider stand-in got a message, by message id (or workflow id for the no-op floor). */
  deliveredAt(key: string): number | undefined;
}

async function measure(
  scenario: string,
  n: number,
  probes: Probes,
  run: () => Promise<{ started: number; key: string }[]>,
): Promise<ScenarioResult> {
  const [queries0, tasks0] = [probes.queries(), probes.activityTasks()];
  const memory = sampleMemory();
  const t0 = Date.now();
  const items = await run();
  const seconds = (Date.now() - t0) / 1_000;
  const peakRssMiB = memory.stop();
  const retainedHeap = retainedHeapMiB();
  const latencies = items.map(({ started, key }) => {
    const at = probes.deliveredAt(key);
    if (at === undefined) throw new Error(`${scenario}: ${key} never reached the provider`);
    return at - started;
  });
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    scenario,
    messages: n,
    seconds: round(seconds),
    messagesPerSecond: round(n / seconds),
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
    },
    dbRoundTripsPerMessage: round((probes.queries() - queries0) / n),
    activityTasksPerMessage: round((probes.activityTasks() - tasks0) / n),
    peakRssMiB,
    retainedHeapMiB: retainedHeap,
  };
}

export function runNoop(client: Client, taskQueue: string, n: number, concurrency: number, probes: Probes) {
  const kinds = ['email', 'whatsapp', 'telegram'] as const;
  return measure('noop', n, probes, () =>
    inPool(
      Array.from({ length: n }, (_, i) => i),
      concurrency,
      async (i) => {
        const workflowId = `bench-noop-${randomUUID()}`;
        const started = Date.now();
        await client.workflow.execute(benchNoop, {
          taskQueue,
          workflowId,
          args: [{ channelKind: kinds[i % 3] ?? 'email' }],
        });
        return { started, key: workflowId };
      },
    ),
  );
}

export function runSend(
  scenario: string,
  client: Client,
  taskQueue: string,
  requests: SendLiveChatMessageInput[],
  concurrency: number,
  probes: Probes,
) {
  return measure(scenario, requests.length, probes, () =>
    inPool(requests, concurrency, async (request) => {
      const started = Date.now();
      const result = await client.workflow.execute(sendLiveChatMessage, {
        taskQueue,
        workflowId: `bench-send-${randomUUID()}`,
        args: [request],
      });
      return { started, key: result.messageId };
    }),
  );
}

/** The same prepare + dispatch code in a plain loop: what it costs without durability. */
export function runDirect(
  db: Knex,
  channels: ChannelAdapters,
  requests: SendLiveChatMessageInput[],
  concurrency: number,
  probes: Probes,
) {
  return measure('direct', requests.length, probes, () =>
    inPool(requests, concurrency, async (request) => {
      const started = Date.now();
      const key = `direct:${randomUUID()}`;
      const prepared = await prepareMessage(
        db,
        { ...request, idempotencyKey: key, process: { workflowId: key, runId: key } },
        new Date(),
      );
      await dispatchMessage(db, channels, prepared.messageId, () => new Date());
      return { started, key: prepared.messageId };
    }),
  );
}
