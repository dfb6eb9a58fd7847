/**
 * `npm run bench [-- --quick] [-- --n 200 --concurrency 50 --rounds 5 --bulk 10000 --rate-bulk 100000 --kill-bulk 10000 --out latest-server.json]`:
 * the benchmark of QUALITY.md. Starts what it needs (or uses TEMPORAL_ADDRESS / DATABASE_URL), then
 * runs, on one server: `bare` (a minimal worker and a workflow of the same shape, no project code),
 * `noop` (our worker, our workflow's shape, activities that do nothing) and `send` (the product)
 * interleaved over --rounds rounds, in a rotating order, at --concurrency and at 1, each ratio the
 * median of the rounds with its min and max; then direct (no durability), send at 4N and 16N
 * (scale), bulk (one process notifying --bulk contacts) and bulk-rate (a bulk of --rate-bulk
 * against a stand-in limited to 80/s and to 400/s) and bulk-kill (a bulk of --kill-bulk over
 * WhatsApp and one over email, their worker process SIGKILLed twice). Billable Temporal actions are counted from
 * the histories (bench/actions.ts). Prints tables and writes bench/results/latest(-quick).json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
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
import { runPages, seedPagesWorld, type PagesResult } from './pages-scenario';
import { printPages, printReport, type BenchReport } from './report';
import { runBare, runDirect, runNoop, runSend, type Probes, type ScenarioResult } from './scenarios';
import { runBulkKill, type BulkKillResult } from './bulk-kill';
import { runBulkRate, type BulkRateResult } from './bulk-rate';
import { spread } from './report';
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

/**
 * `--only pages`: the pages scenario alone (it needs PostgreSQL, not Temporal): --pages operators'
 * pages (500; --quick 50) on one workspace server, --page-messages messages (20; --quick 5) to them,
 * with the feed listening and polling. Prints its table and writes bench/results/pages(-quick).json.
 */
async function pagesScenario(db: Knex, databaseUrl: string, quick: boolean): Promise<PagesResult[]> {
  const pages = option('pages', quick ? 50 : 500);
  const messages = option('page-messages', quick ? 5 : 20);
  await seedPagesWorld(db);
  const results: PagesResult[] = [];
  for (const mode of ['listen', 'poll'] as const) {
    console.log(
      `pages: ${pages} pages, ${messages} messages, feed ${mode === 'listen' ? 'listening' : 'polling'}`,
    );
    results.push(await runPages({ db, databaseUrl, pages, messages, mode }));
  }
  return results;
}

async function runPagesOnly(quick: boolean): Promise<void> {
  const database = await createScratchDatabase('livechat_bench');
  const db = createDb(database.url, { poolMax: database.poolMax === 1 ? 1 : 10 });
  try {
    if (database.source !== 'server') throw new Error('the pages scenario needs a PostgreSQL server');
    await migrateLatest(db);
    const pages = await pagesScenario(db, database.url, quick);
    printPages(pages);
    const out = path.join(__dirname, 'results', quick ? 'pages-quick.json' : 'pages.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
    fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), machine, pages }, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  } finally {
    await db.destroy();
    await database.drop();
  }
}

async function run(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.indexOf('--only');
  if (only >= 0) {
    if (process.argv[only + 1] !== 'pages') throw new Error('--only takes one scenario: pages');
    return runPagesOnly(quick);
  }
  const n = option('n', quick ? 10 : 200);
  const concurrency = option('concurrency', quick ? 10 : 50);
  const bulkSize = option('bulk', quick ? 200 : 10_000);
  const rounds = option('rounds', 5);
  /** Recipients of each bulk-rate run; --quick: two seconds' worth of each rate. */
  const rateBulk = process.argv.includes('--rate-bulk') || !quick ? option('rate-bulk', 100_000) : 0;
  /** Recipients of each bulk-kill run (one over WhatsApp, one over email). */
  const killBulk = option('kill-bulk', quick ? 300 : 10_000);
  /** At concurrency 1: fewer, one after the other. */
  const n1 = quick ? 2 : 20;
  installRuntimeLogger('WARN');
  const config = loadConfig();

  const temporal = await provisionTemporal({ log: console.log });
  const database = await createScratchDatabase('livechat_bench');
  const db = createDb(database.url, { poolMax: database.poolMax === 1 ? 1 : 20 });
  let queries = 0;
  let activityTasks = 0;
  const deliveredAt = new Map<string, number>();
  // Every scenario has customers of its own: the rounds, the warm-up, direct, 4N and 16N.
  const customers = (rounds + 22) * n + rounds * n1 + Math.min(n, 10);
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
    const { dispatchMessage, sendBulkPage, ...databaseSteps } = createActivities({ db, channels });
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
        activities: counted({ dispatchMessage, sendBulkPage, noopDispatch }, tick),
      })),
    ]);
    // The bare floor's own minimal worker: its workflow and two activities, nothing of this project.
    const bareQueue = `${taskQueue}-bare`;
    const bareWorkers = new LiveChatWorkers([
      await Worker.create({
        connection: nativeConnection,
        namespace: temporal.namespace,
        taskQueue: bareQueue,
        workflowsPath: require.resolve('./bare-floor'),
        activities: { barePrepare: async (input: { kind: string }) => ({ id: input.kind }) },
      }),
      await Worker.create({
        connection: nativeConnection,
        namespace: temporal.namespace,
        taskQueue: `${bareQueue}-second`,
        activities: {
          bareDispatch: async () => ({ status: 'sent' }),
        },
      }),
    ]);
    const client = new Client({ connection, namespace: temporal.namespace });
    const probes: Probes = {
      queries: () => queries,
      activityTasks: () => activityTasks,
      deliveredAt: (key) => deliveredAt.get(key),
    };

    const { results, bulk, roundRatios } = await bareWorkers.runUntil(() =>
      workers.runUntil(async () => {
        let next = 0;
        const batch = (size: number, label: string) => {
          const requests = benchRequests(next, size, label);
          next += size;
          return requests;
        };
        // Bare deliveries are noted when its workflow completes: its activities are no project code.
        const bare = async (count: number, c: number) => {
          const result = await runBare(client, bareQueue, count, c, {
            ...probes,
            deliveredAt: () => Date.now(),
          });
          return result;
        };
        // Warm up: the first workflows pay for bundle loading and JIT.
        console.log('warming up');
        await bare(Math.min(n, 10), concurrency);
        await runNoop(client, taskQueue, Math.min(n, 10), concurrency, probes);
        await runSend('warmup', client, taskQueue, batch(Math.min(n, 10), 'w'), concurrency, probes);

        // bare, noop and send interleaved, the order rotating each round, at `concurrency` and at 1.
        const perRound: Record<string, ScenarioResult>[] = [];
        for (let r = 0; r < rounds; r++) {
          const round: Record<string, ScenarioResult> = {};
          const steps: [string, () => Promise<ScenarioResult>][] = [
            ['bare', () => bare(n, concurrency)],
            ['noop', () => runNoop(client, taskQueue, n, concurrency, probes)],
            ['send', () => runSend('send', client, taskQueue, batch(n, `r${r}`), concurrency, probes)],
            ['bare-c1', () => bare(n1, 1)],
            ['noop-c1', () => runNoop(client, taskQueue, n1, 1, probes)],
            ['send-c1', () => runSend('send', client, taskQueue, batch(n1, `r${r}c`), 1, probes)],
          ];
          const shift = r % 3;
          const order = [...steps.slice(0, 3), ...steps.slice(3)].map(
            (_, k) => steps[k < 3 ? (k + shift) % 3 : 3 + ((k - 3 + shift) % 3)]!,
          );
          for (const [name, step] of order) {
            round[name] = { ...(await step()), scenario: name };
            console.log(`round ${r + 1}/${rounds} ${name}: ${round[name].messagesPerSecond} msg/s`);
          }
          perRound.push(round);
        }
        const ratio = (a: string, b: string, f: (s: ScenarioResult) => number) =>
          spread(perRound.map((round) => f(round[a]!) / f(round[b]!)));
        const tput = (s: ScenarioResult) => s.messagesPerSecond;
        const p50 = (s: ScenarioResult) => s.latencyMs.p50;
        const roundRatios = {
          'send/noop throughput': ratio('send', 'noop', tput),
          'noop/bare throughput': ratio('noop', 'bare', tput),
          'send/bare throughput': ratio('send', 'bare', tput),
          'send/noop throughput c=1': ratio('send-c1', 'noop-c1', tput),
          'send/bare throughput c=1': ratio('send-c1', 'bare-c1', tput),
          'send/bare p50 latency c=1': ratio('send-c1', 'bare-c1', p50),
          'send/bare p50 latency': ratio('send', 'bare', p50),
        };
        // Each interleaved scenario as its median round (by throughput), its rounds beside it.
        const out: ScenarioResult[] = ['bare', 'noop', 'send', 'bare-c1', 'noop-c1', 'send-c1'].map(
          (name) => {
            const all = perRound.map((round) => round[name]!).sort((x, y) => tput(x) - tput(y));
            return { ...all[Math.floor(all.length / 2)]!, rounds: all.map(tput) };
          },
        );
        console.log('direct, scale, bulk');
        out.push(await runDirect(db, channels, batch(n, 'd'), concurrency, probes));
        out.push(await runSend('scale-4N', client, taskQueue, batch(4 * n, '4n'), concurrency, probes));
        out.push(await runSend('scale-16N', client, taskQueue, batch(16 * n, '16n'), concurrency, probes));
        const bulkResult: BulkScenarioResult = await runBulk(client, db, taskQueue, bulkSize, concurrency, {
          ...probes,
          deliveredCount: () => deliveredAt.size,
        });
        return { results: out, bulk: bulkResult, roundRatios };
      }),
    );

    // bulk-rate: its own workers with the channel's rate set, the stand-in enforcing it.
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-')), 'workflows.js');
    fs.writeFileSync(bundlePath, code);
    const bulkRate: BulkRateResult[] = [];
    for (const [k, perSecond] of [80, 400].entries()) {
      const recipients = rateBulk || perSecond * 2;
      console.log(`bulk-rate: ${recipients} recipients at ${perSecond}/s`);
      bulkRate.push(
        await runBulkRate({
          connection: nativeConnection,
          namespace: temporal.namespace,
          client,
          db,
          sandbox,
          channels: configured.adapters,
          workflowBundlePath: bundlePath,
          taskQueue,
          perSecond,
          recipients,
          phoneBase: 70_000_000 + k * 10_000_000,
        }),
      );
    }

    // The embedded PostgreSQL serves one connection: no second server process, no listener on it.
    const pages = database.source === 'server' ? await pagesScenario(db, database.url, quick) : undefined;
    if (!pages) console.log('pages: skipped on embedded PostgreSQL (it serves a single connection)');
    // bulk-kill: worker processes of its own, SIGKILLed twice during a bulk per channel.
    console.log(`bulk-kill: ${killBulk} recipients over WhatsApp and over email, the worker killed twice`);
    // A worker process of its own needs a PostgreSQL server: the embedded one lives in this process.
    let bulkKill: BulkKillResult[] = [];
    if (database.poolMax === 1)
      console.log('bulk-kill: skipped, embedded PostgreSQL takes no second process');
    else
      bulkKill = await runBulkKill({
        client,
        db,
        sandbox,
        temporalAddress: temporal.address,
        databaseUrl: database.url,
        taskQueue,
        recipients: killBulk,
      });

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      temporal: temporal.source,
      database: database.source,
      n,
      concurrency,
      rounds,
      scenarios: results,
      roundRatios,
      bulk,
      bulkRate,
      ...(pages ? { pages } : {}),
      bulkKill,
    };
    printReport(report);
    // --out names another file in bench/results (a run on the full server beside the dev server's).
    const outAt = process.argv.indexOf('--out');
    const outName = outAt >= 0 ? path.basename(process.argv[outAt + 1] ?? '') : '';
    const out = path.join(__dirname, 'results', outName || (quick ? 'latest-quick.json' : 'latest.json'));
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
