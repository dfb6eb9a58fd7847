/**
 * Records one history of each workflow into test/replay/histories/, for the replay test that
 * guards against non-deterministic changes to workflow code. Run after a deliberate, compatible
 * change to a workflow (`npm run record:histories`), and commit the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { demoConfig } from '../db/seeds/demo';
import { startLocalStack } from '../infra/local-stack';
import { RecordingAdapter } from '../sandbox/recording-adapter';
import {
  initiateSession,
  operatorReply,
  orderReadyNotification,
  orderReadySignal,
  sendLiveChatMessage,
  sendWithFallback,
} from '../workflows';

const OUT = path.join(__dirname, '..', 'test', 'replay', 'histories');

async function run(): Promise<void> {
  const provider = new RecordingAdapter();
  const stack = await startLocalStack({
    channels: { email: provider, whatsapp: provider, telegram: provider },
    seed: demoConfig,
  });
  const base = { taskQueue: stack.taskQueue };
  // Replay needs each history's workflow id (a child's id is derived from it): keep them in index.json.
  const index: Record<string, string> = {};
  const save = async (name: string, handle: WorkflowHandle): Promise<void> => {
    index[`${name}.json`] = handle.workflowId;
    await handle.result().catch((error: unknown) => {
      if (!(error instanceof WorkflowFailedError)) throw error;
    });
    fs.writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(await handle.fetchHistory()));
    console.log(`recorded ${name}`);
  };
  try {
    await stack.worker.runUntil(async () => {
      fs.mkdirSync(OUT, { recursive: true });
      await save(
        'send-live-chat-message',
        await stack.client.workflow.start(sendLiveChatMessage, {
          ...base,
          workflowId: 'replay-send',
          args: [
            {
              liveChatId: 'tech-support',
              channelId: 'support-email',
              to: { contactId: 'maria' },
              subject: 'Your invoice',
              text: 'Invoice #77 is ready.',
            },
          ],
        }),
      );
      await save(
        'send-live-chat-message-refused',
        await stack.client.workflow.start(sendLiveChatMessage, {
          ...base,
          workflowId: 'replay-send-refused',
          args: [
            {
              liveChatId: 'tech-support',
              channelId: 'support-whatsapp',
              to: { account: '015123456789' },
              text: 'Hello',
            },
          ],
        }),
      );
      const initiated = await stack.client.workflow.start(initiateSession, {
        ...base,
        workflowId: 'replay-initiate',
        args: [
          {
            liveChatId: 'tech-support',
            operatorId: 'anna',
            channelId: 'support-whatsapp',
            customer: { contactId: 'james' },
            firstMessage: 'Hi James, Anna from Tech Support here.',
          },
        ],
      });
      await save('initiate-session', initiated);
      await save(
        'operator-reply',
        await stack.client.workflow.start(operatorReply, {
          ...base,
          workflowId: 'replay-operator-reply',
          args: [
            {
              sessionId: (await initiated.result()).sessionId,
              operatorId: 'anna',
              text: 'Is there anything else I can help with?',
            },
          ],
        }),
      );
      const order = await stack.client.workflow.start(orderReadyNotification, {
        ...base,
        workflowId: 'replay-order-ready',
        args: [
          {
            orderNumber: '1042',
            liveChatId: 'tech-support',
            channelId: 'support-telegram',
            customer: { contactId: 'maria' },
          },
        ],
      });
      await order.signal(orderReadySignal, { store: 'our Berlin store' });
      await save('order-ready', order);
      await save(
        'order-ready-child',
        stack.client.workflow.getHandle('replay-order-ready/notify/order-ready'),
      );
      // James has no Telegram account: the first channel is refused, the second carries it.
      await save(
        'send-with-fallback',
        await stack.client.workflow.start(sendWithFallback, {
          ...base,
          workflowId: 'replay-fallback',
          args: [
            {
              liveChatId: 'tech-support',
              channels: ['support-telegram', 'support-whatsapp'],
              to: { contactId: 'james' },
              text: 'Your order #1042 is ready.',
            },
          ],
        }),
      );
      fs.writeFileSync(path.join(OUT, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
    });
  } finally {
    await stack.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
