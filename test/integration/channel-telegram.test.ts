import type { FastifyInstance } from 'fastify';
import { Telegram } from 'telegraf';
import { createTelegramAdapter } from '../../channels/telegram';
import { sendLiveChatMessage } from '../../client';
import type { MessageRow, SessionRow } from '../../db/rows';
import { isKnownTelegramChat } from '../../db/telegram-chats';
import type { Recipient } from '../../domain/types';
import { startTelegramPolling } from '../../channels/telegram';
import { loadProviderConfig } from '../../config/providers';
import {
  startTelegramStandIn,
  telegramFaults,
  type TelegramStandIn,
} from '../../dev/sandbox/telegram-stand-in';
import { createWebhookServer } from '../../server/webhook-server';
import { TELEGRAM_SECRET_HEADER, telegramWebhookRoutes } from '../../channels/telegram';
import { countRows, createWorld, uniqueTelegramChatId, type World } from '../support/fixtures';
import { historyText } from '../support/history-text';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

// Shaped like a real token, so a leak would be recognisable; the worker alone knows it.
const BOT_TOKEN = '7012345678:AAH-integration-bot-token_Zx9';
const WEBHOOK_SECRET = 'integration-webhook-secret_42';

let standIn: TelegramStandIn;
let harness: Harness;
let world: World;
let webhooks: FastifyInstance;
let webhookPath: string;

beforeAll(async () => {
  standIn = await startTelegramStandIn({ token: BOT_TOKEN });
  harness = await startHarness({
    channels: { telegram: createTelegramAdapter({ botToken: BOT_TOKEN, apiUrl: standIn.url }) },
  });
  world = await createWorld(harness.db);
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    telegramWebhookRoutes({ secretToken: WEBHOOK_SECRET }),
  ]);
  const base = await webhooks.listen({ host: '127.0.0.1', port: 0 });
  webhookPath = `/webhooks/telegram/${world.telegram}`;
  // As a deployment registers its webhook: through the Bot API, with the secret Telegram sends back.
  await new Telegram(BOT_TOKEN, { apiRoot: standIn.url }).setWebhook(`${base}${webhookPath}`, {
    secret_token: WEBHOOK_SECRET,
  });
});
afterEach(() => standIn.faults.reset());
afterAll(async () => {
  await webhooks?.close();
  await harness?.stop();
  await standIn?.stop();
});

function send(to: Recipient, text: string, workflowId: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: world.liveChat, channelId: world.telegram, to, text },
    { taskQueue: harness.taskQueue, workflowId },
  );
}

/** A person who wrote to the bot (through the stand-in and our signed webhook), and their session. */
async function customerWhoWrote(text = 'Hello!'): Promise<{ chatId: string; session: SessionRow }> {
  const chatId = uniqueTelegramChatId();
  const { webhookStatus } = await standIn.customerWrites(chatId, text, { first_name: 'Ivan' });
  expect(webhookStatus).toBe(200);
  const session = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: world.telegram, account: chatId, state: 'open' })
    .first();
  if (!session) throw new Error(`no open session for chat ${chatId}`);
  return { chatId, session };
}

function messagesOf(sessionId: string): Promise<MessageRow[]> {
  return harness.db<MessageRow>('messages').where({ session_id: sessionId }).orderBy('created_at');
}

async function footprint() {
  const chats = await harness.db('telegram_chats').count<{ count: string }[]>('* as count');
  return { ...(await countRows(harness.db)), telegramChats: Number(chats[0]?.count ?? 0) };
}

test('rule 9 end to end: a customer who wrote is remembered, and a process message reaches them once, in the same session', async () => {
  const chatId = uniqueTelegramChatId();
  expect(await isKnownTelegramChat(harness.db, world.telegram, chatId)).toBe(false);

  const written = await standIn.customerWrites(chatId, 'Hi! Is my order #1042 ready?', {
    first_name: 'Ivan',
    last_name: 'Petrov',
    username: 'ivan_p',
  });

  expect(written.webhookStatus).toBe(200);
  expect(
    await harness.db('telegram_chats').where({ channel_id: world.telegram, chat_id: chatId }).first(),
  ).toMatchObject({ username: 'ivan_p', display_name: 'Ivan Petrov' });
  const sessions = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: world.telegram, account: chatId });
  expect(sessions).toHaveLength(1);
  const session = sessions[0] as SessionRow;
  expect(session).toMatchObject({ state: 'open', origin: 'customer', account_kind: 'telegram' });
  expect(await messagesOf(session.id)).toEqual([
    expect.objectContaining({
      direction: 'inbound',
      author_kind: 'customer',
      text: 'Hi! Is my order #1042 ready?',
      status: 'delivered',
      provider_message_id: `${chatId}:${written.update.message.message_id}`,
    }),
  ]);

  const workflowId = `telegram-rule9-${chatId}`;
  const result = await send({ account: chatId }, 'Your order #1042 is ready for pickup.', workflowId);

  expect(result).toEqual({
    sessionId: session.id,
    messageId: expect.any(String),
    status: 'sent',
    sessionReused: true,
  });
  const sent = standIn.sentTo(chatId);
  expect(sent.map((m) => m.text)).toEqual(['Your order #1042 is ready for pickup.']);
  expect(await harness.db<MessageRow>('messages').where({ id: result.messageId }).first()).toMatchObject({
    session_id: session.id,
    direction: 'outbound',
    author_kind: 'process',
    status: 'sent',
    provider_message_id: `${chatId}:${sent[0]?.messageId}`,
  });

  // The same request again (a process retried from the start) finds its message: still one delivery.
  const again = await send({ account: chatId }, 'Your order #1042 is ready for pickup.', workflowId);
  expect(again.messageId).toBe(result.messageId);
  expect(standIn.callsOf('sendMessage', chatId)).toHaveLength(1);

  // The customer's answer goes into the same open session.
  await standIn.customerWrites(chatId, 'Thanks, on my way.');
  expect((await messagesOf(session.id)).map((m) => [m.direction, m.text])).toEqual([
    ['inbound', 'Hi! Is my order #1042 ready?'],
    ['outbound', 'Your order #1042 is ready for pickup.'],
    ['inbound', 'Thanks, on my way.'],
  ]);
});

test('a person who never wrote to the bot: TelegramChatUnknown from our own check, before any provider call', async () => {
  const chatId = uniqueTelegramChatId();
  // Telegram itself knows the chat (the person wrote while our webhook was down), so the provider
  // would take the message: only our memory of who wrote can refuse it.
  standIn.knowChat(chatId);
  const before = await footprint();
  const callsBefore = standIn.calls.length;

  const byAccount = await refusalOf(send({ account: chatId }, 'Hello', `telegram-unknown-${chatId}`));
  // Olga's contact has a Telegram chat id the bot has never seen.
  const byContact = await refusalOf(
    send({ contactId: world.olga }, 'Hello', `telegram-unknown-${world.olga}`),
  );

  for (const refusal of [byAccount, byContact]) {
    expect(refusal.chain).toEqual(['WorkflowFailedError', 'ActivityFailure', 'ApplicationFailure']);
    expect(refusal).toMatchObject({
      type: 'TelegramChatUnknown',
      activityType: 'prepareMessage',
      nonRetryable: true,
      details: { channelId: world.telegram },
    });
  }
  expect(byAccount.details.chatId).toBe(chatId);
  expect(byContact.details.chatId).toBe(world.olgaTelegram);
  expect(standIn.calls.length).toBe(callsBefore);
  expect(standIn.sentTo(chatId)).toEqual([]);
  expect(await footprint()).toEqual(before);
});

test('transient: a 429 with retry_after, then a dropped connection, then success: delivered once, retries visible, no token in the history', async () => {
  const { chatId, session } = await customerWhoWrote();
  standIn.faults.failNext(1, telegramFaults.tooManyRequests(1));
  standIn.faults.failNext(1, telegramFaults.connectionDropped());
  const workflowId = `telegram-transient-${chatId}`;

  const result = await send({ account: chatId }, 'Your parcel is on its way.', workflowId);

  expect(result).toMatchObject({ sessionId: session.id, status: 'sent' });
  expect(standIn.callsOf('sendMessage', chatId).map((c) => c.status)).toEqual([429, 0, 200]);
  expect(standIn.sentTo(chatId).map((m) => m.text)).toEqual(['Your parcel is on its way.']);
  const message = await harness.db<MessageRow>('messages').where({ id: result.messageId }).first();
  expect(message).toMatchObject({
    status: 'sent',
    provider_message_id: `${chatId}:${standIn.sentTo(chatId)[0]?.messageId}`,
  });

  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  const started = (history.events ?? []).flatMap((e) =>
    e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes] : [],
  );
  // prepareMessage once; dispatchMessage on its third attempt, after the network error.
  expect(started.map((a) => a.attempt)).toEqual([1, 3]);
  const text = await historyText(harness.client, workflowId);
  expect(text).toContain('socket hang up');
  expect(text).not.toContain(BOT_TOKEN);
  expect(text).not.toContain(WEBHOOK_SECRET);
});

test('permanent: a person who blocked the bot → the message fails once with the reason, the process gets DeliveryFailed', async () => {
  const { chatId, session } = await customerWhoWrote();
  standIn.block(chatId);
  const workflowId = `telegram-blocked-${chatId}`;

  const refusal = await refusalOf(send({ account: chatId }, 'Your order #1042 is ready.', workflowId));

  expect(refusal.chain).toEqual(['WorkflowFailedError', 'ActivityFailure', 'ApplicationFailure']);
  expect(refusal).toMatchObject({
    type: 'DeliveryFailed',
    activityType: 'dispatchMessage',
    nonRetryable: true,
    details: { sessionId: session.id, reason: 'bot was blocked by the user', providerCode: '403' },
  });
  const outbound = (await messagesOf(session.id)).filter((m) => m.direction === 'outbound');
  expect(outbound).toEqual([
    expect.objectContaining({ status: 'failed', failure_reason: 'bot was blocked by the user' }),
  ]);
  expect(standIn.callsOf('sendMessage', chatId).map((c) => c.status)).toEqual([403]);
  expect(standIn.sentTo(chatId)).toEqual([]);
  expect(await historyText(harness.client, workflowId)).not.toContain(BOT_TOKEN);
});

test('forged updates: without the secret token or with a wrong one → 401 and zero rows changed', async () => {
  const chatId = uniqueTelegramChatId();
  const update = {
    update_id: 990_001,
    message: {
      message_id: 1,
      date: 1_764_000_000,
      chat: { id: Number(chatId), type: 'private', first_name: 'Mallory' },
      from: { id: Number(chatId), is_bot: false, first_name: 'Mallory' },
      text: 'Please send me the invoice of order #1042',
    },
  };
  const before = await footprint();

  for (const secret of [undefined, '', 'wrong', `${WEBHOOK_SECRET}x`, WEBHOOK_SECRET.toUpperCase()]) {
    const response = await webhooks.inject({
      method: 'POST',
      url: webhookPath,
      headers: secret === undefined ? {} : { [TELEGRAM_SECRET_HEADER]: secret },
      payload: update,
    });
    expect({ secret, status: response.statusCode }).toEqual({ secret, status: 401 });
  }
  expect(await footprint()).toEqual(before);
  expect(await isKnownTelegramChat(harness.db, world.telegram, chatId)).toBe(false);

  // The same update with the right secret is taken: the refusals above were the secret's doing.
  const signed = {
    method: 'POST' as const,
    url: webhookPath,
    headers: { [TELEGRAM_SECRET_HEADER]: WEBHOOK_SECRET },
    payload: update,
  };
  const accepted = await webhooks.inject(signed);
  expect(accepted.statusCode).toBe(200);
  expect(accepted.json()).toEqual({ ok: true, duplicate: false });
  expect(await isKnownTelegramChat(harness.db, world.telegram, chatId)).toBe(true);
  // Telegram delivers an update again when unsure it arrived: recorded once.
  const repeated = await webhooks.inject(signed);
  expect(repeated.json()).toEqual({ ok: true, duplicate: true });
  expect(await footprint()).toEqual({
    ...before,
    sessions: before.sessions + 1,
    messages: before.messages + 1,
    telegramChats: before.telegramChats + 1,
  });
});

test('updates that are not a customer writing are acknowledged and store nothing', async () => {
  const before = await footprint();
  const response = await webhooks.inject({
    method: 'POST',
    url: webhookPath,
    headers: { [TELEGRAM_SECRET_HEADER]: WEBHOOK_SECRET },
    payload: {
      update_id: 990_002,
      channel_post: {
        message_id: 1,
        date: 1_764_000_000,
        chat: { id: -100123, type: 'channel' },
        text: 'news',
      },
    },
  });
  expect(response.statusCode).toBe(200);
  expect(await footprint()).toEqual(before);
});

test('without a public URL: long polling records customers the same way and confirms what it stored', async () => {
  const token = '7087654321:AAF-polling-bot-token';
  const pollStandIn = await startTelegramStandIn({ token });
  const errors: Error[] = [];
  const polling = await startTelegramPolling({
    db: harness.db,
    botToken: token,
    apiUrl: pollStandIn.url,
    channelId: world.telegram,
    timeoutSeconds: 5,
    onError: (error) => errors.push(error),
  });
  try {
    const chatId = uniqueTelegramChatId();
    await pollStandIn.customerWrites(chatId, 'Hello from a bot without a webhook', { first_name: 'Pavel' });

    await waitUntil(() => isKnownTelegramChat(harness.db, world.telegram, chatId));
    const session = await harness
      .db<SessionRow>('sessions')
      .where({ channel_id: world.telegram, account: chatId })
      .first();
    expect(session).toMatchObject({ state: 'open', origin: 'customer' });
    expect((await messagesOf(session?.id ?? '')).map((m) => m.text)).toEqual([
      'Hello from a bot without a webhook',
    ]);
  } finally {
    await polling.stop();
  }
  expect(pollStandIn.pendingUpdates()).toEqual([]);
  expect(errors).toEqual([]);
  await pollStandIn.stop();
});

/** Waits for something another process does; the limit only keeps a broken run from hanging. */
async function waitUntil(check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
