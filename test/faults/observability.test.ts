import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { WorkflowFailedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Telegram } from 'telegraf';
import { sendLiveChatMessage } from '../../client';
import { applyConfig } from '../../db/apply-config';
import { loadProviderConfig } from '../../config/providers';
import { processSecrets } from '../../config/secrets';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { telegramFaults } from '../../dev/sandbox/telegram-stand-in';
import { databaseCheck, Readiness, temporalCheck } from '../../infra/health';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import { createWebhookServer } from '../../server/webhook-server';
import { telegramWebhookRoutes } from '../../channels/telegram';
import { uniquePhone, uniqueTelegramChatId } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { parseMetrics, promtoolCheck, valueOf } from '../support/metrics-text';
import { killWorkerProcesses, startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { reportFaultCase } from './support/fault-report';

/**
 * The production worker (`worker/main.ts`) as a process, with payload encryption on (the global
 * setup's key), its health and metrics listener on, sending through the real adapters to the
 * stand-ins while they refuse some messages for good and fail others once; and the server's
 * webhooks taking customers' messages in. Then: what `/metrics` counts, whether promtool accepts
 * it, what `/healthz` and `/readyz` say, and every log line either process wrote.
 */
const s = randomUUID().slice(0, 8);
const liveChatId = `obs-${s}`;
const channelId = (kind: 'email' | 'whatsapp' | 'telegram') => `obs-${kind}-${s}`;
const contacts = Array.from({ length: 3 }, (_, i) => ({
  id: `obs-${s}-${i}`,
  name: `Ottilie${s}${i}`,
  phone: uniquePhone(),
  email: `ottilie.${i}.${s}@example.com`,
  chatId: uniqueTelegramChatId(),
}));
const KINDS = ['email', 'whatsapp', 'telegram'] as const;
/** Sends per channel kind, in two waves: the first with one refusal each, the second with one transient failure each. */
const WAVE = 3;
const webhookSecret = `obs-webhook-${randomUUID()}`;

let sandbox: Sandbox;
let harness: Harness;
let worker: WorkerProcess;
let workerUrl: string;
let server: FastifyInstance;
let serverUrl: string;
const serverLog: string[] = [];
const texts: string[] = [];
const customerTexts: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  harness = await startHarness({ workers: false });
  for (const c of contacts) sandbox.telegram.knowChat(c.chatId, { first_name: c.name });
  await applyConfig(harness.db, {
    liveChats: [
      {
        id: liveChatId,
        name: 'Support',
        channels: [
          {
            id: channelId('email'),
            kind: 'email',
            name: 'Support',
            settings: { from: 'support@shop.example' },
          },
          {
            id: channelId('whatsapp'),
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
          { id: channelId('telegram'), kind: 'telegram', name: 'Bot' },
        ],
      },
    ],
    contacts: contacts.map((c) => ({
      id: c.id,
      name: c.name,
      accounts: [
        { kind: 'phone' as const, value: c.phone },
        { kind: 'telegram' as const, value: c.chatId },
      ],
      emails: [{ value: c.email }],
    })),
    telegramChats: contacts.map((c) => ({ channelId: channelId('telegram'), chatId: c.chatId })),
  });

  worker = startWorkerProcess({
    ...sandbox.providers,
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LIVECHAT_WORKER_HTTP_PORT: '0',
    LOG_LEVEL: 'DEBUG',
  });
  await worker.ready;
  const listening = logLines(worker.output()).find((line) => line.msg?.startsWith('health and metrics on'));
  if (!listening || typeof listening.url !== 'string')
    throw new Error(`the worker did not say where it listens:\n${worker.output()}`);
  workerUrl = listening.url;

  // The server's webhooks, as server/main.ts builds them, logging into `serverLog`.
  const providers = loadProviderConfig({ ...sandbox.providers, TELEGRAM_WEBHOOK_SECRET: webhookSecret });
  const logger = createLogger({
    level: 'debug',
    secrets: processSecrets(process.env, providers),
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        serverLog.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  });
  server = await createWebhookServer(
    {
      db: harness.db,
      providers,
      logger,
      metrics: createMetrics({ processMetrics: true }),
      readiness: new Readiness()
        .register('postgresql', databaseCheck(harness.db))
        .register('temporal', temporalCheck(harness.client.connection)),
    },
    [telegramWebhookRoutes({ secretToken: webhookSecret })],
  );
  serverUrl = await server.listen({ host: '127.0.0.1', port: 0 });
  await new Telegram(sandbox.providers.TELEGRAM_BOT_TOKEN!, {
    apiRoot: sandbox.providers.TELEGRAM_API_URL!,
  }).setWebhook(`${serverUrl}/webhooks/telegram/${channelId('telegram')}`, { secret_token: webhookSecret });
});

afterAll(async () => {
  if (worker) await killWorkerProcesses([worker]);
  await server?.close();
  await harness?.stop();
  await sandbox?.stop();
});

interface LogLine {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

/** Every line as JSON; a line that is not JSON fails the test (the processes log JSON only). */
function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`a log line is not JSON: ${line}`);
      }
    });
}

function send(kind: (typeof KINDS)[number], i: number) {
  const contact = contacts[i % contacts.length]!;
  const text = `Observed ${s}: parcel ${kind} ${i} is on its way.`;
  texts.push(text);
  return sendLiveChatMessage(
    harness.client,
    {
      liveChatId,
      channelId: channelId(kind),
      to: { contactId: contact.id },
      text,
      ...(kind === 'email' ? { subject: 'Your parcel' } : {}),
    },
    { taskQueue: harness.taskQueue, workflowId: `obs-${kind}-${s}-${i}` },
  );
}

async function scrape(base: string, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, text: await response.text() };
}

test('sends with refusals and provider failures: /metrics counts them, promtool accepts it, health says ready', async () => {
  // Wave 1: each provider refuses the first message it gets for good, quoting the recipient.
  const victim = contacts[0]!;
  sandbox.smtp.faults.failNext(1, {
    code: 550,
    message: `5.1.1 <${victim.email}>: Recipient address rejected: User unknown`,
  });
  sandbox.twilio.faults.failNext(1, {
    status: 400,
    code: 21211,
    message: `Invalid 'To' Phone Number: whatsapp:${victim.phone}`,
  });
  sandbox.telegram.faults.failNext(1, {
    errorCode: 403,
    description: `Forbidden: bot was blocked by the user ${victim.chatId}`,
  });
  const first = await Promise.allSettled(KINDS.flatMap((kind) => [0, 1, 2].map((i) => send(kind, i))));
  // Wave 2: each provider fails its first call once in a way that is retried.
  sandbox.smtp.faults.failNext(1, { code: 451, message: 'Try again later' });
  sandbox.twilio.faults.failNext(1, { status: 503, code: 20500, message: 'Service unavailable' });
  sandbox.telegram.faults.failNext(1, telegramFaults.connectionDropped());
  const second = await Promise.allSettled(KINDS.flatMap((kind) => [3, 4, 5].map((i) => send(kind, i))));

  const failed = [...first, ...second].filter((o) => o.status === 'rejected');
  expect(failed).toHaveLength(KINDS.length);
  for (const f of failed) expect((f as PromiseRejectedResult).reason).toBeInstanceOf(WorkflowFailedError);

  // Customers write to the bot: the server's webhook records each message once.
  for (const c of contacts.slice(0, 2)) {
    const said = `Inbound ${s}: where is my parcel, ${c.name}?`;
    customerTexts.push(said);
    const { webhookStatus } = await sandbox.telegram.customerWrites(c.chatId, said, { first_name: c.name });
    expect(webhookStatus).toBe(200);
  }

  const workerMetrics = await scrape(workerUrl, '/metrics');
  expect(workerMetrics.status).toBe(200);
  const check = promtoolCheck(workerMetrics.text);
  expect({ status: check.status, output: check.output }).toEqual({ status: 0, output: '' });
  const samples = parseMetrics(workerMetrics.text);
  const sentPerKind = 2 * WAVE - 1;
  const codes = { email: '550', whatsapp: '21211', telegram: '403' };
  for (const channel of KINDS) {
    expect({
      channel,
      sent: valueOf(samples, 'livechat_messages_total', { channel, status: 'sent' }),
      failed: valueOf(samples, 'livechat_messages_total', { channel, status: 'failed' }),
      refusals: valueOf(samples, 'livechat_provider_errors_total', { channel, kind: 'permanent' }),
      refusalsWithCode: valueOf(samples, 'livechat_provider_errors_total', {
        channel,
        kind: 'permanent',
        code: codes[channel],
      }),
      transient: valueOf(samples, 'livechat_provider_errors_total', { channel, kind: 'transient' }),
      timedSends: valueOf(samples, 'livechat_dispatch_duration_seconds_count', { channel, outcome: 'sent' }),
      timedRefusals: valueOf(samples, 'livechat_dispatch_duration_seconds_count', {
        channel,
        outcome: 'refused',
      }),
    }).toEqual({
      channel,
      sent: sentPerKind,
      failed: 1,
      refusals: 1,
      refusalsWithCode: 1,
      transient: 1,
      timedSends: sentPerKind,
      timedRefusals: 1,
    });
  }
  // The Temporal runtime's own series are on the same page.
  const names = new Set(samples.map((sample) => sample.name));
  for (const name of [
    'temporal_worker_task_slots_available',
    'temporal_activity_schedule_to_start_latency_seconds_count',
    'temporal_workflow_task_schedule_to_start_latency_seconds_count',
  ])
    expect({ name, present: names.has(name) }).toEqual({ name, present: true });
  expect(valueOf(samples, 'livechat_process_resident_memory_bytes')).toBeGreaterThan(0);

  const serverMetrics = await scrape(serverUrl, '/metrics');
  expect(promtoolCheck(serverMetrics.text)).toEqual({ status: 0, output: '' });
  expect(
    valueOf(parseMetrics(serverMetrics.text), 'livechat_inbound_messages_total', { channel: 'telegram' }),
  ).toBe(2);

  expect(await scrape(workerUrl, '/healthz')).toEqual({ status: 200, text: '{"ok":true}' });
  const workerReady = await scrape(workerUrl, '/readyz');
  expect({ status: workerReady.status, body: JSON.parse(workerReady.text) as unknown }).toEqual({
    status: 200,
    body: { ready: true, checks: { postgresql: 'ok', temporal: 'ok', workers: 'ok' } },
  });
  const serverReady = await scrape(serverUrl, '/readyz');
  expect(JSON.parse(serverReady.text)).toEqual({ ready: true, checks: { postgresql: 'ok', temporal: 'ok' } });
});

test('every log line of that run is JSON and holds no contact value, text or configured secret', async () => {
  // Let the worker finish its lines, then stop it as a supervisor does.
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  const workerLines = logLines(worker.output());
  const serverLines = logLines(serverLog.join('\n'));

  // The lines say what happened, with the ids that find the work.
  const refusals = workerLines.filter((line) => line.msg === 'provider refused the message for good');
  expect(refusals).toHaveLength(KINDS.length);
  for (const line of refusals) {
    expect(line).toEqual(
      expect.objectContaining({
        level: 'warn',
        workflowId: expect.stringMatching(/^obs-/),
        messageId: expect.any(String),
        sessionId: expect.any(String),
        code: expect.any(String),
        reason: expect.any(String),
      }),
    );
  }
  expect(workerLines.filter((line) => line.msg === 'message handed to the provider')).toHaveLength(
    KINDS.length * (2 * WAVE - 1),
  );
  expect(serverLines.some((line) => line.route === '/webhooks/telegram/:channelId')).toBe(true);

  const providers = loadProviderConfig({ ...sandbox.providers, TELEGRAM_WEBHOOK_SECRET: webhookSecret });
  const secrets = processSecrets(process.env, providers);
  expect(secrets.length).toBeGreaterThanOrEqual(4);
  const values = [
    ...contacts.flatMap((c) => [c.phone, c.phone.slice(1), c.email, c.chatId, c.name]),
    ...texts,
    ...customerTexts,
    ...secrets,
  ];
  const all = [...workerLines, ...serverLines].map((line) => JSON.stringify(line));
  const found = values.filter((value) => all.some((line) => line.includes(value)));
  expect(found).toEqual([]);
  reportFaultCase({
    case: 'logs',
    requests: texts.length + customerTexts.length,
    notes: `${values.length} contact values, texts and secrets searched in ${all.length} log lines: ${found.length} found`,
  });
});
