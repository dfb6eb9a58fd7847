/**
 * The fault suite's "worker killed" (a long case: `npm run test:faults`): the real worker process
 * (`worker/main.ts`, its real nodemailer / twilio / telegraf adapters pointed at the stand-ins) is
 * SIGKILLed with hundreds of messages in flight, and a new one is started. What must hold: every
 * workflow completes, every message is in the history once, none is lost; at the providers,
 * WhatsApp (whose provider can be asked what it took) gets each message once, and a message can
 * reach the others twice only if the kill fell between the provider taking it and the database
 * recording it. The worker logs of the whole run are searched for the configured secrets. The same
 * kill then falls on a Bulk Notify with pages in flight: its page is retried from its checkpoint by
 * the new worker, and every recipient reaches WhatsApp once.
 */
import { randomUUID } from 'node:crypto';
import { startBulkNotify } from '../../../client';
import { loadProviderConfig, secretsOf } from '../../../config/providers';
import { uniquePhone } from '../../support/fixtures';
import type { Sandbox } from '../../../dev/sandbox/start-sandbox';
import type { Harness } from '../../support/harness';
import {
  killWorkerProcesses,
  startProcessWorld,
  startWorkerProcess,
  type WorkerProcess,
} from '../../support/worker-process';
import { reportFaultCase } from '../support/fault-report';
import {
  deliveredCount,
  deliveriesByText,
  providerWorld,
  startAll,
  waitFor,
} from '../../support/provider-world';

const MESSAGES = Number(process.env.LIVECHAT_FAULTS_KILL_MESSAGES ?? 500);
const KILL_AFTER = Math.ceil(MESSAGES / 4);
/** Answers take a while, as a real provider's do: the kill finds sends in flight. */
const ANSWER_LATENCY_MS = 150;

let sandbox: Sandbox;
let harness: Harness;
const workers: WorkerProcess[] = [];
const world = providerWorld(50);

beforeAll(async () => {
  ({ sandbox, harness } = await startProcessWorld(world, ANSWER_LATENCY_MS));
});

afterAll(async () => {
  await killWorkerProcesses(workers);
  await harness?.stop();
  await sandbox?.stop();
});

test(`a worker SIGKILLed with ${MESSAGES} messages in flight, then a new one: nothing lost, nothing written twice`, async () => {
  const env: NodeJS.ProcessEnv = {
    ...sandbox.providers,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    DATABASE_POOL_MAX: '20',
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LOG_LEVEL: 'INFO',
  };
  const first = startWorkerProcess(env);
  workers.push(first);
  await first.ready;

  const requests = world.requests(MESSAGES, 'Kill run');
  await startAll(harness, requests);
  const delivered = () => deliveredCount(sandbox);
  await waitFor(`${KILL_AFTER} deliveries`, 300_000, () => delivered() >= KILL_AFTER);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const killedAt = Date.now();
  const atKill = delivered();

  // Messages the stand-ins had when the worker died whose rows are still pending: the only ones a
  // provider without a lookup may get twice.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const timesAtKill = deliveriesByText(sandbox);
  const pendingTexts = new Set(
    (await harness
      .db('messages')
      .whereIn(
        'text',
        requests.map((r) => r.text),
      )
      .where({ status: 'pending' })
      .pluck('text')) as string[],
  );
  const interrupted = requests.filter((r) => timesAtKill(r.text) > 0 && pendingTexts.has(r.text));

  const second = startWorkerProcess(env);
  workers.push(second);
  await second.ready;
  const results = await Promise.all(
    requests.map((r) => harness.client.workflow.getHandle(r.workflowId).result()),
  );
  const recoveredMs = Date.now() - killedAt;
  await sandbox.twilio.settled();
  second.child.kill('SIGTERM');
  await second.exited;

  const times = deliveriesByText(sandbox);
  const perRequest = requests.map((r) => ({ kind: r.kind, times: times(r.text) }));
  const doubled = (kind?: string) =>
    perRequest.filter((p) => p.times > 1 && (!kind || p.kind === kind)).length;
  const rows = await harness.db('messages').whereIn(
    'id',
    results.map((r) => r.messageId),
  );
  const secrets = [
    ...secretsOf(loadProviderConfig(sandbox.providers)),
    ...(process.env.LIVECHAT_PAYLOAD_KEYS ? [process.env.LIVECHAT_PAYLOAD_KEYS.split(':')[1]!] : []),
  ];
  const logs = first.output() + second.output();
  const leaked = secrets.filter((secret) => logs.includes(secret));

  reportFaultCase({
    case: 'worker killed (SIGKILL, then a new worker)',
    requests: MESSAGES,
    inHistory: rows.length,
    doubledInHistory: rows.length - new Set(results.map((r) => r.messageId)).size,
    delivered: perRequest.filter((p) => p.times >= 1).length,
    doubledAtProvider: doubled(),
    lost: perRequest.filter((p) => p.times === 0).length,
    notes:
      `killed after ${atKill} deliveries; ${interrupted.length} caught between provider and database ` +
      `(whatsapp ${interrupted.filter((r) => r.kind === 'whatsapp').length}); twice: whatsapp ${doubled('whatsapp')}, ` +
      `telegram ${doubled('telegram')}, email ${doubled('email')}; recovered in ${Math.round(recoveredMs / 1000)} s; ` +
      `${secrets.length} secrets in ${logs.split('\n').length} log lines: ${leaked.length} found`,
  });

  expect(results.every((r) => r.status === 'sent')).toBe(true);
  expect(rows).toHaveLength(MESSAGES);
  expect(perRequest.filter((p) => p.times === 0)).toEqual([]);
  expect(doubled('whatsapp')).toBe(0);
  // A second delivery only where the kill fell between the provider and the database.
  const interruptedTexts = new Set(interrupted.map((r) => r.text));
  expect(requests.filter((r) => times(r.text) > 1 && !interruptedTexts.has(r.text))).toEqual([]);
  expect(leaked).toEqual([]);
});

const BULK_RECIPIENTS = Number(process.env.LIVECHAT_FAULTS_KILL_BULK ?? 400);

test(`a worker SIGKILLed during a bulk of ${BULK_RECIPIENTS}, then a new one: every recipient once in the history and once at WhatsApp`, async () => {
  const env: NodeJS.ProcessEnv = {
    ...sandbox.providers,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    DATABASE_POOL_MAX: '20',
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LOG_LEVEL: 'INFO',
  };
  const first = startWorkerProcess(env);
  workers.push(first);
  await first.ready;

  const text = `Bulk kill run ${randomUUID()}`;
  const phones = Array.from({ length: BULK_RECIPIENTS }, () => uniquePhone());
  const accepted = () =>
    sandbox.twilio.received.filter((m) => m.body === text || m.contentVariables?.includes(text));
  const handle = await startBulkNotify(
    harness.client,
    {
      liveChatId: world.liveChatId,
      channelId: world.channelId('whatsapp'),
      audience: { recipients: phones.map((account) => ({ account })) },
      text,
      concurrency: 10,
      pageSize: 100,
    },
    { taskQueue: harness.taskQueue, workflowId: `bulk-kill-${randomUUID()}` },
  );
  await waitFor('a quarter of the bulk delivered', 300_000, () => accepted().length >= BULK_RECIPIENTS / 4);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const atKill = accepted().length;
  const killedAt = Date.now();

  const second = startWorkerProcess(env);
  workers.push(second);
  await second.ready;
  const result = await handle.result();
  const recoveredMs = Date.now() - killedAt;
  await sandbox.twilio.settled();
  second.child.kill('SIGTERM');
  await second.exited;

  const perPhone = new Map<string, number>();
  for (const m of accepted()) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
  const rows = await harness.db('bulk_recipients').where({ bulk_id: handle.workflowId });
  const messages = await harness.db('messages').where({ process_workflow_id: handle.workflowId });
  reportFaultCase({
    case: 'worker killed during a bulk (SIGKILL, then a new worker)',
    requests: BULK_RECIPIENTS,
    inHistory: messages.length,
    doubledInHistory: messages.length - new Set(messages.map((m) => m.idempotency_key as string)).size,
    delivered: perPhone.size,
    doubledAtProvider: [...perPhone.values()].filter((n) => n > 1).length,
    lost: phones.filter((p) => !perPhone.has(`whatsapp:${p}`)).length,
    notes: `killed after ${atKill} deliveries; recovered in ${Math.round(recoveredMs / 1000)} s`,
  });

  expect(result).toMatchObject({
    state: 'completed',
    total: BULK_RECIPIENTS,
    sent: BULK_RECIPIENTS,
    failed: 0,
  });
  expect(rows.filter((r) => r.status === 'sent')).toHaveLength(BULK_RECIPIENTS);
  expect(messages).toHaveLength(BULK_RECIPIENTS);
  expect([...perPhone.keys()].sort()).toEqual(phones.map((p) => `whatsapp:${p}`).sort());
  expect([...perPhone.values()].filter((n) => n > 1)).toEqual([]);
});
