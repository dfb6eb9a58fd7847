import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { createWhatsAppAdapter } from '../../channels/whatsapp';
import { sendLiveChatMessage } from '../../client';
import { applyConfig } from '../../db/apply-config';
import { createDb, type Db } from '../../db/knex';
import { insertMessage, markSent } from '../../db/messages';
import type { MessageRow, SessionRow } from '../../db/rows';
import type { DeliveryStatus } from '../../domain/types';
import { loadProviderConfig } from '../../config/providers';
import { newSid, TwilioStandIn } from '../../dev/sandbox/twilio-stand-in';
import { createWebhookServer } from '../../server/webhook-server';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

const ACCOUNT_SID = newSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BUSINESS_NUMBER = '+4930901820';
const TEMPLATE_SID = newSid('HX');

let standIn: TwilioStandIn;
let webhookDb: Db;
let webhooks: FastifyInstance;
let webhookUrl: string;
let harness: Harness;
const s = randomUUID().slice(0, 8);
const ids = {
  liveChat: `wa-support-${s}`,
  /** Free-form only: no template configured. */
  plain: `wa-plain-${s}`,
  /** With an approved template for messages outside the 24-hour window. */
  templated: `wa-templated-${s}`,
};

beforeAll(async () => {
  standIn = new TwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  await standIn.start();

  // The webhook server is its own process in production, with its own connection pool: so here.
  const databaseUrl = process.env.LIVECHAT_TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('LIVECHAT_TEST_DATABASE_URL is not set: run through jest integration');
  webhookDb = createDb(databaseUrl, { poolMax: 2 });
  webhooks = await createWebhookServer({ db: webhookDb, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: AUTH_TOKEN, publicBaseUrl: () => webhookUrl }),
  ]);
  webhookUrl = await webhooks.listen({ host: '127.0.0.1', port: 0 });

  harness = await startHarness({
    channels: {
      whatsapp: createWhatsAppAdapter({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        apiUrl: standIn.url,
        statusCallbackUrl: webhookUrl,
      }),
    },
  });
  await applyConfig(harness.db, {
    liveChats: [
      {
        id: ids.liveChat,
        name: 'WhatsApp Support',
        channels: [
          { id: ids.plain, kind: 'whatsapp', name: 'WhatsApp', settings: { from: BUSINESS_NUMBER } },
          {
            id: ids.templated,
            kind: 'whatsapp',
            name: 'WhatsApp (templates)',
            settings: { from: BUSINESS_NUMBER, templateContentSid: TEMPLATE_SID },
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await standIn?.stop();
  await harness?.stop();
  await webhooks?.close();
  await webhookDb?.destroy();
});

afterEach(() => standIn.faults.reset());

const inboundUrl = (channelId: string) => `${webhookUrl}/webhooks/twilio/${channelId}/inbound`;
const statusUrl = (channelId: string) => `${webhookUrl}/webhooks/twilio/${channelId}/status`;
const receivedBy = (phone: string) => standIn.received.filter((m) => m.to === `whatsapp:${phone}`);
const attemptsFor = (phone: string) => standIn.attempts.filter((a) => a.to === `whatsapp:${phone}`);

function send(channelId: string, phone: string, text: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: ids.liveChat, channelId, to: { account: phone }, text },
    { taskQueue: harness.taskQueue, workflowId: `wa-${randomUUID()}` },
  );
}

async function messageRow(id: string): Promise<MessageRow> {
  const row = await harness.db<MessageRow>('messages').where({ id }).first();
  if (!row) throw new Error(`message ${id} does not exist`);
  return row;
}

/** Polls until the message has one of these statuses; a bounded wait, not a timing assertion. */
async function statusReaches(id: string, wanted: DeliveryStatus[], limitMs = 30_000): Promise<MessageRow> {
  const until = Date.now() + limitMs;
  for (;;) {
    const row = await messageRow(id);
    if (wanted.includes(row.status) || Date.now() > until) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The customer writes to the business: opens the 24-hour window and the session. */
async function customerWrites(channelId: string, phone: string, body: string) {
  const answer = await standIn.sendInbound(inboundUrl(channelId), { from: phone, to: BUSINESS_NUMBER, body });
  expect(answer).toMatchObject({ status: 200, body: expect.stringContaining('<Response/>') });
  return answer;
}

/** Every session and message of the test's live chat, to show that nothing changed. */
async function snapshot() {
  await standIn.settled();
  const sessions = await harness.db('sessions').where({ live_chat_id: ids.liveChat }).orderBy('id');
  const messages = await harness
    .db('messages')
    .whereIn('session_id', harness.db('sessions').select('id').where({ live_chat_id: ids.liveChat }))
    .orderBy('id');
  return { sessions, messages };
}

test('inside the 24-hour window a process message goes out free-form once and reaches delivered through signed callbacks', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hi, is my order ready?');

  const result = await send(ids.plain, phone, 'Your order #1042 is ready for pickup.');

  expect(result).toMatchObject({ status: 'sent', sessionReused: true });
  const sent = receivedBy(phone);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({
    from: `whatsapp:${BUSINESS_NUMBER}`,
    body: 'Your order #1042 is ready for pickup.',
    contentSid: undefined,
    statusCallback: statusUrl(ids.plain),
  });
  const row = await statusReaches(result.messageId, ['delivered', 'read']);
  expect(row).toMatchObject({ status: 'delivered', provider_message_id: sent[0]?.sid, failure_reason: null });
  // The stand-in signed its callbacks, and our server took every one.
  await standIn.settled();
  const callbacks = standIn.callbacksSent.filter((c) => c.params['MessageSid'] === sent[0]?.sid);
  expect(callbacks.map((c) => [c.params['MessageStatus'], c.responseStatus])).toEqual([
    ['sent', 204],
    ['delivered', 204],
  ]);
});

test("the customer's reply lands in the same open session", async () => {
  const phone = uniquePhone();
  const first = await customerWrites(ids.plain, phone, 'Where is my parcel?');
  const result = await send(ids.plain, phone, 'It left our warehouse this morning.');
  const reply = await customerWrites(ids.plain, phone, 'Thank you!');

  const sessions = await harness.db('sessions').where({ channel_id: ids.plain, account: phone });
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ id: result.sessionId, state: 'open', origin: 'customer' });
  const history = await harness
    .db<MessageRow>('messages')
    .where({ session_id: result.sessionId })
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
  expect(history.map((m) => [m.direction, m.author_kind, m.text, m.provider_message_id])).toEqual([
    ['inbound', 'customer', 'Where is my parcel?', first.messageSid],
    ['outbound', 'process', 'It left our warehouse this morning.', receivedBy(phone)[0]?.sid],
    ['inbound', 'customer', 'Thank you!', reply.messageSid],
  ]);

  // Twilio delivering the same inbound message again records it once.
  const again = await standIn.sendInbound(inboundUrl(ids.plain), {
    from: phone,
    to: BUSINESS_NUMBER,
    body: 'Thank you!',
    messageSid: reply.messageSid,
  });
  expect(again.status).toBe(200);
  expect(await harness.db('messages').where({ session_id: result.sessionId })).toHaveLength(3);
});

test("outside the 24-hour window the channel's approved template is sent instead of free-form text", async () => {
  const phone = uniquePhone(); // a customer who never wrote

  const result = await send(ids.templated, phone, 'Your order #2001 has shipped.');

  const sent = receivedBy(phone);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ contentSid: TEMPLATE_SID, body: undefined });
  expect(JSON.parse(sent[0]?.contentVariables ?? 'null')).toEqual({ '1': 'Your order #2001 has shipped.' });
  expect(await statusReaches(result.messageId, ['delivered'])).toMatchObject({ status: 'delivered' });
});

test("outside the 24-hour window the process's own template and variables are sent, even on a channel without one", async () => {
  const phone = uniquePhone();
  const contentSid = newSid('HX');

  const result = await sendLiveChatMessage(
    harness.client,
    {
      liveChatId: ids.liveChat,
      channelId: ids.plain,
      to: { account: phone },
      text: 'Your order #2002 is ready.',
      whatsappTemplate: { contentSid, variables: { '1': '#2002', '2': 'Berlin' } },
    },
    { taskQueue: harness.taskQueue, workflowId: `wa-own-template-${randomUUID()}` },
  );

  const sent = receivedBy(phone);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ contentSid, body: undefined });
  expect(JSON.parse(sent[0]?.contentVariables ?? 'null')).toEqual({ '1': '#2002', '2': 'Berlin' });
  expect(result.status).toBe('sent');
});

test('outside the 24-hour window without a template the message fails once with the reason and the process gets DeliveryFailed', async () => {
  const phone = uniquePhone();
  const workflowId = `wa-no-template-${randomUUID()}`;

  const refusal = await refusalOf(
    sendLiveChatMessage(
      harness.client,
      {
        liveChatId: ids.liveChat,
        channelId: ids.plain,
        to: { account: phone },
        text: 'Your invoice is ready.',
      },
      { taskQueue: harness.taskQueue, workflowId },
    ),
  );

  expect(refusal).toMatchObject({
    type: 'DeliveryFailed',
    nonRetryable: true,
    activityType: 'dispatchMessage',
  });
  expect(refusal.details).toMatchObject({ providerCode: '63016' });
  expect(String(refusal.details['reason'])).toContain("outside WhatsApp's 24-hour window");
  const row = await harness.db<MessageRow>('messages').where({ process_workflow_id: workflowId }).first();
  expect(row).toMatchObject({ status: 'failed', provider_message_id: null });
  expect(row?.failure_reason).toContain('no approved template is configured');
  expect(attemptsFor(phone)).toHaveLength(0);
});

test('a 429 with Retry-After and a 500 are retried, then the message is delivered once', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  standIn.faults.failNext(1, {
    status: 429,
    code: 20429,
    message: 'Too Many Requests',
    retryAfterSeconds: 1,
  });
  standIn.faults.failNext(1, { status: 500, code: 20500, message: 'Internal Server Error' });

  const result = await send(ids.plain, phone, 'Your appointment is confirmed.');

  expect(result.status).toBe('sent');
  expect(attemptsFor(phone).map((a) => [a.status, a.code])).toEqual([
    [429, 20429],
    [500, 20500],
    [201, null],
  ]);
  expect(receivedBy(phone)).toHaveLength(1);
  const row = await statusReaches(result.messageId, ['delivered']);
  expect(row).toMatchObject({ status: 'delivered', provider_message_id: receivedBy(phone)[0]?.sid });
});

test('Twilio took the message but its answer was lost: the retry finds it at Twilio and records it instead of sending again', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  standIn.loseNextAnswers(1);

  const result = await send(ids.plain, phone, 'Your order #1042 is ready.');

  expect(result.status).toBe('sent');
  const sent = receivedBy(phone);
  expect(sent).toHaveLength(1);
  // One create call, whose answer was lost; the retry only asked.
  expect(attemptsFor(phone)).toHaveLength(1);
  const row = await statusReaches(result.messageId, ['delivered']);
  expect(row).toMatchObject({ status: 'delivered', provider_message_id: sent[0]?.sid });
});

test('the same text sent again on purpose still goes out again, even when the second answer is lost', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  const first = await send(ids.plain, phone, 'Reminder: your appointment is tomorrow.');
  standIn.loseNextAnswers(1);
  const second = await send(ids.plain, phone, 'Reminder: your appointment is tomorrow.');

  const sent = receivedBy(phone);
  expect(sent).toHaveLength(2);
  // The earlier message's SID is already recorded: the lookup takes the one no message has.
  expect((await messageRow(first.messageId)).provider_message_id).toBe(sent[0]?.sid);
  expect((await messageRow(second.messageId)).provider_message_id).toBe(sent[1]?.sid);
});

test('a template sent outside the window whose answer was lost is found by its text and not sent twice', async () => {
  const phone = uniquePhone();
  standIn.loseNextAnswers(1);

  const result = await send(ids.templated, phone, 'Your contract is ready for review.');

  expect(result.status).toBe('sent');
  expect(receivedBy(phone)).toHaveLength(1);
  expect(receivedBy(phone)[0]).toMatchObject({ contentSid: TEMPLATE_SID });
  expect((await messageRow(result.messageId)).provider_message_id).toBe(receivedBy(phone)[0]?.sid);
});

test("Twilio's 21211 (invalid To) fails the message once with Twilio's reason and is not retried", async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  const twilioMessage = `Invalid 'To' Phone Number: whatsapp:${phone}`;
  standIn.faults.failNext(1, { status: 400, code: 21211, message: twilioMessage });
  const workflowId = `wa-21211-${randomUUID()}`;

  const refusal = await refusalOf(
    sendLiveChatMessage(
      harness.client,
      { liveChatId: ids.liveChat, channelId: ids.plain, to: { account: phone }, text: 'Your code is 1234.' },
      { taskQueue: harness.taskQueue, workflowId },
    ),
  );

  expect(refusal).toMatchObject({ type: 'DeliveryFailed', nonRetryable: true });
  expect(refusal.details).toMatchObject({ providerCode: '21211', reason: twilioMessage });
  const row = await harness.db<MessageRow>('messages').where({ process_workflow_id: workflowId }).first();
  expect(row).toMatchObject({ status: 'failed', failure_reason: twilioMessage });
  expect(attemptsFor(phone)).toHaveLength(1);
  expect(receivedBy(phone)).toHaveLength(0);
});

test("a delivery failure reported in a status callback marks the message failed with Twilio's reason", async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  standIn.failDeliveryNext(1, { status: 'undelivered', code: 63024, message: 'Invalid message recipient' });

  const result = await send(ids.plain, phone, 'We tried to reach you.');

  const row = await statusReaches(result.messageId, ['failed']);
  expect(row).toMatchObject({
    status: 'failed',
    failure_reason: 'Invalid message recipient (Twilio error 63024)',
  });
});

test('forged and unsigned callbacks and inbound messages are refused with 403 and change nothing', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  const result = await send(ids.plain, phone, 'Your order is on its way.');
  await statusReaches(result.messageId, ['delivered']);
  const sid = receivedBy(phone)[0]?.sid ?? '';
  const readReport = {
    MessageSid: sid,
    MessageStatus: 'read',
    To: `whatsapp:${phone}`,
    From: `whatsapp:${BUSINESS_NUMBER}`,
    AccountSid: ACCOUNT_SID,
  };
  const inbound = {
    MessageSid: newSid('SM'),
    From: `whatsapp:${phone}`,
    To: `whatsapp:${BUSINESS_NUMBER}`,
    Body: 'forged',
    AccountSid: ACCOUNT_SID,
  };
  const otherToken = randomBytes(16).toString('hex');
  const { getExpectedTwilioSignature } = twilio;
  const before = await snapshot();

  const answers = [
    await standIn.postWebhook(statusUrl(ids.plain), readReport, { signature: null }),
    await standIn.postWebhook(statusUrl(ids.plain), readReport, { signature: 'bm90IGEgc2lnbmF0dXJl' }),
    await standIn.postWebhook(statusUrl(ids.plain), readReport, {
      signature: getExpectedTwilioSignature(otherToken, statusUrl(ids.plain), readReport),
    }),
    // Signed, but for another URL: a replay against a different endpoint.
    await standIn.postWebhook(statusUrl(ids.plain), readReport, {
      signature: getExpectedTwilioSignature(AUTH_TOKEN, inboundUrl(ids.plain), readReport),
    }),
    await standIn.postWebhook(inboundUrl(ids.plain), inbound, { signature: null }),
    await standIn.postWebhook(inboundUrl(ids.plain), inbound, {
      signature: getExpectedTwilioSignature(otherToken, inboundUrl(ids.plain), inbound),
    }),
    // Signed for other parameters: the body was changed on the way.
    await standIn.postWebhook(
      inboundUrl(ids.plain),
      { ...inbound, Body: 'changed' },
      { signature: getExpectedTwilioSignature(AUTH_TOKEN, inboundUrl(ids.plain), inbound) },
    ),
  ];

  expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
  expect(await snapshot()).toEqual(before);
  // The same report, correctly signed, is taken: the refusals above were the signatures' doing.
  expect((await standIn.postWebhook(statusUrl(ids.plain), readReport)).status).toBe(204);
  expect(await messageRow(result.messageId)).toMatchObject({ status: 'read' });
});

test('repeated and late status callbacks never move a status backwards', async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  const result = await send(ids.plain, phone, 'Your table is booked.');
  const delivered = await statusReaches(result.messageId, ['delivered']);
  const sid = delivered.provider_message_id ?? '';
  const report = (status: string, extra: Record<string, string> = {}) => ({
    MessageSid: sid,
    MessageStatus: status,
    To: `whatsapp:${phone}`,
    From: `whatsapp:${BUSINESS_NUMBER}`,
    AccountSid: ACCOUNT_SID,
    ...extra,
  });

  for (const late of [
    report('sent'),
    report('delivered'),
    report('queued'),
    report('undelivered', { ErrorCode: '30008' }),
  ]) {
    expect((await standIn.postWebhook(statusUrl(ids.plain), late)).status).toBe(204);
  }

  const after = await messageRow(result.messageId);
  expect(after).toMatchObject({ status: 'delivered', failure_reason: null });
  expect(after.updated_at).toEqual(delivered.updated_at);
});

test("a status callback that comes before the dispatch step stored Twilio's SID is applied once the SID is stored", async () => {
  const phone = uniquePhone();
  await customerWrites(ids.plain, phone, 'Hello');
  const session = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: ids.plain, account: phone })
    .first();
  if (!session) throw new Error('the customer has no session');
  const pending = await insertMessage(harness.db, {
    session_id: session.id,
    direction: 'outbound',
    author_kind: 'process',
    author_id: null,
    process_workflow_id: null,
    process_run_id: null,
    text: 'Racing the callback',
    subject: null,
    idempotency_key: `race-${randomUUID()}`,
  });
  if (!pending) throw new Error('the message was not inserted');
  const sid = newSid('SM');

  // Twilio answers the create call and reports 'delivered' before our step records the SID.
  const callback = standIn.postWebhook(statusUrl(ids.plain), {
    MessageSid: sid,
    MessageStatus: 'delivered',
    To: `whatsapp:${phone}`,
    From: `whatsapp:${BUSINESS_NUMBER}`,
    AccountSid: ACCOUNT_SID,
  });
  // Gives the callback time to reach the server first (ordering only; nothing is timed).
  await new Promise((resolve) => setTimeout(resolve, 300));
  await markSent(harness.db, pending.id, sid, new Date());

  expect((await callback).status).toBe(204);
  expect(await messageRow(pending.id)).toMatchObject({ status: 'delivered', provider_message_id: sid });
});
