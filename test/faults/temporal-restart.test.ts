/**
 * The fault suite's "Temporal restarted": a dev server of this test's own, keeping its state in a
 * SQLite file, is stopped while messages are in flight and started again on the same port and file.
 * The worker and the client reconnect by themselves; every message must end up once in the history
 * and once at the providers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { applyConfig } from '../../db/apply-config';
import { freePort } from '../../dev/free-port';
import { loadProviderConfig } from '../../config/providers';
import { startTemporalDevServer, type TemporalServer } from '../../dev/temporal-server';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { startHarness, type Harness } from '../support/harness';
import { reportFaultCase } from './support/fault-report';
import {
  deliveredCount,
  knowTelegramChats,
  outcomeCounts,
  providerWorld,
  startAll,
  waitFor,
} from '../support/provider-world';

const MESSAGES = 60;
/** Stop the server once this many messages have reached the stand-ins. */
const STOP_AFTER = 15;

let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let server: TemporalServer | undefined;
let dir: string;
const world = providerWorld(10);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livechat-restart-'));
  sandbox = await startSandbox();
  // Slow answers keep messages in flight when the server goes away.
  for (const faults of [sandbox.twilio.faults, sandbox.telegram.faults, sandbox.smtp.faults])
    faults.latencyMs = 100;
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
});

afterAll(async () => {
  await harness?.stop();
  await server?.stop();
  await channels?.close();
  await sandbox?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test(`the Temporal server stopped and started with ${MESSAGES} messages in flight: none lost, none twice`, async () => {
  const options = { dbFile: path.join(dir, 'temporal.sqlite'), port: await freePort() };
  server = await startTemporalDevServer(options);
  harness = await startHarness({ channels: channels.adapters, temporalAddress: server.address });
  knowTelegramChats(sandbox, world);
  await applyConfig(harness.db, world.config);

  const requests = world.requests(MESSAGES, 'Restart run');
  await startAll(harness, requests);
  const delivered = () => deliveredCount(sandbox);
  await waitFor(`${STOP_AFTER} deliveries`, 60_000, () => delivered() >= STOP_AFTER);

  await server.stop();
  const atStop = delivered();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  server = await startTemporalDevServer(options);

  // Every workflow started before the stop finishes after the start, from the same file.
  const results = await Promise.all(
    requests.map((r) => harness.client.workflow.getHandle(r.workflowId).result()),
  );
  const { perRequest, counts } = await outcomeCounts(harness, sandbox, requests, results);
  reportFaultCase({
    case: 'Temporal restarted (dev server, SQLite file)',
    requests: MESSAGES,
    ...counts,
    notes: `stopped after ${atStop} deliveries, down 2 s`,
  });

  expect(atStop).toBeLessThan(MESSAGES);
  expect(results.every((r) => r.status === 'sent')).toBe(true);
  expect(counts.inHistory).toBe(MESSAGES);
  expect(perRequest).toEqual(requests.map(() => 1));
});
