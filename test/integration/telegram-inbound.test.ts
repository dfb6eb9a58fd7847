import { randomBytes, randomUUID } from 'node:crypto';
import { Telegram } from 'telegraf';
import { applyConfig } from '../../db/apply-config';
import { startTelegramStandIn, type TelegramStandIn } from '../../dev/sandbox/telegram-stand-in';
import { botIdOf, startLeasedTelegramPolling, type TelegramPolling } from '../../channels/telegram/polling';
import { ensureTelegramWebhook } from '../../server/telegram-inbound';
import { uniqueTelegramChatId } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

/**
 * Telegram inbound as the server wires it: with a public URL, the webhook is set once (getWebhookInfo
 * first); without one, several replicas long-poll the same bot and only the lease holder does, so
 * each update is recorded once, and another takes over when the holder stops.
 */

const BOT_TOKEN = `${600_000_000 + Math.floor(Math.random() * 1e8)}:AAH-${randomBytes(12).toString('base64url')}`;
const s = randomUUID().slice(0, 8);
const channelId = `inbound-telegram-${s}`;

let standIn: TelegramStandIn;
let harness: Harness;

beforeAll(async () => {
  standIn = await startTelegramStandIn({ token: BOT_TOKEN });
  harness = await startHarness({ workers: false });
  await applyConfig(harness.db, {
    liveChats: [
      { id: `inbound-${s}`, name: 'Inbound', channels: [{ id: channelId, kind: 'telegram', name: 'Bot' }] },
    ],
  });
});
afterAll(async () => {
  await harness.stop();
  await standIn.stop();
});

const inboundOf = (chatId: string) =>
  harness
    .db('messages')
    .join('sessions', 'sessions.id', 'messages.session_id')
    .where({ 'sessions.channel_id': channelId, 'sessions.account': chatId, 'messages.direction': 'inbound' })
    .orderBy('messages.created_at')
    .select<{ text: string }[]>('messages.text');

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('with a public URL: setWebhook once with the secret; a second start only reads it', async () => {
  const telegram = new Telegram(BOT_TOKEN, { apiRoot: standIn.url });
  const url = `https://chat.shop.example/webhooks/telegram/${channelId}`;
  expect(await ensureTelegramWebhook(telegram, url, 'the-webhook-secret')).toBe(true);
  expect(await ensureTelegramWebhook(telegram, url, 'the-webhook-secret')).toBe(false);
  expect(standIn.callsOf('setWebhook')).toHaveLength(1);
  expect(standIn.callsOf('getWebhookInfo')).toHaveLength(2);
  expect(standIn.webhook).toEqual({ url, secretToken: 'the-webhook-secret' });
  await telegram.deleteWebhook();
});

test('two replicas polling one bot: one holds the lease, each update is recorded once, the other takes over', async () => {
  const events: string[] = [];
  const start = (holder: string): TelegramPolling =>
    startLeasedTelegramPolling({
      db: harness.db,
      botToken: BOT_TOKEN,
      apiUrl: standIn.url,
      channelId,
      holder,
      leaseMs: 1_500,
      timeoutSeconds: 1,
      retryDelayMs: 100,
      onLeaseChange: (polling) => events.push(`${holder} ${polling ? 'polls' : 'stopped'}`),
    });
  const replicas = { a: start(`a-${s}`), b: start(`b-${s}`) };
  await until('one replica to poll', () => events.length > 0);
  const first = events[0]!.split(' ')[0]!;
  const holderKey = first.startsWith('a-') ? 'a' : 'b';
  const otherKey = holderKey === 'a' ? 'b' : 'a';

  const chatId = uniqueTelegramChatId();
  const texts = Array.from({ length: 8 }, (_, i) => `question ${i + 1}`);
  for (const text of texts) await standIn.customerWrites(chatId, text, { first_name: 'Customer' });
  await until('every update recorded', async () => (await inboundOf(chatId)).length >= texts.length);

  // The other replica took its turn at the lease the whole time, and never polled.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(events).toEqual([`${first} polls`]);
  const lease = await harness
    .db('telegram_poll_leases')
    .where({ bot_id: botIdOf(BOT_TOKEN) })
    .first();
  expect(lease).toMatchObject({ holder: first });

  // The holder stops (a deploy, a crash's lease running out): the other replica takes over.
  await replicas[holderKey].stop();
  const more = ['after the hand-over 1', 'after the hand-over 2'];
  for (const text of more) await standIn.customerWrites(chatId, text, { first_name: 'Customer' });
  await until('the updates after the hand-over', async () => (await inboundOf(chatId)).length >= 10);
  await replicas[otherKey].stop();

  expect((await inboundOf(chatId)).map((m) => m.text)).toEqual([...texts, ...more]);
  expect(events).toEqual([
    `${first} polls`,
    `${first} stopped`,
    `${otherKey}-${s} polls`,
    `${otherKey}-${s} stopped`,
  ]);
  expect(standIn.pendingUpdates()).toHaveLength(0);
  expect(await harness.db('telegram_poll_leases').where({ bot_id: botIdOf(BOT_TOKEN) })).toEqual([]);
});
