/**
 * The worker, the CLI and the server reach Temporal through a `temporal.toml` profile with the
 * environment on top of it (`@temporalio/envconfig`), as the `temporal` CLI does: the profile names
 * the test server's address and a namespace that does not exist; `TEMPORAL_NAMESPACE` overrides it.
 * Each process would fail if either the profile or the override were not read.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSendLiveChatMessage } from '../../client';
import { freePort } from '../../dev/free-port';
import type { Sandbox } from '../../dev/sandbox/start-sandbox';
import type { Harness } from '../support/harness';
import { providerWorld, receiptsOf } from '../support/provider-world';
import {
  killWorkerProcesses,
  startProcessWorld,
  startTestProcess,
  startWorkerProcess,
} from '../support/worker-process';

const ROOT = path.join(__dirname, '..', '..');
const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const world = providerWorld(1);
let dir: string;
let sandbox: Sandbox;
let harness: Harness;

/** No TEMPORAL_ADDRESS: the address comes from the profile, the namespace from the environment. */
function profileEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_CONFIG_FILE: path.join(dir, 'temporal.toml'),
    TEMPORAL_PROFILE: 'livechat-test',
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
    LOG_LEVEL: 'INFO',
  };
  delete env.TEMPORAL_ADDRESS;
  return env;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-profile-'));
  fs.writeFileSync(
    path.join(dir, 'temporal.toml'),
    [
      '[profile.default]',
      'address = "127.0.0.1:1"',
      '',
      '[profile.livechat-test]',
      `address = "${process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS}"`,
      'namespace = "no-such-namespace"',
      '',
    ].join('\n'),
  );
  ({ sandbox, harness } = await startProcessWorld(world, 0));
});

afterAll(async () => {
  await harness?.stop();
  await sandbox?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the worker process connects through the profile: a message sent on its queue is delivered once', async () => {
  const worker = startWorkerProcess({ ...profileEnv(), ...sandbox.providers });
  try {
    await worker.ready;
    expect(worker.output()).toContain(
      `connecting to ${process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS}, namespace default, profile livechat-test`,
    );
    const [request] = world.requests(1, 'Profile worker');
    const handle = await startSendLiveChatMessage(harness.client, request!.input, {
      taskQueue: harness.taskQueue,
      workflowId: request!.workflowId,
    });
    const result = await handle.result();
    expect(result.status).toBe('sent');
    expect(receiptsOf(sandbox).filter((r) => r.text === request!.text)).toHaveLength(1);
  } finally {
    await killWorkerProcesses([worker]);
  }
});

test('the CLI connects through the profile with the namespace from the environment', async () => {
  const worker = startWorkerProcess({ ...profileEnv(), ...sandbox.providers });
  try {
    await worker.ready;
    const contact = world.contacts[0]!;
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        tsx,
        [
          'cli/main.ts',
          '--json',
          'send',
          '--live-chat',
          world.liveChatId,
          '--channel',
          world.channelId('telegram'),
          '--contact',
          contact.id,
          '--text',
          'Sent from the CLI through a profile.',
        ],
        { cwd: ROOT, env: profileEnv(), timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(expect.objectContaining({ status: 'sent' }));
  } finally {
    await killWorkerProcesses([worker]);
  }
});

test('the server connects through the profile and says so', async () => {
  const port = await freePort();
  const server = startTestProcess(['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...profileEnv(), WEBHOOK_PORT: String(port) },
    readyLine: 'listening on',
  });
  try {
    await server.ready;
    expect(server.output()).toContain(
      `connecting to ${process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS}, namespace default, profile livechat-test`,
    );
    const unsigned = await fetch(`http://127.0.0.1:${port}/api/me`);
    expect(unsigned.status).toBe(401);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
