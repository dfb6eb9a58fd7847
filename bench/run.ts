/**
 * `npm run bench [-- --quick] [-- --n 200 --concurrency 50]`: the benchmark of QUALITY.md. Starts what
 * it needs (or uses TEMPORAL_ADDRESS / DATABASE_URL), then runs, on one server with the same worker
 * settings: noop (Temporal's floor), send (the product), direct (no durability), send at 4N and
 * 16N (scale), and bulk (one process notifying --bulk contacts, 10 000 by default). Prints a table and writes bench/results/latest.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ChannelAdapter, ChannelAdapters } from '../channels/adapter';
import { createDb, migrateLatest } from '../db/knex';
import { loadConfig } from '../config/environment';
import { installRuntimeLogger } from '../infra/runtime';
import { createScratchDatabase } from '../dev/scratch-database';
import { provisionTemporal } from '../dev/temporal-server';
import { startSandbox } from '../dev/sandbox/start-sandbox';
import { createChannelAdapters } from '../channels';
import { loadProviderConfig } from '../config/providers';
import { createDispatchWorkers, createWorkflowWorker, LiveChatWorkers } from '../worker/create-worker';
import { createNoopActivities } from './noop-activities';
import { printReport, type BenchReport } from './report';
import { runDirect, runNoop, runSend, type Probes, type ScenarioResult } from './scenarios';
import { runBulk, type BulkScenarioResult } from './bulk-scenario';
import { benchRequests, benchTelegramChats, seedBenchWorld, seedBulkAudience } from './world';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
}

/** Notes when the provider accepted each message, whatever adapter stands behind it. */
function timed(adapter: ChannelAdapter, deliveredAt: Map<string, number>): ChannelAdapter {
  return {
    send: async (message) => {
      const outcome = await adapter.send(message);
      deliveredAt.set(message.messageId, Date.now());
      return outcome;
    },
  };
}

/** Counts every activity task the worker runs. */
function counted<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
  tick: () => void,
): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: never[]) => (tick(), fn(...args))]),
  ) as T;
}

async function run(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const n = option('n', quick ? 20 : 200);
  const concurrency = option('concurrency', quick ? 10 : 50);
  const bulkSize = option('bulk', quick ? 200 : 10_000);
  installRuntimeLogger('WARN');
  const config = loadConfig();

  const temporal = await provisionTemporal({ log: console.log });
  const database = await createScratchDatabase('livechat_bench');
  const db = createDb(database.url, { poolMax: database.poolMax === 1 ? 1 : 20 });
  let queries = 0;
  let activityTasks = 0;
  const deliveredAt = new Map<string, number>();
  const customers = 22 * n + Math.min(n, 10); // every scenario has customers of its own
  const sandbox = await startSandbox();
  let stopAdapters = async (): Promise<void> => undefined;
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    await migrateLatest(db);
    await seedBenchWorld(db, customers);
    await seedBulkAudience(db, bulkSize);
    db.on('query', () => queries++);

    // The real SDKs against the provider stand-ins, as in production but on loopback.
    const configured = createChannelAdapters(loadProviderConfig({ ...process.env, ...sandbox.providers }));
    stopAdapters = configured.close;
    for (const chatId of benchTelegramChats(customers)) sandbox.telegram.knowChat(chatId);
    const channels: ChannelAdapters = Object.fromEntries(
      Object.entries(configured.adapters).map(([kind, adapter]) => [kind, timed(adapter, deliveredAt)]),
    );
    const tick = () => activityTasks++;
    const { dispatchMessage, ...databaseSteps } = createActivities({ db, channels });
    const { noopPrepare, noopDispatch } = createNoopActivities(deliveredAt);
    const taskQueue = `${config.LIVECHAT_TASK_QUEUE}-bench`;
    const queue = { connection: nativeConnection, namespace: temporal.namespace, taskQueue };
    const workers = new LiveChatWorkers([
      await createWorkflowWorker({
        ...queue,
        workflowsPath: require.resolve('./workflows'),
        activities: counted({ ...databaseSteps, noopPrepare }, tick),
      }),
      ...(await createDispatchWorkers({
        ...queue,
        activities: counted({ dispatchMessage, noopDispatch }, tick),
      })),
    ]);
    const client = new Client({ connection, namespace: temporal.namespace });
    const probes: Probes = {
      queries: () => queries,
      activityTasks: () => activityTasks,
      deliveredAt: (key) => deliveredAt.get(key),
    };

    const { results, bulk } = await workers.runUntil(async () => {
      let next = 0;
      const batch = (size: number, label: string) => {
        const requests = benchRequests(next, size, label);
        next += size;
        return requests;
      };
      // Warm up: the first workflows pay for bundle loading and JIT.
      await runNoop(client, taskQueue, Math.min(n, 10), concurrency, probes);
      await runSend('warmup', client, taskQueue, batch(Math.min(n, 10), 'w'), concurrency, probes);
      const out: ScenarioResult[] = [];
      out.push(await runNoop(client, taskQueue, n, concurrency, probes));
      out.push(await runSend('send', client, taskQueue, batch(n, 'n'), concurrency, probes));
      out.push(await runDirect(db, channels, batch(n, 'd'), concurrency, probes));
      out.push(await runSend('scale-4N', client, taskQueue, batch(4 * n, '4n'), concurrency, probes));
      out.push(await runSend('scale-16N', client, taskQueue, batch(16 * n, '16n'), concurrency, probes));
      const bulkResult: BulkScenarioResult = await runBulk(client, db, taskQueue, bulkSize, concurrency, {
        ...probes,
        deliveredCount: () => deliveredAt.size,
      });
      return { results: out, bulk: bulkResult };
    });

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      temporal: temporal.source,
      database: database.source,
      n,
      concurrency,
      scenarios: results,
      bulk,
    };
    printReport(report);
    const out = path.join(__dirname, 'results', quick ? 'latest-quick.json' : 'latest.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  } finally {
    await connection.close();
    await nativeConnection.close();
    await db.destroy();
    await database.drop();
    await temporal.stop();
    await stopAdapters();
    await sandbox.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
