/**
 * Two real worker OS processes on one Temporal server (in `npm run test:cluster`, the full server
 * on PostgreSQL): both take work, then one is SIGKILLed with messages in flight and the other
 * finishes everything. What must hold: every workflow completes, every message is written once
 * (one row per idempotency key) and delivered at least once. What may happen, and is counted and
 * reported rather than hidden: a worker killed after the provider accepted a message but before
 * the database recorded it leaves the message pending, and the survivor delivers it again once
 * Temporal gives up on the dead worker's attempt (the dispatch activity's 20 s heartbeat
 * timeout, workflows/activity-options.ts) and its 30 s lease has run out. The report goes to test/artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startSendLiveChatMessage } from '../../client';
import { createDb, type Db } from '../../db/knex';
import type { MessageRow, SessionRow } from '../../db/rows';
import type { SendLiveChatMessageInput } from '../../domain/types';
import { temporalConnectionOptions } from '../../infra/temporal-connection';
import { readFileOutbox, type FileOutboxLine } from '../../sandbox/file-outbox-adapter';
import { createWorld, type World } from '../support/fixtures';

const ROOT = path.join(__dirname, '..', '..');
const ENTRY = path.join(__dirname, 'worker-entry.ts');
const WORKFLOWS = Number(process.env.LIVECHAT_CLUSTER_WORKFLOWS ?? 200);
/** Kill the first worker once this many messages have reached the stand-in. */
const KILL_AFTER = Math.ceil(WORKFLOWS / 3);
/** The stand-in answers this long after recording a message: the window a kill can hit. */
const ANSWER_DELAY_MS = 250;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through test/cluster/jest.config.js`);
  return value;
}

interface WorkerProcess {
  label: string;
  child: ChildProcess;
  pid: number;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** One worker OS process: node running test/cluster/worker-entry.ts through tsx's loader. */
function startWorker(label: string, env: NodeJS.ProcessEnv): WorkerProcess {
  // `node --import tsx` rather than the tsx CLI: the CLI runs the script in a child process, and a
  // SIGKILL to the CLI would leave that child polling.
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env: { ...process.env, ...env, LIVECHAT_SANDBOX_OUTBOX_LABEL: label },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`worker ${label} did not start`);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes(`LIVECHAT_WORKER_READY ${child.pid}`)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker ${label} exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
  });
  return { label, child, pid: child.pid, ready, exited, output: () => output };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function countBy<T>(items: T[], key: (item: T) => string | number): Map<string | number, number> {
  const counts = new Map<string | number, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Four streams of messages, to three contacts over three channel kinds. */
function inputFor(w: World, i: number): SendLiveChatMessageInput {
  const text = `Cluster message ${i + 1} of ${WORKFLOWS}: your order #${5000 + i} has shipped.`;
  switch (i % 4) {
    case 0:
      return { liveChatId: w.liveChat, channelId: w.whatsapp, to: { contactId: w.maria }, text };
    case 1:
      return { liveChatId: w.liveChat, channelId: w.telegram, to: { contactId: w.maria }, text };
    case 2:
      return { liveChatId: w.liveChat, channelId: w.email, to: { contactId: w.peter }, text };
    default:
      return { liveChatId: w.liveChat, channelId: w.whatsapp, to: { contactId: w.olga }, text };
  }
}

let db: Db;
let connection: Connection;
let client: Client;
let scratch: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  db = createDb(required('LIVECHAT_TEST_DATABASE_URL'), { poolMax: 4 });
  const temporal = temporalConnectionOptions({
    ...process.env,
    TEMPORAL_ADDRESS: required('LIVECHAT_TEST_TEMPORAL_ADDRESS'),
  });
  connection = await Connection.connect(temporal.client);
  client = new Client({ connection, namespace: temporal.namespace });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-cluster-'));
});

afterAll(async () => {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  }
  await Promise.all(workers.map((worker) => worker.exited));
  await connection?.close();
  await db?.destroy();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test(`two worker processes share ${WORKFLOWS} sends; one is SIGKILLed mid-flight and nothing is lost or written twice`, async () => {
  const w = await createWorld(db);
  const run = randomUUID().slice(0, 8);
  const taskQueue = `cluster-${run}`;
  const outbox = path.join(scratch, 'outbox.jsonl');
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: required('LIVECHAT_TEST_TEMPORAL_ADDRESS'),
    DATABASE_URL: required('LIVECHAT_TEST_DATABASE_URL'),
    DATABASE_POOL_MAX: '10',
    LIVECHAT_TASK_QUEUE: taskQueue,
    LIVECHAT_WORKFLOW_BUNDLE: required('LIVECHAT_TEST_WORKFLOW_BUNDLE'),
    LIVECHAT_SANDBOX_OUTBOX: outbox,
    LIVECHAT_SANDBOX_OUTBOX_DELAY_MS: String(ANSWER_DELAY_MS),
    LOG_LEVEL: 'ERROR',
  };
  const victim = startWorker('worker-a', env);
  const survivor = startWorker('worker-b', env);
  workers.push(victim, survivor);
  await Promise.all([victim.ready, survivor.ready]);

  // 1. Start every workflow at once, with distinct ids (= idempotency keys).
  const startedAt = Date.now();
  const ids = Array.from({ length: WORKFLOWS }, (_, i) => `cluster-${run}-${i}`);
  const handles: WorkflowHandle[] = await Promise.all(
    ids.map((workflowId, i) => startSendLiveChatMessage(client, inputFor(w, i), { taskQueue, workflowId })),
  );

  // 2. Both processes take work; once a third of the messages are out, kill the first one.
  const beforeKill = await waitFor('a third of the messages to be delivered', 120_000, async () => {
    const lines = readFileOutbox(outbox);
    return new Set(lines.map((l) => l.messageId)).size >= KILL_AFTER ? lines : undefined;
  });
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
  const perPidBeforeKill = countBy(beforeKill, (l) => l.pid);
  expect(perPidBeforeKill.get(victim.pid) ?? 0).toBeGreaterThan(0);
  expect(perPidBeforeKill.get(survivor.pid) ?? 0).toBeGreaterThan(0);

  // What the kill interrupted: messages the victim handed to the stand-in whose rows are still
  // pending (its transaction died with it). Read once PostgreSQL has rolled the victim back.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const victimDelivered = [
    ...new Set(
      readFileOutbox(outbox)
        .filter((l) => l.pid === victim.pid)
        .map((l) => l.messageId),
    ),
  ];
  const interrupted = await db<MessageRow>('messages')
    .whereIn('id', victimDelivered)
    .where({ status: 'pending' })
    .pluck('id');

  // 3. The survivor finishes everything, including the dead worker's attempts once they time out.
  const results = await Promise.all(handles.map((handle) => handle.result()));
  const finishedAt = Date.now();

  // Every workflow completed, with its message sent.
  expect(results).toHaveLength(WORKFLOWS);
  expect(results.every((r) => r.status === 'sent')).toBe(true);
  for (const handle of handles) {
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  }

  // Every message exactly once in the messages table: one row per idempotency key.
  const keys = ids.map((id) => `workflow:${id}`);
  const rows = await db<MessageRow>('messages').whereIn('idempotency_key', keys);
  const rowsPerKey = countBy(rows, (r) => r.idempotency_key ?? '');
  expect(rows).toHaveLength(WORKFLOWS);
  expect(new Set(rowsPerKey.keys())).toEqual(new Set(keys));
  expect([...rowsPerKey.values()].every((count) => count === 1)).toBe(true);
  expect(rows.every((r) => r.status === 'sent' && r.provider_message_id !== null)).toBe(true);
  expect(new Set(rows.map((r) => r.id))).toEqual(new Set(results.map((r) => r.messageId)));

  // On a messenger, one open session per account however the two processes raced for it (maria on
  // WhatsApp and on Telegram, olga on WhatsApp); on email, a session per message.
  const sessions = await db<SessionRow>('sessions').whereIn('id', [
    ...new Set(rows.map((r) => r.session_id)),
  ]);
  const messenger = sessions.filter((s) => s.channel_id !== w.email);
  expect(messenger.map((s) => `${s.channel_id} ${s.contact_id}`).sort()).toEqual(
    [`${w.telegram} ${w.maria}`, `${w.whatsapp} ${w.maria}`, `${w.whatsapp} ${w.olga}`].sort(),
  );
  expect(sessions.length - messenger.length).toBe(ids.filter((_, i) => i % 4 === 2).length);

  // Every message delivered at least once; count the second deliveries.
  const lines = readFileOutbox(outbox);
  const deliveries = countBy(lines, (l) => l.messageId);
  expect(new Set(deliveries.keys())).toEqual(new Set(rows.map((r) => r.id)));
  const twice = [...deliveries].filter(([, count]) => count > 1).map(([id]) => String(id));
  expect([...deliveries.values()].every((count) => count <= 2)).toBe(true);
  // A second delivery only ever follows a delivery the kill interrupted, never anything else.
  expect(new Set(twice)).toEqual(new Set(interrupted));
  // The provider id recorded is the one of the delivery that completed.
  const byProviderId = new Map(lines.map((l: FileOutboxLine) => [l.providerMessageId, l]));
  expect(rows.every((r) => byProviderId.get(r.provider_message_id ?? '')?.messageId === r.id)).toBe(true);

  const perPid = countBy(lines, (l) => l.pid);
  const report = {
    temporalAddress: required('LIVECHAT_TEST_TEMPORAL_ADDRESS'),
    workflows: WORKFLOWS,
    killAfterDelivered: KILL_AFTER,
    standInAnswerDelayMs: ANSWER_DELAY_MS,
    victim: { pid: victim.pid, deliveriesBeforeKill: perPidBeforeKill.get(victim.pid) ?? 0 },
    survivor: {
      pid: survivor.pid,
      deliveriesBeforeKill: perPidBeforeKill.get(survivor.pid) ?? 0,
      deliveriesTotal: perPid.get(survivor.pid) ?? 0,
    },
    deliveriesTotal: lines.length,
    distinctMessagesDelivered: deliveries.size,
    interruptedByKill: interrupted.length,
    deliveredTwice: twice.length,
    messageRows: rows.length,
    secondsToKill: (killedAt - startedAt) / 1_000,
    secondsFromKillToAllCompleted: (finishedAt - killedAt) / 1_000,
    secondsTotal: (finishedAt - startedAt) / 1_000,
  };
  fs.mkdirSync(path.join(ROOT, 'test', 'artifacts'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'test', 'artifacts', 'cluster-two-workers.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log(`two workers, one killed:\n${JSON.stringify(report, null, 2)}`);

  survivor.child.kill('SIGTERM');
  expect((await survivor.exited).code).toBe(0);
}, 360_000);
