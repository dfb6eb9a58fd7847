import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DispatchResult, PreparedMessage, PrepareMessageInput } from '../../activities';
import { asProcessFailure } from '../../activities/failures';
import { applicationFailureOf } from '../../client/failure';
import { sendWithFallback } from '../../client/send-with-fallback';
import {
  ContactHasNoAccount,
  DeliveryFailed,
  InvalidInput,
  LiveChatNotFound,
  TelegramChatUnknown,
  type LiveChatError,
} from '../../domain/errors';
import type { ChannelKind, SendWithFallbackInput } from '../../domain/types';
import { CACHE_SETTINGS, connectStubWorld, recorded, type StubWorld } from './stub-world';

/**
 * Send With Fallback against the real Temporal server with every activity stubbed: which refusals
 * move on to the next channel, which stop at once, and what the process reports when none reached
 * the customer. Each attempt is a child Send Live Chat Message, as in production.
 */
let world: StubWorld;
beforeAll(async () => {
  world = await connectStubWorld();
});
afterAll(async () => world?.close());

/** What each channel does with the message: refuses it in prepare, refuses it at the provider, or takes it. */
type ChannelBehaviour =
  | { kind: ChannelKind; prepare: (input: PrepareMessageInput) => LiveChatError }
  | { kind: ChannelKind; provider: 'refuses' | 'takes' };

function fallbackActivities(channels: Record<string, ChannelBehaviour>) {
  const messages = new Map<string, string>();
  return recorded({
    // As the real activities do, our errors leave a step as its ApplicationFailure (asProcessFailure).
    prepareMessage: (input: PrepareMessageInput): Promise<PreparedMessage> =>
      asProcessFailure(async () => {
        const channel = channels[input.channelId ?? ''];
        if (!channel) throw new Error(`the test gave no behaviour for channel ${input.channelId}`);
        if ('prepare' in channel) throw channel.prepare(input);
        const messageId = `msg-${input.channelId}-${randomUUID()}`;
        messages.set(messageId, input.channelId ?? '');
        return {
          sessionId: `sess-${input.channelId}`,
          messageId,
          status: 'pending',
          sessionReused: false,
          channelKind: channel.kind,
        };
      }),
    dispatchMessage: (input: { messageId: string }): Promise<DispatchResult> =>
      asProcessFailure(async () => {
        const channel = channels[messages.get(input.messageId) ?? ''];
        if (channel && 'provider' in channel && channel.provider === 'takes')
          return { status: 'sent', providerMessageId: `provider-${input.messageId}` };
        throw new DeliveryFailed({
          messageId: input.messageId,
          sessionId: 'sess',
          reason: 'invalid number',
          providerCode: '21211',
        });
      }),
  });
}

const request = (channels: string[], change: Partial<SendWithFallbackInput> = {}): SendWithFallbackInput => ({
  liveChatId: 'lc-shop',
  channels,
  to: { contactId: 'c-olga' },
  text: 'Your order #1042 is ready for pickup.',
  ...change,
});

/** The failure the workflow ended with (the first ApplicationFailure of its cause chain). */
async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  const failure = applicationFailureOf(error);
  if (!failure)
    throw new Error(`expected the workflow to fail with an ApplicationFailure, got ${String(error)}`);
  return failure;
}

const noTelegramChat = () => new TelegramChatUnknown({ chatId: '42', channelId: 'tg' });
const noEmail = () => new ContactHasNoAccount({ contactId: 'c-olga', accountKind: 'email' });

describe.each(CACHE_SETTINGS)('send with fallback, with $cache', ({ maxCachedWorkflows }) => {
  const options = { maxCachedWorkflows };

  test('a channel that cannot reach the customer moves on to the next, until one delivers', async () => {
    const { activities, calls } = fallbackActivities({
      tg: { kind: 'telegram', prepare: noTelegramChat },
      mail: { kind: 'email', prepare: noEmail },
      wa: { kind: 'whatsapp', provider: 'takes' },
    });
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `fallback-${randomUUID()}`;
      const result = await sendWithFallback(
        world.client,
        request(['tg', 'mail', 'wa'], { idempotencyKey: `order-1042-${workflowId}` }),
        { taskQueue, workflowId },
      );
      const sent = calls.dispatchMessage?.[0]?.messageId;
      expect(result).toMatchObject({
        channelId: 'wa',
        status: 'sent',
        messageId: sent,
        sessionId: 'sess-wa',
      });
      expect(result.attempts).toEqual([
        {
          channelId: 'tg',
          outcome: 'refused',
          refusal: { type: 'TelegramChatUnknown', message: noTelegramChat().message },
        },
        {
          channelId: 'mail',
          outcome: 'refused',
          refusal: { type: 'ContactHasNoAccount', message: noEmail().message },
        },
        { channelId: 'wa', outcome: 'sent', messageId: sent },
      ]);
      // One child per attempt, each with an idempotency key of its own derived from the caller's.
      expect(calls.prepareMessage?.map((p) => [p.channelId, p.idempotencyKey, p.process.workflowId])).toEqual(
        [1, 2, 3].map((n, i) => [
          ['tg', 'mail', 'wa'][i],
          `order-1042-${workflowId}/attempt-${n}`,
          `${workflowId}/attempt-${n}`,
        ]),
      );
      expect(calls.dispatchMessage).toHaveLength(1);
    });
  });

  test("a provider's refusal (DeliveryFailed) moves on too, and the attempt keeps its failed message", async () => {
    const { activities, calls } = fallbackActivities({
      wa: { kind: 'whatsapp', provider: 'refuses' },
      mail: { kind: 'email', provider: 'takes' },
    });
    await world.run(activities, options, async (taskQueue) => {
      const result = await sendWithFallback(world.client, request(['wa', 'mail']), {
        taskQueue,
        workflowId: `fallback-${randomUUID()}`,
      });
      const [refused, sent] = (calls.dispatchMessage ?? []).map((d) => d.messageId);
      expect(result).toMatchObject({ channelId: 'mail', messageId: sent, status: 'sent' });
      expect(result.attempts).toEqual([
        {
          channelId: 'wa',
          outcome: 'refused',
          refusal: { type: 'DeliveryFailed', message: expect.stringContaining('invalid number') },
          messageId: refused,
        },
        { channelId: 'mail', outcome: 'sent', messageId: sent },
      ]);
      // A refusal is final: the refused dispatch was not retried.
      expect(calls.dispatchMessage).toHaveLength(2);
    });
  });

  test.each([
    ['an unknown live chat', () => new LiveChatNotFound({ liveChatId: 'lc-shop' })],
    ['a text that is missing', () => new InvalidInput({ path: 'text', message: 'is required' })],
  ])(
    'a request wrong in itself (%s) is refused at once, not tried on the next channels',
    async (_, refusal) => {
      const { activities, calls } = fallbackActivities({
        wa: { kind: 'whatsapp', prepare: refusal },
        mail: { kind: 'email', provider: 'takes' },
      });
      await world.run(activities, options, async (taskQueue) => {
        const failure = await failureOf(
          sendWithFallback(world.client, request(['wa', 'mail']), {
            taskQueue,
            workflowId: `fallback-${randomUUID()}`,
          }),
        );
        const expected = refusal();
        expect(failure).toMatchObject({ type: expected.type, message: expected.message, nonRetryable: true });
        expect(failure.details).toEqual([expected.details]);
        expect(calls.prepareMessage?.map((p) => p.channelId)).toEqual(['wa']);
        expect(calls.dispatchMessage).toBeUndefined();
      });
    },
  );

  test.each([
    ['no channel', request([]), { path: 'channels', message: 'give at least one channel' }],
    [
      'a channel given twice',
      request(['wa', 'wa']),
      { path: 'channels', message: 'a channel is given twice' },
    ],
    [
      'a session as the recipient',
      request(['wa'], { to: { sessionId: '0b9e6c1e-3f7e-4c1b-9c44-5b1f7a0e2d11' } }),
      { path: 'to', message: 'a fallback sends to a contact or an account; a session has one channel' },
    ],
    ['an input that is not an object', null, { path: '', message: 'expected an object' }],
  ])('%s is refused with InvalidInput and its issues, before any attempt', async (_, input, issue) => {
    const { activities, calls } = fallbackActivities({ wa: { kind: 'whatsapp', provider: 'takes' } });
    await world.run(activities, options, async (taskQueue) => {
      const failure = await failureOf(
        world.client.workflow.execute('sendWithFallback', {
          taskQueue,
          workflowId: `fallback-${randomUUID()}`,
          args: [input],
        }),
      );
      expect(failure).toMatchObject({
        type: 'InvalidInput',
        message: new InvalidInput(issue).message,
        nonRetryable: true,
      });
      expect(failure.details).toEqual([{ issues: [issue] }]);
      expect(calls).toEqual({});
    });
  });

  test('when no channel reaches the customer the process fails with AllChannelsFailed, listing every attempt', async () => {
    const { activities, calls } = fallbackActivities({
      tg: { kind: 'telegram', prepare: noTelegramChat },
      wa: { kind: 'whatsapp', provider: 'refuses' },
      mail: { kind: 'email', prepare: noEmail },
    });
    await world.run(activities, options, async (taskQueue) => {
      const failure = await failureOf(
        sendWithFallback(world.client, request(['tg', 'wa', 'mail']), {
          taskQueue,
          workflowId: `fallback-${randomUUID()}`,
        }),
      );
      const refused = calls.dispatchMessage?.[0]?.messageId;
      expect(failure).toMatchObject({
        type: 'AllChannelsFailed',
        nonRetryable: true,
        message:
          'None of the 3 channels reached the customer: tg (TelegramChatUnknown), wa (DeliveryFailed), mail (ContactHasNoAccount).',
      });
      expect(failure.details).toEqual([
        {
          attempts: [
            {
              channelId: 'tg',
              outcome: 'refused',
              refusal: { type: 'TelegramChatUnknown', message: noTelegramChat().message },
            },
            {
              channelId: 'wa',
              outcome: 'refused',
              refusal: { type: 'DeliveryFailed', message: expect.any(String) },
              messageId: refused,
            },
            {
              channelId: 'mail',
              outcome: 'refused',
              refusal: { type: 'ContactHasNoAccount', message: noEmail().message },
            },
          ],
        },
      ]);
    });
  });
});
