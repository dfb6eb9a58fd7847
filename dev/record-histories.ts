/**
 * Records one history of each workflow into test/replay/histories/, for the replay test that
 * guards against non-deterministic changes to workflow code. Histories already recorded are kept:
 * recorded by older code, they are what proves new code still replays them. `npm run
 * record:histories` records the missing ones; `-- --again` records all of them anew.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { demoConfig } from './seeds/demo';
import { startLocalStack } from './local-stack';
import { RecordingAdapter } from './sandbox/recording-adapter';
import {
  bulkNotify,
  initiateSession,
  operatorReply,
  orderReadyNotification,
  orderReadySignal,
  sendLiveChatMessage,
  sendWithFallback,
} from './workflows';
import { cancelBulkUpdate } from '../workflows/bulk-notify-messages';
import { cancelScheduledSendUpdate } from '../workflows/scheduled-send';

const OUT = path.join(__dirname, '..', 'test', 'replay', 'histories');

async function run(): Promise<void> {
  const provider = new RecordingAdapter();
  const stack = await startLocalStack({
    channels: { email: provider, whatsapp: provider, telegram: provider },
    seed: demoConfig,
  });
  const base = { taskQueue: stack.taskQueue };
  // Replay needs each history's workflow id (a child's id is derived from it): keep them in index.json.
  const indexFile = path.join(OUT, 'index.json');
  const again = process.argv.includes('--again');
  const index: Record<string, string> =
    !again && fs.existsSync(indexFile)
      ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as Record<string, string>)
      : {};
  /** Whether `name` is to be recorded this time; when not, its workflow is not even started. */
  const wanted = (name: string): boolean => again || !fs.existsSync(path.join(OUT, `${name}.json`));
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
      // Recorded by older code and kept (see the header): anew only with --again, or if one is missing.
      if (
        [
          'send-live-chat-message',
          'send-live-chat-message-refused',
          'initiate-session',
          'operator-reply',
          'order-ready',
          'order-ready-child',
          'send-with-fallback',
        ].some(wanted)
      ) {
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
      }
      if (wanted('bulk-notify')) {
        // Two recipients, the first run of the process (one page, no continue-as-new).
        await save(
          'bulk-notify',
          await stack.client.workflow.start(bulkNotify, {
            ...base,
            workflowId: 'replay-bulk',
            args: [
              {
                liveChatId: 'tech-support',
                channelId: 'support-whatsapp',
                audience: { recipients: [{ contactId: 'maria' }, { contactId: 'james' }] },
                text: 'Our shop is closed on Monday.',
              },
            ],
          }),
        );
      }
      if (wanted('send-live-chat-message-scheduled')) {
        await save(
          'send-live-chat-message-scheduled',
          await stack.client.workflow.start(sendLiveChatMessage, {
            ...base,
            workflowId: 'replay-send-scheduled',
            args: [
              {
                liveChatId: 'tech-support',
                channelId: 'support-whatsapp',
                to: { contactId: 'maria' },
                text: 'Your appointment is tomorrow at 10:00.',
                sendAt: new Date(Date.now() + 2_000).toISOString(),
              },
            ],
          }),
        );
      }
      if (wanted('send-live-chat-message-cancelled')) {
        const scheduled = await stack.client.workflow.start(sendLiveChatMessage, {
          ...base,
          workflowId: 'replay-send-cancelled',
          args: [
            {
              liveChatId: 'tech-support',
              channelId: 'support-whatsapp',
              to: { contactId: 'maria' },
              text: 'A reminder that is cancelled.',
              sendAt: new Date(Date.now() + 3_600_000).toISOString(),
            },
          ],
        });
        // Wait until it is scheduled (the update is refused while the message is being recorded).
        for (;;) {
          const state = await scheduled.query<{ state: string }>('sendState').catch(() => undefined);
          if (state?.state === 'scheduled') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await scheduled.executeUpdate(cancelScheduledSendUpdate);
        await save('send-live-chat-message-cancelled', scheduled);
      }
      if (wanted('bulk-notify-held-cancelled')) {
        // Quiet hours all day but a minute, in every customer's time zone: both recipients are held;
        // the bulk waits for them, and is cancelled while it waits.
        await stack
          .db('live_chats')
          .where({ id: 'tech-support' })
          .update({
            quiet_hours: JSON.stringify({ start: '00:00', end: '23:59' }),
            time_zone: 'UTC',
          });
        const bulk = await stack.client.workflow.start(bulkNotify, {
          ...base,
          workflowId: 'replay-bulk-held',
          args: [
            {
              liveChatId: 'tech-support',
              channelId: 'support-whatsapp',
              audience: { recipients: [{ contactId: 'maria' }, { contactId: 'james' }] },
              text: 'Our shop opens at 9:00 tomorrow.',
            },
          ],
        });
        for (;;) {
          const progress = await bulk.query<{ state: string }>('bulkProgress').catch(() => undefined);
          if (progress?.state === 'waiting') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await bulk.executeUpdate(cancelBulkUpdate);
        await save('bulk-notify-held-cancelled', bulk);
        await stack.db('live_chats').where({ id: 'tech-support' }).update({ quiet_hours: null });
      }
      fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 2)}\n`);
    });
  } finally {
    await stack.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
