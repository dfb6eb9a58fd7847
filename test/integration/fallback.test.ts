/**
 * Send With Fallback: channels in order of preference, the next tried when one cannot reach the
 * customer, every attempt in the result (and each one a child workflow with its own history); a
 * request wrong in itself is refused at once, and an empty list is refused before anything runs.
 */
import { randomUUID } from 'node:crypto';
import { PermanentDeliveryError } from '../../channels/adapter';
import { sendWithFallback } from '../../client';
import type { SendWithFallbackInput } from '../../domain/types';
import { countRows, createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

let harness: Harness;
let w: World;
let whatsappCalls = 0;

beforeAll(async () => {
  harness = await startHarness({
    channels: {
      // WhatsApp refuses everyone: the number is not on WhatsApp.
      whatsapp: {
        send: async () => {
          whatsappCalls++;
          throw new PermanentDeliveryError('The recipient is not a valid WhatsApp user', '63024');
        },
      },
    },
  });
  w = await createWorld(harness.db);
});
afterAll(() => harness.stop());

const send = (input: Omit<SendWithFallbackInput, 'liveChatId'>, workflowId = `fallback-${randomUUID()}`) =>
  sendWithFallback(
    harness.client,
    { liveChatId: w.liveChat, ...input },
    { taskQueue: harness.taskQueue, workflowId },
  );

test('WhatsApp refuses for good, so the message goes by Telegram; the refused one is in the history as failed', async () => {
  const calls = whatsappCalls;
  const result = await send({
    channels: [w.whatsapp, w.telegram],
    to: { contactId: w.maria },
    text: 'Your order #1042 is ready.',
  });

  expect(result).toMatchObject({ channelId: w.telegram, status: 'sent' });
  expect(result.attempts).toEqual([
    {
      channelId: w.whatsapp,
      outcome: 'refused',
      refusal: { type: 'DeliveryFailed', message: expect.stringContaining('not a valid WhatsApp user') },
      messageId: expect.any(String),
    },
    { channelId: w.telegram, outcome: 'sent', messageId: result.messageId },
  ]);
  expect(whatsappCalls - calls).toBe(1);
  const failed = await harness.db('messages').where({ id: result.attempts[0]!.messageId }).first();
  expect(failed).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('WhatsApp') });
  expect(harness.outbox.telegram.received.filter((m) => m.messageId === result.messageId)).toHaveLength(1);
});

test('channels the customer has no account on are skipped, with the reason, until one has', async () => {
  // Peter has only an email address.
  const result = await send({
    channels: [w.whatsapp, w.telegram, w.email],
    to: { contactId: w.peter },
    text: 'Your order #1042 is ready.',
    subject: 'Your order',
  });
  expect(result.channelId).toBe(w.email);
  expect(result.attempts.map((a) => [a.channelId, a.outcome, a.refusal?.type])).toEqual([
    [w.whatsapp, 'refused', 'ContactHasNoAccount'],
    [w.telegram, 'refused', 'ContactHasNoAccount'],
    [w.email, 'sent', undefined],
  ]);
});

test('when no channel reaches the customer the process fails with AllChannelsFailed, listing every attempt', async () => {
  const before = await countRows(harness.db);
  // Olga wrote to no bot and has no email.
  const refusal = await refusalOf(
    send({ channels: [w.telegram, w.email], to: { contactId: w.olga }, text: 'Your order #1042 is ready.' }),
  );
  expect(refusal).toMatchObject({ type: 'AllChannelsFailed', nonRetryable: true });
  expect(
    (refusal.details as { attempts: { channelId: string; refusal: { type: string } }[] }).attempts,
  ).toEqual([
    expect.objectContaining({
      channelId: w.telegram,
      refusal: expect.objectContaining({ type: 'TelegramChatUnknown' }),
    }),
    expect.objectContaining({
      channelId: w.email,
      refusal: expect.objectContaining({ type: 'ContactHasNoAccount' }),
    }),
  ]);
  expect(await countRows(harness.db)).toEqual(before);
});

test.each([
  ['an empty channel list', { channels: [] }, /give at least one channel/],
  ['a channel given twice', { channels: ['a', 'a'] }, /given twice/],
  ['six channels', { channels: ['a', 'b', 'c', 'd', 'e', 'f'] }, /at most 5/],
])('%s is refused with InvalidInput before any attempt', async (_name, change, message) => {
  const before = await countRows(harness.db);
  const refusal = await refusalOf(send({ to: { contactId: w.maria }, text: 'Hi', ...change }));
  expect(refusal).toMatchObject({ type: 'InvalidInput', message: expect.stringMatching(message) });
  expect(await countRows(harness.db)).toEqual(before);
});

test('a request wrong in itself (an unknown live chat) is refused at once, not tried on the next channels', async () => {
  const workflowId = `fallback-${randomUUID()}`;
  const refusal = await refusalOf(
    sendWithFallback(
      harness.client,
      {
        liveChatId: `no-such-${randomUUID()}`,
        channels: [w.telegram, w.email],
        to: { contactId: w.maria },
        text: 'Hi',
      },
      { taskQueue: harness.taskQueue, workflowId },
    ),
  );
  expect(refusal.type).toBe('LiveChatNotFound');
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  const children = (history.events ?? []).filter(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
  );
  expect(children).toHaveLength(1);
});

test('livechat send --fallback: the first channel that reaches the customer carries it, the others say why not', async () => {
  const env = {
    TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
    DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
    LIVECHAT_TASK_QUEUE: harness.taskQueue,
  };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    const { main } = await import('../../cli/main');
    const code = await main([
      'send',
      '--live-chat',
      w.liveChat,
      '--channel',
      w.whatsapp,
      '--fallback',
      w.telegram,
      '--contact',
      w.maria,
      '--text',
      'Your order #1042 is ready.',
    ]);
    expect(code).toBe(0);
  } finally {
    log.mockRestore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  expect(lines.join('\n')).toMatch(
    new RegExp(
      `^Sent to ${w.mariaTelegram} by ${w.telegram} in session .*: sent\\n  not by ${w.whatsapp}: DeliveryFailed: `,
    ),
  );
});
