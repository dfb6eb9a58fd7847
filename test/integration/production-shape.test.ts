import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Telegram } from 'telegraf';
import { sendLiveChatMessage } from '../../client';
import { applyConfig } from '../../db/apply-config';
import { createDb, migrateLatest, type Db } from '../../db/knex';
import { createScratchDatabase, type ScratchDatabase } from '../../dev/scratch-database';
import { freePort } from '../../dev/free-port';
import { telegramWebhookUrl } from '../../channels/telegram/polling';
import { runLivechat } from '../support/cli-process';
import { uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

/**
 * Production's shape on one machine: the provider stand-ins (`npm run sandbox`), the worker and the
 * server each an OS process of its own, the worker and server loading the sandbox's env file with
 * `--env-file`; this process only applies the config, starts a workflow and reads the database. A
 * WhatsApp send goes through to delivered (the Twilio stand-in's signed status callback reaching the
 * server process), the server sets the Telegram webhook, and `livechat doctor` says all is well —
 * then names the provider, PostgreSQL and Temporal that are not there.
 */

const ROOT = path.resolve(__dirname, '../..');
const s = randomUUID().slice(0, 8);
const ids = {
  liveChat: `shape-${s}`,
  whatsapp: `shape-whatsapp-${s}`,
  telegram: `shape-telegram-${s}`,
  email: `shape-email-${s}`,
  contact: `shape-maria-${s}`,
  phone: uniquePhone(),
};

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

const procs: Proc[] = [];

function start(name: string, args: string[], env: NodeJS.ProcessEnv, readyLine: string): Promise<Proc> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => void (output += chunk.toString('utf8'));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const proc = { name, child, output: () => output, exited };
  procs.push(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready in time:\n${output}`)), 100_000);
    child.stdout?.on('data', () => {
      if (output.includes(readyLine)) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    void exited.then((code) =>
      reject(new Error(`${name} exited (${String(code)}) before it was ready:\n${output}`)),
    );
  });
}

async function stop(proc: Proc): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
  await proc.exited;
}

function readEnvFile(file: string): Record<string, string> {
  const entries = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let harness: Harness;
// A database of this file's own: the doctor checks every channel in it, and other files' channels
// are theirs to get right.
let database: ScratchDatabase;
let db: Db;
let dir: string;
let envFile: string;
let sandbox: Proc;
let common: NodeJS.ProcessEnv;

beforeAll(async () => {
  harness = await startHarness({ workers: false });
  database = await createScratchDatabase('livechat_shape');
  db = createDb(database.url, { poolMax: 2 });
  await migrateLatest(db);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-shape-'));
  envFile = path.join(dir, '.env.sandbox');
  const [smtpPort, twilioPort, telegramPort, serverPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  sandbox = await start(
    'sandbox',
    ['--import', 'tsx', 'dev/sandbox/main.ts'],
    {
      SANDBOX_SMTP_PORT: String(smtpPort),
      SANDBOX_TWILIO_PORT: String(twilioPort),
      SANDBOX_TELEGRAM_PORT: String(telegramPort),
      // A bot of this test's own: the lease table and the stand-in's webhook are per bot.
      SANDBOX_TELEGRAM_BOT_TOKEN: `${700_000_000 + Math.floor(Math.random() * 1e8)}:${randomBytes(12).toString('hex')}`,
      SANDBOX_ENV_FILE: envFile,
      SANDBOX_SERVER_URL: `http://127.0.0.1:${serverPort}`,
    },
    'sandbox ready:',
  );
  common = {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: database.url,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    WEBHOOK_PORT: String(serverPort),
    TELEGRAM_CHANNEL_ID: ids.telegram,
  };
  await applyConfig(db, {
    liveChats: [
      {
        id: ids.liveChat,
        name: 'Shape',
        channels: [
          {
            id: ids.whatsapp,
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
          { id: ids.telegram, kind: 'telegram', name: 'Bot' },
          {
            id: ids.email,
            kind: 'email',
            name: 'Support',
            settings: { from: 'Support <support@shop.example>' },
          },
        ],
      },
    ],
    contacts: [{ id: ids.contact, name: 'Maria', accounts: [{ kind: 'phone', value: ids.phone }] }],
  });
  await Promise.all([
    start('worker', [`--env-file=${envFile}`, '--import', 'tsx', 'worker/main.ts'], common, 'worker ready:'),
    start('server', [`--env-file=${envFile}`, '--import', 'tsx', 'server/main.ts'], common, 'listening on'),
  ]);
}, 240_000);

afterAll(async () => {
  for (const proc of [...procs].reverse()) await stop(proc);
  await harness.stop();
  await db.destroy();
  await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const output = () => procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n');

test('the sandbox prints its settings and writes them to the env file', () => {
  const settings = readEnvFile(envFile);
  expect(Object.keys(settings).sort()).toEqual(
    [
      'SMTP_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_API_URL',
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_API_URL',
      'WEBHOOK_BASE_URL',
      'TELEGRAM_WEBHOOK_SECRET',
      'EMAIL_WEBHOOK_SECRET',
      'MEDIA_URL_SECRET',
    ].sort(),
  );
  for (const [key, value] of Object.entries(settings)) expect(sandbox.output()).toContain(`${key}=${value}`);
  // The server says where it really listens: loopback, not every address.
  expect(output()).toContain(`workspace and webhooks listening on http://127.0.0.1:${common.WEBHOOK_PORT} `);
});

test('a WhatsApp send through the worker process is delivered, as the server process hears from Twilio', async () => {
  const result = await sendLiveChatMessage(
    harness.client,
    {
      liveChatId: ids.liveChat,
      channelId: ids.whatsapp,
      to: { contactId: ids.contact },
      text: 'Your order is ready.',
    },
    { taskQueue: harness.taskQueue, workflowId: `shape-send-${s}` },
  );
  expect(result.status).toBe('sent');
  await until(
    'the delivered callback',
    async () => (await db('messages').where({ id: result.messageId }).first())?.status === 'delivered',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output()}`);
  });
});

test('the server set the Telegram webhook on the stand-in, with its public URL', async () => {
  const settings = readEnvFile(envFile);
  const telegram = new Telegram(settings.TELEGRAM_BOT_TOKEN!, { apiRoot: settings.TELEGRAM_API_URL! });
  const info = await telegram.getWebhookInfo();
  expect(info.url).toBe(telegramWebhookUrl(settings.WEBHOOK_BASE_URL!, ids.telegram));
  expect(output()).toContain(`Telegram webhook set to ${info.url}`);
});

test('livechat channel test checks each channel through its SDK, and sends a test message when asked', async () => {
  const env = { ...common, ...readEnvFile(envFile) };
  const email = await runLivechat(env, ['channel', 'test', ids.email, '--send-to', 'admin@shop.example']);
  expect({ code: email.code, stderr: email.stderr }).toEqual({ code: 0, stderr: '' });
  expect(email.stdout).toMatch(
    /^ok: channel .* \(email\): SMTP server 127\.0\.0\.1:\d+ accepts our login; test message accepted/,
  );
  const whatsapp = await runLivechat(env, ['channel', 'test', ids.whatsapp, '--send-to', ids.phone]);
  expect({ code: whatsapp.code, stderr: whatsapp.stderr }).toEqual({ code: 0, stderr: '' });
  expect(whatsapp.stdout).toContain(`Twilio account ${env.TWILIO_ACCOUNT_SID!} at 127.0.0.1:`);
  expect(whatsapp.stdout).toMatch(/test message accepted \(SM[0-9a-f]{32}, queued\)/);

  // Wrong credentials and a chat the bot cannot write to: exit 1, the provider's answer, no secret.
  const wrongToken = await runLivechat({ ...env, TWILIO_AUTH_TOKEN: 'not-the-token' }, [
    'channel',
    'test',
    ids.whatsapp,
  ]);
  expect(wrongToken.code).toBe(1);
  expect(wrongToken.stderr).toMatch(
    /^ChannelCheckFailed: channel .* \(whatsapp\): Twilio at 127\.0\.0\.1:\d+: Authenticate/,
  );
  expect(wrongToken.stderr).not.toContain('not-the-token');
  const telegram = await runLivechat(env, ['channel', 'test', ids.telegram, '--send-to', '123456789']);
  expect(telegram.code).toBe(1);
  expect(telegram.stderr).toMatch(/^ChannelCheckFailed: channel .* \(telegram\): Telegram: .*chat not found/);
  expect(telegram.stderr + telegram.stdout).not.toContain(env.TELEGRAM_BOT_TOKEN!);
  const unknown = await runLivechat(env, ['channel', 'test', `nothing-${s}`]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/^ChannelNotFound/);
});

test('livechat doctor: every check passes; then it names the stopped provider, PostgreSQL and Temporal', async () => {
  const env = { ...common, ...readEnvFile(envFile) };
  const healthy = await runLivechat(env, ['doctor']);
  expect({ code: healthy.code, stdout: healthy.stdout }).toEqual({ code: 0, stdout: expect.any(String) });
  const lines = healthy.stdout.trim().split('\n');
  expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
  for (const check of [
    'configuration',
    'postgresql',
    'migrations',
    'temporal',
    'worker',
    'provider email',
    'provider whatsapp',
    'provider telegram',
    `channel ${ids.whatsapp}`,
    `channel ${ids.email}`,
    'telegram webhook',
  ])
    expect(lines.some((line) => line.startsWith(`ok    ${check}:`))).toBe(true);
  for (const secret of [env.TWILIO_AUTH_TOKEN!, env.TELEGRAM_BOT_TOKEN!, env.TELEGRAM_WEBHOOK_SECRET!])
    expect(healthy.stdout + healthy.stderr).not.toContain(secret);

  // The stand-ins stop: every provider fails, and the exit code says so.
  await stop(sandbox);
  const noProviders = await runLivechat(env, ['--json', 'doctor']);
  expect(noProviders.code).toBe(1);
  const report = JSON.parse(noProviders.stdout) as {
    ok: boolean;
    verdicts: { check: string; state: string }[];
  };
  expect(report.ok).toBe(false);
  const stateOf = (check: string) => report.verdicts.find((v) => v.check === check)?.state;
  expect(['provider email', 'provider whatsapp', 'provider telegram'].map(stateOf)).toEqual([
    'fail',
    'fail',
    'fail',
  ]);
  expect(['postgresql', 'temporal'].map(stateOf)).toEqual(['ok', 'ok']);

  // Nothing listens where PostgreSQL and Temporal are said to be.
  const [noDb, noTemporal] = await Promise.all([freePort(), freePort()]);
  const down = await runLivechat(
    {
      ...env,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${noDb}/livechat`,
      TEMPORAL_ADDRESS: `127.0.0.1:${noTemporal}`,
    },
    ['doctor'],
  );
  expect(down.code).toBe(1);
  expect(down.stdout).toMatch(
    new RegExp(`^FAIL  postgresql: cannot use PostgreSQL at 127\\.0\\.0\\.1:${noDb}/livechat`, 'm'),
  );
  expect(down.stdout).toMatch(
    new RegExp(`^FAIL  temporal: cannot use Temporal at 127\\.0\\.0\\.1:${noTemporal}`, 'm'),
  );
  expect(down.stdout).toMatch(/^skip {2}migrations: PostgreSQL is not reachable$/m);
  expect(down.stderr).toMatch(/^DoctorFoundProblems: /m);
});
