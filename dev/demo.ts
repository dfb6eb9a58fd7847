/**
 * The main job on embedded defaults: starts PostgreSQL (or uses DATABASE_URL), a Temporal dev
 * server (or TEMPORAL_ADDRESS), the provider stand-ins and a worker whose real SDKs (nodemailer,
 * twilio, telegraf) talk to them; runs the order-ready business process, which waits for the shop's
 * "order ready" signal and then notifies the customer through Send Live Chat Message; prints what
 * the provider received and the chat history operators see. Then it serves the operators' Live Chats
 * workspace and prints its address, until Ctrl-C (exit 0); with `--once` it exits right away. The
 * workspace's server also takes the Twilio stand-in's signed status callbacks, as `npm run server`
 * does in production, so delivery statuses move on in the history.
 */
import net from 'node:net';
import { createChannelAdapters } from '../channels';
import { formatHistory, getHistory } from '../client/history';
import { demoConfig } from './seeds/demo';
import { loadConfig } from '../config/environment';
import { freePort } from './free-port';
import { startLocalStack, type LocalStack } from './local-stack';
import { loadProviderConfig } from '../config/providers';
import { startSandbox, type Sandbox } from './sandbox/start-sandbox';
import { setOperatorPassword } from '../server/operators/passwords';
import { registerWorkspace } from '../server/operators/plugin';
import { createWebhookServer } from '../server/webhook-server';
import { twilioWebhookRoutes } from '../channels/whatsapp';
import { orderReadyNotification, orderReadySignal } from './workflows';

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
  // The stand-in's status callbacks (sent, delivered) reach our server; show the history after them.
  await sandbox.twilio.settled();
  const history = await getHistory(stack.db, result.sessionId);
  if (history) console.log(formatHistory(history));
}

/** The wanted port when it is free, else one that is: the adapters need the address before it listens. */
async function choosePort(wanted: number): Promise<number> {
  if (wanted === 0) return freePort();
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(wanted, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? wanted : freePort();
}

/** The workspace and the Twilio webhooks on one server, as `npm run server` composes them. */
async function startServer(stack: LocalStack, sandbox: Sandbox, port: number, address: string) {
  for (const operator of demoConfig.operators ?? []) {
    await setOperatorPassword(stack.db, operator.id, DEMO_PASSWORD);
  }
  const app = await createWebhookServer({ db: stack.db, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: sandbox.providers.TWILIO_AUTH_TOKEN ?? '', publicBaseUrl: address }),
  ]);
  await registerWorkspace(app, {
    db: stack.db,
    client: stack.client,
    taskQueue: stack.taskQueue,
    temporalUiUrl: loadConfig().TEMPORAL_UI_URL,
  });
  await app.listen({ host: '127.0.0.1', port });
  return app;
}

function untilCtrlC(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function run(): Promise<void> {
  const once = process.argv.includes('--once');
  const sandbox = await startSandbox();
  sandbox.telegram.knowChat('100200300', { first_name: 'Maria' });
  const port = await choosePort(loadConfig().LIVECHAT_WORKSPACE_PORT);
  const address = `http://127.0.0.1:${port}`;
  const channels = createChannelAdapters(
    loadProviderConfig({ ...process.env, ...sandbox.providers, WEBHOOK_BASE_URL: address }),
  );
  const stack = await startLocalStack({ channels: channels.adapters, seed: demoConfig });
  console.log(`PostgreSQL: ${stack.describe.postgres}\nTemporal:   ${stack.describe.temporal}\n`);
  const server = await startServer(stack, sandbox, port, address);
  try {
    await stack.worker.runUntil(async () => {
      await runOrderReady(stack, sandbox);
      if (once) return;
      console.log(
        `\nLive Chats workspace: ${address}\n` +
          `  sign in as anna (operator, online), boris (operator, offline) or sofia (supervisor),\n` +
          `  password "${DEMO_PASSWORD}". What you send goes to the local provider stand-ins.\n` +
          `  Ctrl-C stops everything.`,
      );
      await untilCtrlC();
      console.log('stopping...');
    });
  } finally {
    await server.close();
    await stack.stop();
    await channels.close();
    await sandbox.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
