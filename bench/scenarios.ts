import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { dispatchMessage } from '../activities/dispatch-message';
import { prepareMessage } from '../activities/prepare-message';
import type { ChannelAdapters } from '../channels/adapter';
import type { SendLiveChatMessageInput } from '../domain/types';
import { sendLiveChatMessage } from '../workflows';
import { workflowCost } from './actions';
import { bareFloor } from './bare-floor';
import { benchNoop } from './noop-workflow';
import { inPool, quantile, retainedHeapMiB, sampleMemory } from './stats';

export interface ScenarioResult {
  scenario: string;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** Workflows in flight at once. */
  concurrency: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** Billable Temporal actions per message, counted from the histories (bench/actions.ts). */
  actionsPerMessage: number;
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

/** Histories read per scenario to count actions: enough for a mean, few enough to stay quick. */
const COST_SAMPLE = 40;

async function measure(
  scenario: string,
  n: number,
  concurrency: number,
  probes: Probes,
  run: () => Promise<{ started: number; key: string; workflowId?: string }[]>,
  client?: Client,
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
  let actionsPerMessage = 0;
  const sample = items.flatMap((i) => (i.workflowId ? [i.workflowId] : [])).slice(0, COST_SAMPLE);
  if (client && sample.length > 0) {
    const costs = await Promise.all(sample.map((id) => workflowCost(client, id)));
    actionsPerMessage = round(costs.reduce((sum, c) => sum + c.actions, 0) / sample.length);
  }
  return {
    scenario,
    messages: n,
    concurrency,
    seconds: round(seconds),
    messagesPerSecond: round(n / seconds),
    actionsPerMessage,
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
  return measure(
    'noop',
    n,
    concurrency,
    probes,
    () =>
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
          return { started, key: workflowId, workflowId };
        },
      ),
    client,
  );
}

/** The bare floor (bench/bare-floor.ts) on its own minimal worker: no code of this project. */
export function runBare(client: Client, taskQueue: string, n: number, concurrency: number, probes: Probes) {
  return measure(
    'bare',
    n,
    concurrency,
    probes,
    () =>
      inPool(
        Array.from({ length: n }, (_, i) => i),
        concurrency,
        async () => {
          const workflowId = `bench-bare-${randomUUID()}`;
          const started = Date.now();
          await client.workflow.execute(bareFloor, { taskQueue, workflowId, args: [{ kind: 'whatsapp' }] });
          return { started, key: workflowId, workflowId };
        },
      ),
    client,
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
  return measure(
    scenario,
    requests.length,
    concurrency,
    probes,
    () =>
      inPool(requests, concurrency, async (request) => {
        const started = Date.now();
        const workflowId = `bench-send-${randomUUID()}`;
        const result = await client.workflow.execute(sendLiveChatMessage, {
          taskQueue,
          workflowId,
          args: [request],
        });
        return { started, key: result.messageId, workflowId };
      }),
    client,
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
  return measure('direct', requests.length, concurrency, probes, () =>
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
