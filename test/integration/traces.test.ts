import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { sendLiveChatMessage } from '../../client';
import { liveChatDataConverter } from '../../codec/data-converter';
import { loadProviderConfig } from '../../config/providers';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { startTracing, telemetryClientInterceptors, type Tracing } from '../../infra/telemetry';
import { createWorkers, type LiveChatWorkers } from '../../worker/create-worker';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

/**
 * Traces as production records them (infra/telemetry.ts), into an in-memory exporter: a worker with
 * the telemetry interceptors, bundling the product's workflows with the tracing workflow module, and
 * a client whose start begins the trace; the real Telegram adapter against the Bot API stand-in.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let world: World;
let connection: NativeConnection;
let workers: LiveChatWorkers;
let running: Promise<void>;
let client: Client;

beforeAll(async () => {
  tracing = startTracing('livechat-test', new SimpleSpanProcessor(exporter));
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  harness = await startHarness({ workers: false });
  world = await createWorld(harness.db);
  sandbox.telegram.knowChat(world.mariaTelegram, { first_name: 'Maria' });
  connection = await NativeConnection.connect({ address: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS! });
  workers = await createWorkers({
    connection,
    namespace: 'default',
    taskQueue: harness.taskQueue,
    activities: createActivities({ db: harness.db, channels: channels.adapters }),
    workflowsPath: require.resolve('../../workflows'),
    dataConverter: liveChatDataConverter(),
    tracing,
  });
  running = workers.run();
  client = new Client({
    connection: harness.client.connection,
    namespace: 'default',
    dataConverter: liveChatDataConverter(),
    interceptors: telemetryClientInterceptors(),
  });
});

afterAll(async () => {
  workers?.shutdown();
  await running;
  await connection?.close();
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
  await tracing?.shutdown();
  // Leave no global tracer behind for the next file in this process.
  trace.disable();
  context.disable();
  propagation.disable();
});

/** The spans of one trace once `names` are all there (workflow spans arrive through a sink). */
async function traceWith(workflowId: string, names: string[]): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    const start = spans.find(
      (span) =>
        span.name === 'StartWorkflow:sendLiveChatMessage' &&
        span.attributes.temporalWorkflowId === workflowId,
    );
    const traceId = start?.spanContext().traceId;
    const inTrace = traceId ? spans.filter((span) => span.spanContext().traceId === traceId) : [];
    if (names.every((name) => inTrace.some((span) => span.name === name))) return inTrace;
    if (Date.now() > deadline)
      throw new Error(`no trace with ${names.join(', ')}; spans: ${spans.map((s) => s.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function send(text: string, workflowId: string) {
  return sendLiveChatMessage(
    client,
    { liveChatId: world.liveChat, channelId: world.telegram, to: { contactId: world.maria }, text },
    { taskQueue: harness.taskQueue, workflowId },
  );
}

test("one send's trace holds the client's start, the workflow, both activities and the provider's call", async () => {
  const workflowId = `traced-${world.maria}`;
  const result = await send('Your order #1042 is ready.', workflowId);
  expect(result.status).toBe('sent');

  const spans = await traceWith(workflowId, [
    'StartWorkflow:sendLiveChatMessage',
    'RunWorkflow:sendLiveChatMessage',
    'RunActivity:prepareMessage',
    'RunActivity:dispatchMessage',
    'provider send telegram',
  ]);
  const byName = (name: string) => spans.find((span) => span.name === name)!;
  // The provider's call is a child of the dispatch activity's span, not a trace of its own.
  expect(byName('provider send telegram').parentSpanId).toBe(
    byName('RunActivity:dispatchMessage').spanContext().spanId,
  );
  expect(byName('provider send telegram').attributes).toEqual({
    'livechat.channel': 'telegram',
    'livechat.message_id': result.messageId,
  });
  expect(spans.every((span) => span.resource.attributes['service.name'] === 'livechat-test')).toBe(true);
});

test("a refusal's trace marks the provider's call failed, without the chat id the provider quoted", async () => {
  sandbox.telegram.faults.failNext(1, {
    errorCode: 403,
    description: `Forbidden: bot was blocked by the user ${world.mariaTelegram}`,
  });
  const workflowId = `traced-refusal-${world.maria}`;
  await expect(send('Your parcel is delayed.', workflowId)).rejects.toThrow();

  const spans = await traceWith(workflowId, ['RunActivity:dispatchMessage', 'provider send telegram']);
  const providerCall = spans.find((span) => span.name === 'provider send telegram')!;
  expect(providerCall.attributes).toEqual(
    expect.objectContaining({ 'livechat.outcome': 'refused', 'livechat.provider_code': '403' }),
  );
  const dispatch = spans.find((span) => span.name === 'RunActivity:dispatchMessage')!;
  expect(dispatch.status.message).toMatch(/refused/);
  const everything = JSON.stringify(
    spans.map((span) => ({ attributes: span.attributes, status: span.status, events: span.events })),
  );
  expect(everything).not.toContain(world.mariaTelegram);
  expect(everything).not.toContain('Your parcel is delayed.');
});
