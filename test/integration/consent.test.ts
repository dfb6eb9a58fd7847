/**
 * Consent end to end: a customer's keyword on WhatsApp (a signed Twilio webhook) or Telegram (the
 * bot's webhook), a Telegram block, and what follows: the next process message, bulk recipient and
 * operator-started session to them refused with `RecipientOptedOut` before anything is written or
 * sent, and START opting them back in. Real Temporal, real PostgreSQL, the real twilio, telegraf and
 * nodemailer SDKs talking to the stand-ins.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Telegram } from 'telegraf';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { createEmailAdapter } from '../../channels/email';
import { EMAIL_WEBHOOK_SECRET_HEADER, emailWebhookRoutes } from '../../channels/email/webhook';
import { telegramWebhookRoutes } from '../../channels/telegram';
import { consentKeyFrom } from '../../config/consent-key';
import { unsubscribeRoutes } from '../../server/unsubscribe';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { initiateSession, sendLiveChatMessage, startBulkNotify } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import { applyConfig } from '../../db/apply-config';
import type { MessageRow } from '../../db/rows';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import type { Recipient } from '../../domain/types';
import { createWebhookServer } from '../../server/webhook-server';
import { runLivechat } from '../support/cli-process';
import { uniquePhone, uniqueTelegramChatId } from '../support/fixtures';
import { cookieHeader } from '../support/workspace';
import { setOperatorPassword } from '../../server/operators/passwords';
import { createWorkspaceServer } from '../../server/workspace-server';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

const BUSINESS_NUMBER = '+4930901821';
const EMAIL_SECRET = randomBytes(24).toString('hex');
/** Outside the 24-hour window the text goes as this approved template's {{1}}. */
const TEMPLATE = 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9';

let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let webhooks: FastifyInstance;
let webhookUrl: string;
const errors: unknown[] = [];

const s = randomUUID().slice(0, 8);
const liveChat = `consent-${s}`;
const whatsapp = `consent-wa-${s}`;
const telegram = `consent-tg-${s}`;
const email = `consent-mail-${s}`;
const strictChat = `consent-strict-${s}`;
const strictWhatsapp = `consent-strict-wa-${s}`;
const operator = `consent-anna-${s}`;

beforeAll(async () => {
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  harness = await startHarness({
    channels: {
      ...channels.adapters,
      // Process mail carries List-Unsubscribe with a one-click URL of the webhook server below.
      email: createEmailAdapter({
        smtpUrl: sandbox.providers.SMTP_URL!,
        unsubscribe: { baseUrl: () => webhookUrl, key: consentKeyFrom() },
      }),
    },
  });
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({
      authToken: sandbox.providers.TWILIO_AUTH_TOKEN!,
      publicBaseUrl: () => webhookUrl,
      onError: (error) => errors.push(error),
    }),
    telegramWebhookRoutes({
      secretToken: `secret-${s}`,
      botToken: sandbox.providers.TELEGRAM_BOT_TOKEN!,
      apiUrl: sandbox.telegram.url,
      onError: (error) => errors.push(error),
    }),
    emailWebhookRoutes({ secret: EMAIL_SECRET }),
    unsubscribeRoutes(),
  ]);
  webhookUrl = await webhooks.listen({ host: '127.0.0.1', port: 0 });
  await new Telegram(sandbox.providers.TELEGRAM_BOT_TOKEN!, { apiRoot: sandbox.telegram.url }).setWebhook(
    `${webhookUrl}/webhooks/telegram/${telegram}`,
    { secret_token: `secret-${s}` },
  );
  await applyConfig(harness.db, {
    operators: [{ id: operator, name: 'Anna Weber', status: 'online' }],
    liveChats: [
      {
        id: liveChat,
        name: 'Shop',
        operators: [operator],
        channels: [
          {
            id: whatsapp,
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: BUSINESS_NUMBER, templateContentSid: TEMPLATE },
          },
          { id: telegram, kind: 'telegram', name: 'Bot' },
          { id: email, kind: 'email', name: 'shop@shop.example' },
        ],
        consent: { operatorMayAnswerOptedOut: true },
      },
      {
        id: strictChat,
        name: 'Strict shop',
        operators: [operator],
        channels: [
          {
            id: strictWhatsapp,
            kind: 'whatsapp',
            name: 'WhatsApp',
            settings: { from: BUSINESS_NUMBER, templateContentSid: TEMPLATE },
          },
        ],
        consent: {
          requireOptIn: true,
          optOutKeywords: ['HALT', 'STOP'],
          optInKeywords: ['JA', 'START'],
        },
      },
    ],
  });
});

afterAll(async () => {
  await webhooks?.close();
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
});
afterEach(() => expect(errors).toEqual([]));

function send(chat: string, channelId: string, to: Recipient, text: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: chat, channelId, to, text },
    { taskQueue: harness.taskQueue, workflowId: `consent-${randomUUID()}` },
  );
}

async function bulk(chat: string, channelId: string, accounts: string[], text: string) {
  const handle = await startBulkNotify(
    harness.client,
    { liveChatId: chat, channelId, audience: { recipients: accounts.map((account) => ({ account })) }, text },
    { taskQueue: harness.taskQueue, workflowId: `consent-bulk-${randomUUID()}` },
  );
  return handle.result();
}

/** What the WhatsApp stand-in received for this number, as text (a template's variable outside the window). */
const whatsappTo = (phone: string) =>
  sandbox.twilio.received
    .filter((m) => m.to === `whatsapp:${phone}`)
    .map((m) => (JSON.parse(m.contentVariables ?? '{}') as Record<string, string>)['1'] ?? m.body);

const customerWritesOnWhatsApp = (phone: string, body: string, channelId = whatsapp) =>
  sandbox.twilio.sendInbound(`${webhookUrl}/webhooks/twilio/${channelId}/inbound`, {
    from: phone,
    to: BUSINESS_NUMBER,
    body,
  });

const messagesTo = (account: string): Promise<MessageRow[]> =>
  harness
    .db<MessageRow>('messages as m')
    .join('sessions as s', 's.id', 'm.session_id')
    .where('s.account', account)
    .orderBy('m.created_at')
    .select('m.*');

const consentOf = (chat: string, account: string) =>
  harness.db('consents').where({ live_chat_id: chat, account }).first();

test.each(['STOP', 'unsubscribe', 'СТОП', 'Отписаться'])(
  'a WhatsApp customer who writes %s is opted out: told so, and the next process message and bulk are refused with nothing sent',
  async (keyword) => {
    const phone = uniquePhone();
    await send(liveChat, whatsapp, { account: phone }, 'Your order #1042 is ready.');

    const answer = await customerWritesOnWhatsApp(phone, keyword);
    expect(answer.status).toBe(200);
    // Twilio sends the confirmation as its reply to the customer's message.
    expect(answer.body).toContain('You will no longer receive messages from Shop');
    expect(await consentOf(liveChat, phone)).toMatchObject({
      state: 'opted-out',
      method: 'keyword',
      channel_id: whatsapp,
      keyword: keyword.toLocaleUpperCase('en-US'),
    });
    const before = await messagesTo(phone);

    const refusal = await refusalOf(
      send(liveChat, whatsapp, { account: phone }, 'Your order #1043 is ready.'),
    );
    expect(refusal).toMatchObject({
      type: 'RecipientOptedOut',
      nonRetryable: true,
      details: { liveChatId: liveChat, reason: 'opted-out', method: 'keyword', channelId: whatsapp },
    });
    const result = await bulk(liveChat, whatsapp, [phone, uniquePhone()], 'We are closed on Monday.');
    expect(result).toMatchObject({ total: 2, sent: 1, failed: 1, failuresByType: { RecipientOptedOut: 1 } });

    expect(whatsappTo(phone)).toEqual(['Your order #1042 is ready.']);
    expect((await messagesTo(phone)).map((m) => m.text)).toEqual(before.map((m) => m.text));
    // The history keeps what the customer wrote and the confirmation they got.
    expect(before.map((m) => [m.direction, m.status])).toEqual([
      ['outbound', 'sent'],
      ['inbound', 'delivered'],
      ['outbound', 'sent'],
    ]);
  },
);

test('START opts a WhatsApp customer back in, and process messages reach them again', async () => {
  const phone = uniquePhone();
  await customerWritesOnWhatsApp(phone, 'STOP');
  await expect(refusalOf(send(liveChat, whatsapp, { account: phone }, 'First try.'))).resolves.toMatchObject({
    type: 'RecipientOptedOut',
  });

  const answer = await customerWritesOnWhatsApp(phone, 'start');
  expect(answer.body).toContain('You will receive messages from Shop again');
  expect(await consentOf(liveChat, phone)).toMatchObject({ state: 'opted-in', method: 'keyword' });
  const sent = await send(liveChat, whatsapp, { account: phone }, 'Welcome back.');
  expect(sent.status).toBe('sent');
  expect(whatsappTo(phone)).toEqual(['Welcome back.']);
});

test('a keyword inside a longer message is just text', async () => {
  const phone = uniquePhone();
  const answer = await customerWritesOnWhatsApp(phone, 'Please do not STOP my subscription');
  expect(answer.body).not.toContain('no longer');
  expect(await consentOf(liveChat, phone)).toBeUndefined();
});

test('a Telegram customer who writes STOP is opted out: the bot confirms, sends and bulks are refused, /start opts back in', async () => {
  const chatId = uniqueTelegramChatId();
  expect((await sandbox.telegram.customerWrites(chatId, 'Hello')).webhookStatus).toBe(200);
  expect((await sandbox.telegram.customerWrites(chatId, 'СТОП')).webhookStatus).toBe(200);
  expect(sandbox.telegram.sentTo(chatId).map((m) => m.text)).toEqual([
    'You will no longer receive messages from Shop. Reply START to receive them again.',
  ]);

  await expect(
    refusalOf(send(liveChat, telegram, { account: chatId }, 'Your repair is done.')),
  ).resolves.toMatchObject({
    type: 'RecipientOptedOut',
    details: { method: 'keyword', channelId: telegram },
  });
  const result = await bulk(liveChat, telegram, [chatId], 'We are closed on Monday.');
  expect(result).toMatchObject({ total: 1, sent: 0, failed: 1, failuresByType: { RecipientOptedOut: 1 } });
  expect(sandbox.telegram.sentTo(chatId)).toHaveLength(1);

  await sandbox.telegram.customerWrites(chatId, '/start');
  expect(
    sandbox.telegram
      .sentTo(chatId)
      .map((m) => m.text)
      .at(-1),
  ).toBe('You will receive messages from Shop again.');
  await send(liveChat, telegram, { account: chatId }, 'Your repair is done.');
  expect(
    sandbox.telegram
      .sentTo(chatId)
      .map((m) => m.text)
      .at(-1),
  ).toBe('Your repair is done.');
});

test('a Telegram block opts the chat out of that bot; writing to the bot again lifts it', async () => {
  const chatId = uniqueTelegramChatId();
  await sandbox.telegram.customerWrites(chatId, 'Hello');
  expect((await sandbox.telegram.customerBlocksBot(chatId)).webhookStatus).toBe(200);
  expect(await consentOf(liveChat, chatId)).toMatchObject({
    state: 'opted-out',
    method: 'telegram-block',
    channel_id: telegram,
  });
  const before = await messagesTo(chatId);
  const refusal = await refusalOf(send(liveChat, telegram, { account: chatId }, 'Anyone there?'));
  expect(refusal.type).toBe('TelegramChatBlocked');
  expect(await messagesTo(chatId)).toHaveLength(before.length);
  expect(sandbox.telegram.sentTo(chatId)).toEqual([]);

  await sandbox.telegram.customerUnblocksBot(chatId);
  expect(await consentOf(liveChat, chatId)).toBeUndefined();
  await send(liveChat, telegram, { account: chatId }, 'Welcome back.');
  expect(sandbox.telegram.sentTo(chatId).map((m) => m.text)).toEqual(['Welcome back.']);
});

test('an opt-out on one account holds for all of the contact’s accounts in the live chat, and for operator-started sessions', async () => {
  const phone = uniquePhone();
  const contact = `consent-maria-${s}`;
  const address = `maria.${s}@example.com`;
  await applyConfig(harness.db, {
    contacts: [
      {
        id: contact,
        name: 'Maria Schmidt',
        accounts: [{ kind: 'phone', value: phone }],
        emails: [{ value: address }],
      },
    ],
  });
  await customerWritesOnWhatsApp(phone, 'STOP');

  await expect(
    refusalOf(send(liveChat, email, { contactId: contact }, 'Your invoice is attached.')),
  ).resolves.toMatchObject({
    type: 'RecipientOptedOut',
    details: { method: 'keyword', channelId: whatsapp },
  });
  const started = initiateSession(
    harness.client,
    { liveChatId: liveChat, channelId: email, operatorId: operator, customer: { contactId: contact } },
    { taskQueue: harness.taskQueue, workflowId: `consent-start-${randomUUID()}` },
  );
  await expect(refusalOf(started)).resolves.toMatchObject({ type: 'RecipientOptedOut' });
  expect(sandbox.smtp.received.filter((m) => m.to.includes(address))).toEqual([]);
  expect(await harness.db('sessions').where({ account: address })).toEqual([]);
});

test('a live chat that requires an opt-in sends process messages only to accounts that gave one (config file or keyword); an opt-in never lifts an opt-out', async () => {
  const [viaConfig, viaKeyword, never, optedOut] = [
    uniquePhone(),
    uniquePhone(),
    uniquePhone(),
    uniquePhone(),
  ];
  await customerWritesOnWhatsApp(optedOut, 'HALT', strictWhatsapp);
  await applyConfig(harness.db, {
    optIns: [
      { liveChatId: strictChat, kind: 'phone', value: viaConfig },
      { liveChatId: strictChat, kind: 'phone', value: optedOut },
    ],
  });
  const answer = await customerWritesOnWhatsApp(viaKeyword, 'ja', strictWhatsapp);
  expect(answer.body).toContain('You will receive messages from Strict shop again');

  const result = await bulk(
    strictChat,
    strictWhatsapp,
    [viaConfig, viaKeyword, never, optedOut],
    'Sale today.',
  );
  expect(result).toMatchObject({ total: 4, sent: 2, failed: 2, failuresByType: { RecipientOptedOut: 2 } });
  expect(whatsappTo(viaConfig)).toEqual(['Sale today.']);
  expect(whatsappTo(viaKeyword)).toEqual(['Sale today.']);
  expect(whatsappTo(never)).toEqual([]);
  expect(whatsappTo(optedOut)).toEqual([]);
  await expect(refusalOf(send(strictChat, strictWhatsapp, { account: never }, 'Hi'))).resolves.toMatchObject({
    type: 'RecipientOptedOut',
    details: { reason: 'opt-in-required' },
  });
  expect(await consentOf(strictChat, optedOut)).toMatchObject({ state: 'opted-out', keyword: 'HALT' });
});

/** The one-click URL and the mailto of a mail's List-Unsubscribe header. */
function unsubscribeOf(headers: Record<string, string>): { url: string; mailto: string } {
  const links = [...(headers['list-unsubscribe'] ?? '').matchAll(/<([^>]+)>/g)].map((m) => m[1]!);
  return {
    url: links.find((l) => l.startsWith('http'))!,
    mailto: links.find((l) => l.startsWith('mailto:'))!,
  };
}

const mailsTo = (address: string) => sandbox.smtp.received.filter((m) => m.to.includes(address));

/** What a mail provider does for RFC 8058: POST List-Unsubscribe=One-Click to the URL. */
const oneClick = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

test('process and bulk mail carry List-Unsubscribe (mailto and one-click HTTPS, RFC 8058); the POST opts the customer out and later mail is refused', async () => {
  const address = `olga.${randomUUID().slice(0, 8)}@example.com`;
  await send(liveChat, email, { account: address }, 'Your invoice is ready.');
  const result = await bulk(liveChat, email, [address], 'Our summer sale starts today.');
  expect(result).toMatchObject({ sent: 1 });
  const [single, bulkMail] = mailsTo(address);
  for (const mail of [single!, bulkMail!]) {
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const { url, mailto } = unsubscribeOf(mail.headers);
    expect(url.startsWith(`${webhookUrl}/unsubscribe/`)).toBe(true);
    expect(mailto).toBe('mailto:shop@shop.example?subject=unsubscribe');
  }

  // A link scanner opening the URL changes nothing; the provider's POST does.
  const { url } = unsubscribeOf(bulkMail!.headers);
  expect((await fetch(url)).status).toBe(200);
  expect(await consentOf(liveChat, address)).toBeUndefined();
  const answer = await oneClick(url);
  expect(answer.status).toBe(200);
  expect(await consentOf(liveChat, address)).toMatchObject({
    state: 'opted-out',
    method: 'list-unsubscribe',
    channel_id: email,
  });
  // Repeated, it is answered the same.
  expect((await oneClick(url)).status).toBe(200);

  await expect(
    refusalOf(send(liveChat, email, { account: address }, 'Another invoice.')),
  ).resolves.toMatchObject({ type: 'RecipientOptedOut', details: { method: 'list-unsubscribe' } });
  expect(mailsTo(address)).toHaveLength(2);
});

test('a forged or altered one-click URL is refused with UnsubscribeLinkInvalid and changes nothing', async () => {
  const address = `peter.${randomUUID().slice(0, 8)}@example.com`;
  const other = `anna.${randomUUID().slice(0, 8)}@example.com`;
  await send(liveChat, email, { account: address }, 'Your invoice is ready.');
  const sent = await send(liveChat, email, { account: other }, 'Your invoice is ready.');
  const { url } = unsubscribeOf(mailsTo(address)[0]!.headers);
  const token = url.slice(url.lastIndexOf('/') + 1);
  const [messageId, signature] = token.split('.') as [string, string];
  const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
  const forged = [
    // The signature of one message put on another's id.
    `${webhookUrl}/unsubscribe/${sent.messageId}.${signature}`,
    // One character of the signature changed.
    `${webhookUrl}/unsubscribe/${messageId}.${flipped}`,
    // No signature, or none of ours.
    `${webhookUrl}/unsubscribe/${messageId}`,
    `${webhookUrl}/unsubscribe/${messageId}.${randomBytes(32).toString('base64url')}`,
  ];
  const before = await harness.db('consents').count<{ count: string }[]>('* as count');
  for (const forgedUrl of forged) {
    const answer = await oneClick(forgedUrl);
    expect(answer.status).toBe(403);
    await expect(answer.json()).resolves.toMatchObject({ error: 'UnsubscribeLinkInvalid' });
  }
  expect(await harness.db('consents').count<{ count: string }[]>('* as count')).toEqual(before);
  expect(await consentOf(liveChat, address)).toBeUndefined();
  expect(await consentOf(liveChat, other)).toBeUndefined();
});

test('a mail to the mailto of List-Unsubscribe opts its sender out', async () => {
  const address = `ivan.${randomUUID().slice(0, 8)}@example.com`;
  const answer = await fetch(`${webhookUrl}/webhooks/email/${email}`, {
    method: 'POST',
    headers: { 'content-type': 'message/rfc822', [EMAIL_WEBHOOK_SECRET_HEADER]: EMAIL_SECRET },
    body: [
      `From: Ivan <${address}>`,
      'To: shop@shop.example',
      'Subject: unsubscribe',
      `Message-ID: <${randomUUID()}@mail.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This message was automatically generated by the mail client.',
      '',
    ].join('\r\n'),
  });
  expect(answer.status).toBeLessThan(300);
  expect(await consentOf(liveChat, address)).toMatchObject({ state: 'opted-out', method: 'mailto' });
  await expect(
    refusalOf(send(liveChat, email, { account: address }, 'Your invoice is ready.')),
  ).resolves.toMatchObject({ type: 'RecipientOptedOut' });
});

/** `livechat …` against this file's database and task queue. */
const livechat = (...args: string[]) =>
  runLivechat(
    {
      TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
      DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
      LIVECHAT_TASK_QUEUE: harness.taskQueue,
    },
    args,
  );

test('operators see the opt-out on the session and the customer’s page, and `livechat history` shows it', async () => {
  const phone = uniquePhone();
  const contact = `consent-olga-${s}`;
  await applyConfig(harness.db, {
    contacts: [{ id: contact, name: 'Olga Ivanova', accounts: [{ kind: 'phone', value: phone }] }],
  });
  const sent = await send(liveChat, whatsapp, { contactId: contact }, 'Your order #7 was shipped.');
  await customerWritesOnWhatsApp(phone, 'STOP');

  await setOperatorPassword(harness.db, operator, 'correct horse battery staple');
  const workspace = await createWorkspaceServer({
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    log: () => undefined,
  });
  try {
    const signIn = await workspace.inject({
      method: 'POST',
      url: '/api/sign-in',
      payload: { operatorId: operator, password: 'correct horse battery staple' },
    });
    const cookie = cookieHeader(signIn);
    const session = await workspace.inject({ url: `/api/sessions/${sent.sessionId}`, headers: { cookie } });
    expect(session.json().session.consent).toMatchObject({
      state: 'opted-out',
      method: 'keyword',
      channelId: whatsapp,
    });
    const page = await workspace.inject({ url: `/api/contacts/${contact}/history`, headers: { cookie } });
    expect(page.json().consent).toEqual([
      expect.objectContaining({
        liveChatId: liveChat,
        accountKind: 'phone',
        account: phone,
        state: 'opted-out',
        method: 'keyword',
      }),
    ]);
  } finally {
    await workspace.close();
  }

  const history = await livechat('history', '--contact', contact);
  expect(history.code).toBe(0);
  expect(history.stdout).toMatch(new RegExp(`with \\${phone}.*, opted out \\(keyword on ${whatsapp}, `));
});

test('`livechat consent opt-in` records an opt-in, never over an opt-out; `livechat consent status` shows each', async () => {
  const [given, refused] = [uniquePhone(), uniquePhone()];
  await customerWritesOnWhatsApp(refused, 'STOP', strictWhatsapp);

  const optIn = await livechat('consent', 'opt-in', '--live-chat', strictChat, '--account', given);
  expect(optIn).toMatchObject({ code: 0 });
  expect(optIn.stdout).toContain(`${given} (phone) in ${strictChat}: opted in (cli`);
  const kept = await livechat('consent', 'opt-in', '--live-chat', strictChat, '--account', refused);
  expect(kept.stdout).toContain(
    `${refused} (phone) in ${strictChat}: opted out (keyword on ${strictWhatsapp}`,
  );
  const status = await livechat(
    'consent',
    'status',
    '--account',
    refused,
    '--live-chat',
    strictChat,
    '--json',
  );
  expect(JSON.parse(status.stdout)).toEqual([
    expect.objectContaining({ liveChatId: strictChat, state: 'opted-out', method: 'keyword' }),
  ]);

  await send(strictChat, strictWhatsapp, { account: given }, 'Thanks for signing up.');
  expect(whatsappTo(given)).toEqual(['Thanks for signing up.']);
  await expect(
    refusalOf(send(strictChat, strictWhatsapp, { account: refused }, 'Thanks for signing up.')),
  ).resolves.toMatchObject({ type: 'RecipientOptedOut' });
});

test('an operator may still answer an opted-out customer in a conversation the customer started, where the live chat allows it, and nowhere else', async () => {
  const [asked, notified, strict] = [uniquePhone(), uniquePhone(), uniquePhone()];
  await customerWritesOnWhatsApp(asked, 'Where is my parcel?');
  await customerWritesOnWhatsApp(asked, 'STOP');
  const processSession = await send(liveChat, whatsapp, { account: notified }, 'Your parcel is on its way.');
  await customerWritesOnWhatsApp(notified, 'STOP');
  await customerWritesOnWhatsApp(strict, 'Where is my parcel?', strictWhatsapp);
  await customerWritesOnWhatsApp(strict, 'STOP', strictWhatsapp);
  const sessionOf = async (phone: string, channelId: string) =>
    (await harness.db('sessions').where({ account: phone, channel_id: channelId }).first('id')).id as string;

  await setOperatorPassword(harness.db, operator, 'correct horse battery staple');
  const workspace = await createWorkspaceServer({
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    log: () => undefined,
  });
  try {
    const cookie = cookieHeader(
      await workspace.inject({
        method: 'POST',
        url: '/api/sign-in',
        payload: { operatorId: operator, password: 'correct horse battery staple' },
      }),
    );
    const reply = (sessionId: string) =>
      workspace.inject({
        method: 'POST',
        url: `/api/sessions/${sessionId}/messages`,
        headers: { cookie },
        payload: { text: 'It arrives tomorrow.' },
      });
    const answered = await reply(await sessionOf(asked, whatsapp));
    expect(answered.statusCode).toBe(201);
    const refusedProcess = await reply(processSession.sessionId);
    expect(refusedProcess.statusCode).toBe(409);
    expect(refusedProcess.json()).toMatchObject({ error: { type: 'RecipientOptedOut' } });
    const refusedStrict = await reply(await sessionOf(strict, strictWhatsapp));
    expect(refusedStrict.statusCode).toBe(409);
  } finally {
    await workspace.close();
  }
  expect(whatsappTo(asked)).toEqual(['It arrives tomorrow.']);
  expect(whatsappTo(notified)).toEqual(['Your parcel is on its way.']);
  expect(whatsappTo(strict)).toEqual([]);
});

test('a message held for its time is not sent when the customer opts out before it goes', async () => {
  const phone = uniquePhone();
  const held = await harness.client.workflow.start('sendLiveChatMessage', {
    args: [
      {
        liveChatId: liveChat,
        channelId: whatsapp,
        to: { account: phone },
        text: 'Reminder: your appointment is tomorrow.',
        sendAt: new Date(Date.now() + 5_000).toISOString(),
      },
    ],
    taskQueue: harness.taskQueue,
    workflowId: `consent-held-${randomUUID()}`,
  });
  // Prepared and waiting for its time, then the customer says no.
  for (let tries = 0; (await messagesTo(phone)).length === 0; tries++) {
    if (tries > 100) throw new Error('the held message was not prepared');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await customerWritesOnWhatsApp(phone, 'STOP');

  await expect(refusalOf(held.result())).resolves.toMatchObject({
    type: 'RecipientOptedOut',
    details: { reason: 'opted-out', method: 'keyword' },
  });
  expect(whatsappTo(phone)).toEqual([]);
  const reminder = (await messagesTo(phone)).find((m) => m.text.startsWith('Reminder'));
  expect(reminder).toMatchObject({
    status: 'failed',
    failure_reason: 'not sent: the customer opted out before it went',
  });
});
