import { randomUUID } from 'node:crypto';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { DispatchResult, PreparedMessage, PrepareMessageInput } from '../../activities';
import { cancelScheduledSend, sendOrSchedule, sendState } from '../../client/scheduled-send';
import { SendNotScheduled } from '../../domain/errors';
import type { DeliveryStatus, SendLiveChatMessageInput } from '../../domain/types';
import { CACHE_SETTINGS, connectStubWorld, recorded, type StubWorld } from './stub-world';

/**
 * Scheduled sends (Send Live Chat Message with `sendAt`, or held for the customer's quiet hours)
 * against the real Temporal server, with every activity stubbed: the workflow's own behaviour —
 * the durable wait, the cancel update, a cancel of the workflow — with no database behind it.
 */
let world: StubWorld;
beforeAll(async () => {
  world = await connectStubWorld();
});
afterAll(async () => world?.close());

const inSeconds = (s: number): string => new Date(Date.now() + s * 1000).toISOString();

const request = (change: Partial<SendLiveChatMessageInput> = {}): SendLiveChatMessageInput => ({
  liveChatId: 'lc-shop',
  channelId: 'ch-whatsapp',
  to: { contactId: 'c-maria' },
  text: 'Your order #1042 is ready for pickup.',
  ...change,
});

/**
 * The activities of a send: prepare records the message (held until `scheduledFor` when it says
 * so), dispatch hands it over, and a cancel marks it cancelled unless it has gone.
 */
function sendActivities(scheduledFor: (input: PrepareMessageInput) => string | undefined) {
  const messageId = `msg-${randomUUID()}`;
  let status: DeliveryStatus = 'pending';
  const stubs = recorded({
    prepareMessage: async (input: PrepareMessageInput): Promise<PreparedMessage> => {
      const held = scheduledFor(input);
      return {
        sessionId: 'sess-1',
        messageId,
        status: 'pending',
        sessionReused: false,
        channelKind: 'whatsapp',
        ...(held ? { scheduledFor: held } : {}),
      };
    },
    dispatchMessage: async (): Promise<DispatchResult> => {
      status = 'sent';
      return { status, providerMessageId: `SM-${messageId}` };
    },
    cancelScheduledMessage: async (): Promise<{ status: DeliveryStatus }> => {
      if (status === 'pending') status = 'cancelled';
      return { status };
    },
  });
  return { messageId, ...stubs };
}

describe.each(CACHE_SETTINGS)('scheduled sends, with $cache', ({ maxCachedWorkflows }) => {
  const options = { maxCachedWorkflows };

  test('with sendAt the message waits on a durable timer, then goes once', async () => {
    const sendAt = inSeconds(5);
    const { activities, calls, messageId } = sendActivities((input) => input.sendAt);
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `scheduled-${randomUUID()}`;
      const first = await sendOrSchedule(world.client, request({ sendAt }), { taskQueue, workflowId });
      expect(first).toEqual({
        kind: 'scheduled',
        state: { state: 'scheduled', messageId, scheduledFor: sendAt },
      });
      expect(calls.dispatchMessage).toBeUndefined();

      const result = await world.client.workflow.getHandle(workflowId).result();
      expect(result).toEqual({
        sessionId: 'sess-1',
        messageId,
        status: 'sent',
        sessionReused: false,
        scheduledFor: sendAt,
      });
      expect(calls.dispatchMessage).toEqual([{ messageId }]);
      expect(calls.cancelScheduledMessage).toBeUndefined();
      expect(calls.prepareMessage).toEqual([
        expect.objectContaining({ sendAt, idempotencyKey: `workflow:${workflowId}` }),
      ]);
    });
  });

  test("a message held for the customer's quiet hours waits until they end, then goes", async () => {
    // No sendAt: the prepare step found the customer in their quiet hours and holds the message.
    const quietUntil = inSeconds(5);
    const { activities, calls, messageId } = sendActivities(() => quietUntil);
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `quiet-${randomUUID()}`;
      const first = await sendOrSchedule(world.client, request(), { taskQueue, workflowId });
      expect(first).toMatchObject({ kind: 'scheduled', state: { scheduledFor: quietUntil } });
      expect(await sendState(world.client, workflowId)).toMatchObject({ state: 'scheduled', messageId });
      expect(calls.dispatchMessage).toBeUndefined();

      const result = await world.client.workflow.getHandle(workflowId).result();
      expect(result).toMatchObject({ messageId, status: 'sent', scheduledFor: quietUntil });
      expect(calls.dispatchMessage).toEqual([{ messageId }]);
    });
  });

  test('a cancel before its time marks the message cancelled, it never goes, and a second cancel is refused', async () => {
    const { activities, calls, messageId } = sendActivities((input) => input.sendAt);
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `cancel-before-${randomUUID()}`;
      await sendOrSchedule(world.client, request({ sendAt: inSeconds(3600) }), { taskQueue, workflowId });

      expect(await cancelScheduledSend(world.client, workflowId)).toMatchObject({
        state: 'done',
        status: 'cancelled',
        messageId,
      });
      const result = await world.client.workflow.getHandle(workflowId).result();
      expect(result).toMatchObject({ messageId, status: 'cancelled' });
      expect(calls.cancelScheduledMessage).toEqual([{ messageId }]);
      expect(calls.dispatchMessage).toBeUndefined();

      const again = cancelScheduledSend(world.client, workflowId);
      await expect(again).rejects.toBeInstanceOf(SendNotScheduled);
      await expect(again).rejects.toMatchObject({
        type: 'SendNotScheduled',
        details: { workflowId, status: 'cancelled' },
      });
      expect(calls.cancelScheduledMessage).toHaveLength(1);
    });
  });

  test('a cancel while the message is being sent is refused by the workflow with SendNotScheduled, and it goes', async () => {
    let release!: () => void;
    const handedOver = new Promise<void>((resolve) => (release = resolve));
    let dispatching!: () => void;
    const dispatchStarted = new Promise<void>((resolve) => (dispatching = resolve));
    const messageId = `msg-${randomUUID()}`;
    const { activities, calls } = recorded({
      prepareMessage: async (): Promise<PreparedMessage> => ({
        sessionId: 'sess-1',
        messageId,
        status: 'pending',
        sessionReused: false,
        channelKind: 'whatsapp',
      }),
      dispatchMessage: async (): Promise<DispatchResult> => {
        dispatching();
        await handedOver;
        return { status: 'sent', providerMessageId: 'SM-1' };
      },
      cancelScheduledMessage: async (): Promise<{ status: DeliveryStatus }> => ({ status: 'cancelled' }),
    });
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `cancel-sending-${randomUUID()}`;
      const handle = await world.client.workflow.start('sendLiveChatMessage', {
        taskQueue,
        workflowId,
        args: [request()],
      });
      await dispatchStarted;
      const refused = cancelScheduledSend(world.client, workflowId);
      await expect(refused).rejects.toBeInstanceOf(SendNotScheduled);
      await expect(refused).rejects.toMatchObject({ details: { workflowId, status: 'sending' } });
      release();
      expect(await handle.result()).toMatchObject({ messageId, status: 'sent' });
      expect(calls.cancelScheduledMessage).toBeUndefined();
    });
  });

  test('a cancel after the message went is refused with SendNotScheduled, naming what became of it', async () => {
    const { activities, calls, messageId } = sendActivities(() => undefined);
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `cancel-after-${randomUUID()}`;
      expect(await sendOrSchedule(world.client, request(), { taskQueue, workflowId })).toMatchObject({
        kind: 'sent',
        result: { messageId, status: 'sent' },
      });
      await expect(cancelScheduledSend(world.client, workflowId)).rejects.toMatchObject({
        type: 'SendNotScheduled',
        details: { workflowId, status: 'sent' },
      });
      expect(calls.cancelScheduledMessage).toBeUndefined();
      expect(calls.dispatchMessage).toEqual([{ messageId }]);
    });
  });

  test('a scheduled send whose workflow is cancelled (Temporal UI, handle.cancel) marks its message cancelled', async () => {
    const { activities, calls, messageId } = sendActivities((input) => input.sendAt);
    await world.run(activities, options, async (taskQueue) => {
      const workflowId = `wf-cancel-${randomUUID()}`;
      await sendOrSchedule(world.client, request({ sendAt: inSeconds(3600) }), { taskQueue, workflowId });
      const handle = world.client.workflow.getHandle(workflowId);
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(calls.cancelScheduledMessage).toEqual([{ messageId }]);
      expect(calls.dispatchMessage).toBeUndefined();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    });
  });
});
