/**
 * The dispatch lease of a live attempt: renewed (with a heartbeat to Temporal) while a slow provider
 * call runs, so another attempt cannot take the message meanwhile however long the call takes, and
 * a dead attempt's lease runs out soon after it stopped renewing.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelAdapter } from '../../channels/adapter';
import { dispatchMessage } from '../../activities/dispatch-message';
import { prepareMessage } from '../../activities/prepare-message';
import { leaseForDispatch } from '../../db/dispatch-lease';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

let harness: Harness;
let world: World;

beforeAll(async () => {
  harness = await startHarness({ workers: false });
  world = await createWorld(harness.db);
});
afterAll(() => harness.stop());

const leaseUntil = async (id: string): Promise<number> =>
  (
    (await harness.db('messages').where({ id }).first()) as { dispatch_lease_until: Date }
  ).dispatch_lease_until.getTime();

test('a provider call longer than the renewal interval keeps its lease, and a second attempt cannot take it', async () => {
  const { messageId } = await prepareMessage(
    harness.db,
    {
      liveChatId: world.liveChat,
      channelId: world.telegram,
      to: { contactId: world.maria },
      text: 'Your order #1042 is ready.',
      idempotencyKey: `lease-${randomUUID()}`,
      process: { workflowId: `lease-${randomUUID()}`, runId: randomUUID() },
    },
    new Date(),
  );
  let sends = 0;
  let release: () => void = () => undefined;
  const slow: ChannelAdapter = {
    send: async () => {
      sends++;
      await new Promise<void>((resolve) => (release = resolve));
      return { providerMessageId: 'slow-1' };
    },
  };
  let heartbeats = 0;
  const attempt = dispatchMessage(
    harness.db,
    { telegram: slow },
    messageId,
    () => new Date(),
    () => heartbeats++,
  );

  await new Promise((resolve) => setTimeout(resolve, 300));
  const first = await leaseUntil(messageId);
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  const renewed = await leaseUntil(messageId);
  // Another attempt finds the lease held: it does not get the message to send.
  expect(await leaseForDispatch(harness.db, messageId, 30_000)).toBeUndefined();
  release();
  await expect(attempt).resolves.toEqual({ status: 'sent', providerMessageId: 'slow-1' });

  expect(renewed).toBeGreaterThan(first);
  expect(heartbeats).toBeGreaterThanOrEqual(1);
  expect(sends).toBe(1);
});
