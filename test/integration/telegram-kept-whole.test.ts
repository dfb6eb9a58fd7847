import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Telegram } from 'telegraf';
import { createTelegramAdapter, startTelegramPolling, telegramWebhookRoutes } from '../../channels/telegram';
import { initiateSession, sendLiveChatMessage } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import type { MessageRow, SessionRow } from '../../db/rows';
import { startTelegramStandIn, type TelegramStandIn } from '../../dev/sandbox/telegram-stand-in';
import type { Recipient } from '../../domain/types';
import { messagesOfSessions, sessionOfOperator } from '../../server/operators/queries';
import { messageView, sessionView } from '../../server/operators/views';
import { createWebhookServer } from '../../server/webhook-server';
import { createWorkspaceServer, setOperatorPassword } from '../../server/workspace-server';
import { cookieHeader, PASSWORD, startWorkspace } from '../support/workspace';
import { countRows, createWorld, uniqueTelegramChatId, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

const BOT_TOKEN = '7012345679:AAH-inbound-bot-token_Qw3';
const WEBHOOK_SECRET = 'inbound-webhook-secret_77';

let standIn: TelegramStandIn;
let harness: Harness;
let world: World;
let webhooks: FastifyInstance;
const errors: unknown[] = [];

beforeAll(async () => {
  standIn = await startTelegramStandIn({ token: BOT_TOKEN });
  harness = await startHarness({
    channels: { telegram: createTelegramAdapter({ botToken: BOT_TOKEN, apiUrl: standIn.url }) },
  });
  world = await createWorld(harness.db);
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    telegramWebhookRoutes({
      secretToken: WEBHOOK_SECRET,
      botToken: BOT_TOKEN,
      apiUrl: standIn.url,
      onError: (error) => errors.push(error),
    }),
  ]);
  const base = await webhooks.listen({ host: '127.0.0.1', port: 0 });
  await new Telegram(BOT_TOKEN, { apiRoot: standIn.url }).setWebhook(
    `${base}/webhooks/telegram/${world.telegram}`,
    { secret_token: WEBHOOK_SECRET },
  );
});
afterAll(async () => {
  await webhooks?.close();
  await harness?.stop();
  await standIn?.stop();
});
afterEach(() => expect(errors).toEqual([]));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function send(to: Recipient, text: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: world.liveChat, channelId: world.telegram, to, text },
    { taskQueue: harness.taskQueue, workflowId: `tg-in-${randomUUID()}` },
  );
}

function startSession(chatId: string) {
  return initiateSession(
    harness.client,
    {
      liveChatId: world.liveChat,
      channelId: world.telegram,
      operatorId: world.online,
      customer: { account: chatId },
    },
    { taskQueue: harness.taskQueue, workflowId: `tg-in-start-${randomUUID()}` },
  );
}

async function sessionOf(chatId: string): Promise<SessionRow> {
  const session = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: world.telegram, account: chatId })
    .orderBy('opened_at', 'desc')
    .first();
  if (!session) throw new Error(`no session for chat ${chatId}`);
  return session;
}

const messagesOf = async (chatId: string) =>
  harness
    .db<MessageRow>('messages')
    .where({ session_id: (await sessionOf(chatId)).id })
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);

async function operatorMessage(messageId: string) {
  const message = await harness.db<MessageRow>('messages').where({ id: messageId }).first();
  const records = await messagesOfSessions(harness.db, [message!.session_id]);
  return messageView(
    records.find((r) => r.id === messageId)!,
    { temporalNamespace: 'default' },
  );
}

async function filesOf(messageId: string) {
  return harness
    .db('message_attachments as ma')
    .join('attachments as a', 'a.sha256', 'ma.attachment_sha256')
    .where('ma.message_id', messageId)
    .orderBy('ma.position')
    .select('ma.filename', 'ma.content_type', 'a.sha256', 'a.size');
}

test('an edit updates the stored message and marks it edited; the earlier text is kept', async () => {
  const chatId = uniqueTelegramChatId();
  const written = await standIn.customerWrites(chatId, 'My order number is 1024', { first_name: 'Ivan' });
  expect(written.webhookStatus).toBe(200);

  const edit = await standIn.customerEdits(
    chatId,
    written.update.message.message_id,
    'My order number is 1042',
  );

  expect(edit.webhookStatus).toBe(200);
  const messages = await messagesOf(chatId);
  expect(messages).toHaveLength(1);
  const [message] = messages;
  expect(message).toMatchObject({ text: 'My order number is 1042', edited_at: expect.any(Date) });
  const view = await operatorMessage(message!.id);
  expect(view).toMatchObject({
    text: 'My order number is 1042',
    editedAt: message!.edited_at!.toISOString(),
    earlierVersions: [{ text: 'My order number is 1024', replacedAt: message!.edited_at!.toISOString() }],
  });

  // Telegram sending the same edit again changes nothing.
  await standIn.redeliver();
  const again = await webhooks.inject({
    method: 'POST',
    url: `/webhooks/telegram/${world.telegram}`,
    headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
    payload: edit.update,
  });
  expect(again.json()).toEqual({ ok: true, edited: false });
  expect((await operatorMessage(message!.id)).earlierVersions).toHaveLength(1);
});

test('a block refuses the next process send, a send into the session and a session start before the provider; writing again unblocks', async () => {
  const chatId = uniqueTelegramChatId();
  await standIn.customerWrites(chatId, 'Hello', { first_name: 'Olga' });
  const session = await sessionOf(chatId);
  const blocked = await standIn.customerBlocksBot(chatId);
  expect(blocked.webhookStatus).toBe(200);
  const callsBefore = standIn.calls.filter((c) => c.chatId === chatId).length;
  const rowsBefore = await countRows(harness.db);

  const byAccount = await refusalOf(send({ account: chatId }, 'Your order is ready.'));
  const intoSession = await refusalOf(send({ sessionId: session.id }, 'Your order is ready.'));
  // An operator starting a session: the customer's own session is closed first, so only the block refuses.
  await harness.db('sessions').where({ id: session.id }).update({ state: 'closed', closed_at: new Date() });
  const byOperator = await refusalOf(startSession(chatId));

  for (const refusal of [byAccount, intoSession, byOperator]) {
    expect(refusal).toMatchObject({
      type: 'TelegramChatBlocked',
      nonRetryable: true,
      details: { chatId, channelId: world.telegram },
    });
  }
  expect(byAccount.activityType).toBe('prepareMessage');
  expect(standIn.calls.filter((c) => c.chatId === chatId)).toHaveLength(callsBefore);
  expect(standIn.sentTo(chatId)).toEqual([]);
  expect(await countRows(harness.db)).toEqual(rowsBefore);
  // Operators see it on the session.
  const record = await sessionOfOperator(harness.db, world.online, session.id);
  expect(sessionView(record!).customerBlockedAt).toEqual(expect.any(String));

  // The customer unblocks the bot and writes again: sends go through.
  standIn.unblock(chatId);
  await standIn.customerWrites(chatId, 'Sorry, pressed the wrong button');
  const result = await send({ account: chatId }, 'Your order is ready.');
  expect(result.status).toBe('sent');
  expect(standIn.sentTo(chatId).map((m) => m.text)).toEqual(['Your order is ready.']);
});

test('my_chat_member "member" (the bot unblocked or restarted) unblocks as well', async () => {
  const chatId = uniqueTelegramChatId();
  await standIn.customerWrites(chatId, 'Hi');
  await standIn.customerBlocksBot(chatId);
  expect((await refusalOf(send({ account: chatId }, 'Still there?'))).type).toBe('TelegramChatBlocked');

  expect((await standIn.customerUnblocksBot(chatId)).webhookStatus).toBe(200);

  expect(await send({ account: chatId }, 'Welcome back.')).toMatchObject({ status: 'sent' });
  expect(standIn.sentTo(chatId).map((m) => m.text)).toEqual(['Welcome back.']);
});

test('photos, documents and voice are stored as files through getFile', async () => {
  const chatId = uniqueTelegramChatId();
  const photo = randomBytes(30_000);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2_000)]);
  const voice = randomBytes(8_000);

  await standIn.customerSendsFile(chatId, {
    kind: 'photo',
    content: photo,
    caption: 'The scratch on the lid',
  });
  await standIn.customerSendsFile(chatId, {
    kind: 'document',
    content: pdf,
    fileName: 'invoice-1042.pdf',
    mimeType: 'application/pdf',
  });
  await standIn.customerSendsFile(chatId, { kind: 'voice', content: voice });

  const messages = await messagesOf(chatId);
  expect(messages.map((m) => m.text)).toEqual(['The scratch on the lid', '[document]', '[voice]']);
  const stored = await Promise.all(messages.map((m) => filesOf(m.id)));
  expect(stored.map((files) => files.map((f) => [f.content_type, f.sha256, Number(f.size)]))).toEqual([
    [['image/jpeg', sha256(photo), photo.length]],
    [['application/pdf', sha256(pdf), pdf.length]],
    [['audio/ogg', sha256(voice), voice.length]],
  ]);
  expect(stored[1]![0].filename).toBe('invoice-1042.pdf');
  // The largest size of the photo was downloaded, not its thumbnail; each file once.
  expect(standIn.fileDownloads.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(3);
  expect(standIn.callsOf('getFile').every((c) => c.status === 200)).toBe(true);
  expect((await operatorMessage(messages[0]!.id)).attachments).toEqual([
    expect.objectContaining({
      filename: expect.stringMatching(/\.jpg$/),
      contentType: 'image/jpeg',
      size: photo.length,
      position: 0,
    }),
  ]);

  // Operators download it through the API, authorized like the rest; others cannot.
  const workspace = await createWorkspaceServer({
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    log: () => undefined,
  });
  const other = await startWorkspace(harness);
  try {
    await setOperatorPassword(harness.db, world.online, PASSWORD);
    const signIn = await workspace.inject({
      method: 'POST',
      url: '/api/sign-in',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ operatorId: world.online, password: PASSWORD }),
    });
    const cookie = cookieHeader(signIn);
    const url = `/api/sessions/${messages[1]!.session_id}/messages/${messages[1]!.id}/attachments/0`;
    const download = await workspace.inject({ method: 'GET', url, headers: { cookie } });
    expect(download.statusCode).toBe(200);
    expect(sha256(download.rawPayload)).toBe(sha256(pdf));
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toContain('attachment; filename="invoice-1042.pdf"');
    expect(
      (await workspace.inject({ method: 'GET', url: url.replace(/0$/, '1'), headers: { cookie } }))
        .statusCode,
    ).toBe(403);
    expect((await workspace.inject({ method: 'GET', url })).statusCode).toBe(401);
    // An operator of another live chat gets what a file that does not exist gets.
    const stranger = await other.signIn(other.world.stranger);
    expect((await other.call('GET', url, { cookie: stranger })).statusCode).toBe(403);
  } finally {
    await workspace.close();
    await other.app.close();
  }
});

test('a button press (callback_query) is recorded with its data and answered', async () => {
  const chatId = uniqueTelegramChatId();
  await standIn.customerWrites(chatId, 'When can you deliver?');
  const reply = await send({ account: chatId }, 'Choose a slot');
  const botMessage = standIn.sentTo(chatId)[0]!;

  const pressed = await standIn.customerPresses(chatId, 'slot:2026-12-05T10:00', botMessage.messageId);

  expect(pressed.webhookStatus).toBe(200);
  const messages = await messagesOf(chatId);
  expect(messages.map((m) => [m.direction, m.text, m.inbound_kind])).toEqual([
    ['inbound', 'When can you deliver?', null],
    ['outbound', 'Choose a slot', null],
    ['inbound', 'slot:2026-12-05T10:00', 'button'],
  ]);
  expect(messages[2]!.session_id).toBe(reply.sessionId);
  expect(standIn.answeredCallbacks).toContain(pressed.queryId);
  expect((await operatorMessage(messages[2]!.id)).inboundKind).toBe('button');
});

test('an update whose chat has no type is taken as a private chat', async () => {
  const chatId = uniqueTelegramChatId();

  const written = await standIn.customerWrites(chatId, 'Hello from a gateway', {
    first_name: 'Pavel',
    chatWithoutType: true,
  });

  expect(written.update.message.chat).not.toHaveProperty('type');
  expect(written.webhookStatus).toBe(200);
  expect((await messagesOf(chatId)).map((m) => m.text)).toEqual(['Hello from a gateway']);
  expect(
    await harness.db('telegram_chats').where({ channel_id: world.telegram, chat_id: chatId }).first(),
  ).toMatchObject({
    display_name: 'Pavel',
  });
});

test('long polling does the same with edits, blocks and files', async () => {
  const token = '7087654322:AAF-inbound-polling-token';
  const pollStandIn = await startTelegramStandIn({ token });
  const pollErrors: Error[] = [];
  const polling = await startTelegramPolling({
    db: harness.db,
    botToken: token,
    apiUrl: pollStandIn.url,
    channelId: world.telegram,
    timeoutSeconds: 5,
    onError: (error) => pollErrors.push(error),
  });
  const chatId = uniqueTelegramChatId();
  const content = randomBytes(1_000);
  try {
    const written = await pollStandIn.customerWrites(chatId, 'tpyo');
    await pollStandIn.customerEdits(chatId, written.update.message.message_id, 'typo');
    await pollStandIn.customerSendsFile(chatId, { kind: 'document', content, fileName: 'a.bin' });
    await pollStandIn.customerBlocksBot(chatId);
    await waitUntil(async () => {
      const chat = await harness
        .db('telegram_chats')
        .where({ channel_id: world.telegram, chat_id: chatId })
        .first();
      return chat?.blocked_at != null;
    });
  } finally {
    await polling.stop();
    await pollStandIn.stop();
  }
  const messages = await messagesOf(chatId);
  expect(messages.map((m) => m.text)).toEqual(['typo', '[document]']);
  expect((await filesOf(messages[1]!.id)).map((f) => f.sha256)).toEqual([sha256(content)]);
  expect(pollErrors).toEqual([]);
});

async function waitUntil(check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
