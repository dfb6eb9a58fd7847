import { sendLiveChatMessage } from '../../client';
import { createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

const TELEGRAM_PER_SECOND = 4;
let harness: Harness;
let world: World;

beforeAll(async () => {
  harness = await startHarness({ rateLimits: { telegram: TELEGRAM_PER_SECOND } });
  world = await createWorld(harness.db);
});
afterAll(() => harness.stop());

/**
 * The most arrivals beyond what the rate allows, counted on the stand-in's own clock: by the k-th
 * arrival, `elapsed` seconds after the first, a limiter of `perSecond` may have let through at most
 * perSecond × (elapsed + 2) messages. Temporal's limiter is a token bucket that refills once a
 * second and may release a second's worth early, hence the 2 seconds of slack; an unlimited queue
 * delivers the whole burst at once and is caught.
 */
function arrivalsOverRate(times: number[], perSecond: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  return Math.max(0, ...sorted.map((t, k) => k + 1 - perSecond * ((t - first) / 1_000 + 2)));
}

test('a burst to one channel is held to its configured rate by Temporal', async () => {
  const burst = 20;
  const results = await Promise.all(
    Array.from({ length: burst }, (_, i) =>
      sendLiveChatMessage(
        harness.client,
        {
          liveChatId: world.liveChat,
          channelId: world.telegram,
          to: { contactId: world.maria },
          text: `Flash sale reminder ${i + 1}`,
        },
        { taskQueue: harness.taskQueue, workflowId: `burst-${world.maria}-${i}` },
      ),
    ),
  );

  expect(results.every((r) => r.status === 'sent')).toBe(true);
  expect(harness.outbox.telegram.received).toHaveLength(burst);
  expect(arrivalsOverRate(harness.outbox.telegram.receivedAt, TELEGRAM_PER_SECOND)).toBe(0);
});
