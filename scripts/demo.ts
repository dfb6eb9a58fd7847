/**
 * The main job on embedded defaults: starts PostgreSQL (or uses DATABASE_URL), a Temporal dev
 * server (or TEMPORAL_ADDRESS) and a worker; runs the order-ready business process, which waits for
 * the shop's "order ready" signal and then notifies the customer through Send Live Chat Message;
 * prints the chat history operators see, and exits 0.
 */
import { formatHistory, getHistory } from '../client/history';
import { demoConfig } from '../db/seeds/demo';
import { startLocalStack } from '../infra/local-stack';
import { RecordingAdapter } from '../sandbox/recording-adapter';
import { orderReadyNotification, orderReadySignal } from '../workflows';

async function run(): Promise<void> {
  const provider = new RecordingAdapter();
  const stack = await startLocalStack({
    channels: { email: provider, whatsapp: provider, telegram: provider },
    seed: demoConfig,
  });
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
      console.log(`Notified: message ${result.messageId} is ${result.status}.\n`);
      const history = await getHistory(stack.db, result.sessionId);
      if (history) console.log(formatHistory(history));
    });
  } finally {
    await stack.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
