/**
 * The main job on embedded defaults: starts PostgreSQL (or uses DATABASE_URL), a Temporal dev
 * server (or TEMPORAL_ADDRESS), the provider stand-ins and a worker whose real SDKs (nodemailer,
 * twilio, telegraf) talk to them; runs the order-ready business process, which waits for the shop's
 * "order ready" signal and then notifies the customer through Send Live Chat Message; prints what
 * the provider received and the chat history operators see, and exits 0.
 */
import { createChannelAdapters } from '../channels';
import { formatHistory, getHistory } from '../client/history';
import { demoConfig } from '../db/seeds/demo';
import { startLocalStack } from '../infra/local-stack';
import { loadProviderConfig } from '../infra/provider-config';
import { startSandbox } from '../sandbox/start-sandbox';
import { orderReadyNotification, orderReadySignal } from '../workflows';

async function run(): Promise<void> {
  const sandbox = await startSandbox();
  sandbox.telegram.knowChat('100200300', { first_name: 'Maria' });
  const channels = createChannelAdapters(loadProviderConfig({ ...process.env, ...sandbox.providers }));
  const stack = await startLocalStack({ channels: channels.adapters, seed: demoConfig });
  console.log(`PostgreSQL: ${stack.describe.postgres}\nTemporal:   ${stack.describe.temporal}\n`);
  try {
    await stack.worker.runUntil(async () => {
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
        const what = sent.contentSid
          ? `template ${sent.contentSid} ${sent.contentVariables ?? ''}`
          : sent.body;
        console.log(`WhatsApp (Twilio stand-in) received for ${sent.to}: ${what}\n`);
      }
      const history = await getHistory(stack.db, result.sessionId);
      if (history) console.log(formatHistory(history));
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
