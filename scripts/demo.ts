/**
 * The main job on embedded defaults: starts PostgreSQL (or uses DATABASE_URL), a Temporal dev
 * server (or TEMPORAL_ADDRESS), the provider stand-ins and a worker whose real SDKs (nodemailer,
 * twilio, telegraf) talk to them; runs the order-ready business process, which waits for the shop's
 * "order ready" signal and then notifies the customer through Send Live Chat Message; prints what
 * the provider received and the chat history operators see. Then it serves the operators' Live Chats
 * workspace and prints its address, until Ctrl-C (exit 0); with `--once` it exits right away.
 */
import type { FastifyInstance } from 'fastify';
import { createChannelAdapters } from '../channels';
import { formatHistory, getHistory } from '../client/history';
import { demoConfig } from '../db/seeds/demo';
import { loadConfig } from '../infra/config';
import { startLocalStack, type LocalStack } from '../infra/local-stack';
import { loadProviderConfig } from '../infra/provider-config';
import { startSandbox, type Sandbox } from '../sandbox/start-sandbox';
import { setOperatorPassword } from '../server/operators/passwords';
import { createWorkspaceServer } from '../server/workspace-server';
import { orderReadyNotification, orderReadySignal } from '../workflows';

/** Every demo operator's password: the demo runs on loopback only, with made-up people. */
const DEMO_PASSWORD = 'demo-password';

async function runOrderReady(stack: LocalStack, sandbox: Sandbox): Promise<void> {
  const order = await stack.client.workflow.start(orderReadyNotification, {
    taskQueue: stack.taskQueue,
    workflowId: `order-1042-${Date.now()}`,
    args: [
      {
        orderNumber: '1042',
        liveChatId: 'tech-support',
        channelId: 'support-whatsapp',
        customer: { contactId: 'maria' },
      },
    ],
  });
  console.log(`Order process ${order.workflowId} is waiting for the order to be ready...`);
  await order.signal(orderReadySignal, { store: 'our Berlin store' });
  const result = await order.result();
  console.log(`Notified: message ${result.messageId} is ${result.status}.`);
  for (const sent of sandbox.twilio.received) {
    const what = sent.contentSid ? `template ${sent.contentSid} ${sent.contentVariables ?? ''}` : sent.body;
    console.log(`WhatsApp (Twilio stand-in) received for ${sent.to}: ${what}\n`);
  }
  const history = await getHistory(stack.db, result.sessionId);
  if (history) console.log(formatHistory(history));
}

/** Listens on the wanted port, or on a free one when something else has it. */
async function listen(app: FastifyInstance, port: number): Promise<string> {
  try {
    return await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return app.listen({ host: '127.0.0.1', port: 0 });
  }
}

async function serveWorkspace(stack: LocalStack): Promise<void> {
  for (const operator of demoConfig.operators ?? []) {
    await setOperatorPassword(stack.db, operator.id, DEMO_PASSWORD);
  }
  const config = loadConfig();
  const app = await createWorkspaceServer({
    db: stack.db,
    client: stack.client,
    taskQueue: stack.taskQueue,
    temporalUiUrl: config.TEMPORAL_UI_URL,
  });
  const address = await listen(app, config.LIVECHAT_WORKSPACE_PORT);
  console.log(
    `\nLive Chats workspace: ${address}\n` +
      `  sign in as anna (operator, online), boris (operator, offline) or sofia (supervisor),\n` +
      `  password "${DEMO_PASSWORD}". What you send goes to the local provider stand-ins.\n` +
      `  Ctrl-C stops everything.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping...');
  await app.close();
}

async function run(): Promise<void> {
  const once = process.argv.includes('--once');
  const sandbox = await startSandbox();
  sandbox.telegram.knowChat('100200300', { first_name: 'Maria' });
  const channels = createChannelAdapters(loadProviderConfig({ ...process.env, ...sandbox.providers }));
  const stack = await startLocalStack({ channels: channels.adapters, seed: demoConfig });
  console.log(`PostgreSQL: ${stack.describe.postgres}\nTemporal:   ${stack.describe.temporal}\n`);
  try {
    await stack.worker.runUntil(async () => {
      await runOrderReady(stack, sandbox);
      if (!once) await serveWorkspace(stack);
    });
  } finally {
    await stack.stop();
    await channels.close();
    await sandbox.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
