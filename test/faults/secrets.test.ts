import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { sendLiveChatMessage } from '../../client';
import { applyConfig } from '../../db/apply-config';
import { loadProviderConfig, secretsOf } from '../../config/providers';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { telegramFaults } from '../../dev/sandbox/telegram-stand-in';
import { historyText } from '../support/history-text';
import { startHarness, type Harness } from '../support/harness';
import { reportFaultCase } from './support/fault-report';

let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let secrets: string[];
const s = randomUUID().slice(0, 8);
const chatId = String(300_000_000 + Math.floor(Math.random() * 100_000_000));

beforeAll(async () => {
  sandbox = await startSandbox();
  const providers = loadProviderConfig({
    ...sandbox.providers,
    TELEGRAM_WEBHOOK_SECRET: `webhook-${randomUUID()}`,
    EMAIL_WEBHOOK_SECRET: `mail-webhook-${randomUUID()}`,
  });
  // The payload encryption key (set by the global setup) is a secret too.
  const payloadKey = process.env.LIVECHAT_PAYLOAD_KEYS?.split(':')[1];
  secrets = [...secretsOf(providers), ...(payloadKey ? [payloadKey] : [])];
  channels = createChannelAdapters(providers);
  harness = await startHarness({ channels: channels.adapters });
  sandbox.telegram.knowChat(chatId, { first_name: 'Maria' });
  await applyConfig(harness.db, {
    liveChats: [
      {
        id: `secrets-${s}`,
        name: 'Support',
        channels: [
          {
            id: `secrets-email-${s}`,
            kind: 'email',
            name: 'Support',
            settings: { from: 'support@shop.example' },
          },
          {
            id: `secrets-whatsapp-${s}`,
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: '+14155550100', templateContentSid: 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
          },
          { id: `secrets-telegram-${s}`, kind: 'telegram', name: 'Bot' },
        ],
      },
    ],
    contacts: [
      {
        id: `secrets-maria-${s}`,
        name: 'Maria',
        accounts: [
          { kind: 'phone', value: '+4915123456789' },
          { kind: 'telegram', value: chatId },
        ],
        emails: [{ value: `maria.${s}@example.com` }],
      },
    ],
    telegramChats: [{ channelId: `secrets-telegram-${s}`, chatId }],
  });
});

afterAll(async () => {
  await harness.stop();
  await channels.close();
  await sandbox.stop();
});

test('no configured secret appears in any workflow history, even after provider errors', async () => {
  // Failures put provider error texts into histories: make each channel fail once, one for good.
  sandbox.smtp.faults.failNext(1, { code: 451, message: 'Try again later' });
  sandbox.telegram.faults.failNext(1, telegramFaults.connectionDropped());
  sandbox.twilio.faults.failNext(1, {
    status: 400,
    code: 21211,
    message: "The 'To' number is not a valid phone number.",
  });

  const send = (channel: string, id: string) =>
    sendLiveChatMessage(
      harness.client,
      {
        liveChatId: `secrets-${s}`,
        channelId: `secrets-${channel}-${s}`,
        to: { contactId: `secrets-maria-${s}` },
        text: 'Your order #1042 is ready.',
      },
      { taskQueue: harness.taskQueue, workflowId: id },
    );
  const ids = [`secrets-email-${s}`, `secrets-telegram-${s}`, `secrets-whatsapp-${s}`];
  const outcomes = await Promise.allSettled([
    send('email', ids[0]!),
    send('telegram', ids[1]!),
    send('whatsapp', ids[2]!),
  ]);

  // The two transient failures were retried and delivered; WhatsApp's 21211 failed for good.
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(WorkflowFailedError);

  expect(secrets.length).toBeGreaterThanOrEqual(6);
  let leaks = 0;
  for (const id of ids) {
    const history = await historyText(harness.client, id);
    expect(history).toContain('Your order #1042 is ready.');
    for (const secret of secrets) {
      if (history.includes(secret)) leaks++;
      expect({ id, leaked: history.includes(secret) }).toEqual({ id, leaked: false });
    }
  }
  reportFaultCase({
    case: 'secrets in histories',
    requests: ids.length,
    notes: `${secrets.length} secrets x ${ids.length} decrypted histories: ${leaks} found`,
  });
});
