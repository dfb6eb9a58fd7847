/**
 * The fault suite's "provider flaky": the real nodemailer, twilio and telegraf adapters against the
 * stand-ins, with 30% of calls answered by a transient error (5xx, 429 with Retry-After, SMTP 4xx),
 * chosen by a seeded generator. Every message must be delivered, exactly once, with the retries
 * visible in Temporal's history as later attempts of the dispatch step.
 */
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { startSendLiveChatMessage } from '../../client';
import { applyConfig } from '../../db/apply-config';
import { loadProviderConfig } from '../../config/providers';
import { seededRandom } from '../../dev/sandbox/faults';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { telegramFaults } from '../../dev/sandbox/telegram-stand-in';
import { startHarness, type Harness } from '../support/harness';
import { reportFaultCase } from './support/fault-report';
import { knowTelegramChats, outcomeCounts, providerWorld } from '../support/provider-world';

const SHARE = 0.3;
const CONTACTS = 10;

let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
const world = providerWorld(CONTACTS);

beforeAll(async () => {
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  harness = await startHarness({ channels: channels.adapters });
  knowTelegramChats(sandbox, world);
  await applyConfig(harness.db, world.config);
});

afterAll(async () => {
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
});

test(`${SHARE * 100}% of provider calls fail transiently: all delivered once, the retries in the history`, async () => {
  const random = seededRandom(20261201);
  sandbox.twilio.faults.failRandomly({
    share: SHARE,
    random,
    pick: (r) =>
      r() < 0.5
        ? { status: 429, code: 20429, message: 'Too Many Requests', retryAfterSeconds: 1 }
        : { status: 503, code: 20503, message: 'Service Unavailable' },
  });
  sandbox.telegram.faults.failRandomly({
    share: SHARE,
    random,
    pick: (r) => (r() < 0.5 ? telegramFaults.tooManyRequests(1) : telegramFaults.badGateway()),
  });
  sandbox.smtp.faults.failRandomly({
    share: SHARE,
    random,
    pick: (r) =>
      r() < 0.5
        ? { code: 451, message: '4.7.1 Greylisted, try again later' }
        : { code: 421, message: '4.3.2 Service shutting down' },
  });

  const requests = world.requests(CONTACTS * 3 * 2, 'Flaky run');
  const handles = await Promise.all(
    requests.map((r) =>
      startSendLiveChatMessage(harness.client, r.input, {
        taskQueue: harness.taskQueue,
        workflowId: r.workflowId,
      }),
    ),
  );
  const results = await Promise.all(handles.map((h) => h.result()));
  // At the stand-ins each text exactly once; in the history one message row per request.
  const { perRequest, counts } = await outcomeCounts(harness, sandbox, requests, results);
  let retries = 0;
  for (const handle of handles) {
    const history = await handle.fetchHistory();
    for (const event of history.events ?? []) {
      const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
      retries += attempt - 1;
    }
  }
  const injected =
    sandbox.twilio.faults.randomFailures +
    sandbox.telegram.faults.randomFailures +
    sandbox.smtp.faults.randomFailures;
  reportFaultCase({
    case: 'provider flaky (30% 5xx / 429 / SMTP 4xx)',
    requests: requests.length,
    ...counts,
    notes: `${injected} calls failed on purpose; ${retries} retries in the histories`,
  });

  expect(results.every((r) => r.status === 'sent')).toBe(true);
  expect(counts.inHistory).toBe(requests.length);
  expect(perRequest).toEqual(requests.map(() => 1));
  // Faults were really injected and show as retries of the dispatch step in the history (an SDK may
  // absorb some itself, e.g. by reconnecting, so there may be fewer retries than faults, never more).
  expect(injected).toBeGreaterThanOrEqual(requests.length * SHARE * 0.5);
  expect(retries).toBeGreaterThan(0);
  expect(retries).toBeLessThanOrEqual(injected);
});
