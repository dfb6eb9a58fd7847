import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createWhatsAppAdapter, twilioMediaFetcher, twilioWebhookRoutes } from '../../channels/whatsapp';
import { sendLiveChatMessage } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import { applyConfig } from '../../db/apply-config';
import { createDb, type Db } from '../../db/knex';
import type { MessageRow, SessionRow } from '../../db/rows';
import { newSid, TwilioStandIn } from '../../dev/sandbox/twilio-stand-in';
import { fetchInboundFiles } from '../../inbound/inbound-files';
import { messagesOfSessions } from '../../server/operators/queries';
import { messageView } from '../../server/operators/views';
import { createWebhookServer } from '../../server/webhook-server';
import { uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

const ACCOUNT_SID = newSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BUSINESS_NUMBER = '+4930901821';

let standIn: TwilioStandIn;
let webhookDb: Db;
let webhooks: FastifyInstance;
let webhookUrl: string;
let harness: Harness;
const errors: unknown[] = [];
const s = randomUUID().slice(0, 8);
const liveChatId = `wa-in-${s}`;
const channelId = `wa-in-channel-${s}`;
const fetcher = () =>
  twilioMediaFetcher({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiUrl: standIn.url });

beforeAll(async () => {
  standIn = new TwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  await standIn.start();
  const databaseUrl = process.env.LIVECHAT_TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('LIVECHAT_TEST_DATABASE_URL is not set: run through jest integration');
  webhookDb = createDb(databaseUrl, { poolMax: 2 });
  webhooks = await createWebhookServer({ db: webhookDb, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({
      authToken: AUTH_TOKEN,
      publicBaseUrl: () => webhookUrl,
      mediaFetcher: fetcher(),
      onError: (error) => errors.push(error),
    }),
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
        id: liveChatId,
        name: 'WhatsApp inbound',
        channels: [
          { id: channelId, kind: 'whatsapp', name: 'WhatsApp', settings: { from: BUSINESS_NUMBER } },
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

const inboundUrl = () => `${webhookUrl}/webhooks/twilio/${channelId}/inbound`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function inboundMessage(phone: string): Promise<MessageRow> {
  const session = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: channelId, account: phone })
    .first();
  if (!session) throw new Error(`no session for ${phone}`);
  const messages = await harness
    .db<MessageRow>('messages')
    .where({ session_id: session.id, direction: 'inbound' });
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

async function storedFiles(messageId: string) {
  return harness
    .db('message_attachments as ma')
    .join('attachments as a', 'a.sha256', 'ma.attachment_sha256')
    .where('ma.message_id', messageId)
    .orderBy('ma.position')
    .select('ma.position', 'ma.filename', 'ma.content_type', 'a.sha256', 'a.size', 'a.content');
}

async function operatorView(messageId: string) {
  const message = await harness.db<MessageRow>('messages').where({ id: messageId }).first();
  const records = await messagesOfSessions(harness.db, [message!.session_id]);
  const record = records.find((r) => r.id === messageId);
  return messageView(record!, { temporalNamespace: 'default' });
}

test("a customer's WhatsApp media is fetched from Twilio with the account's credentials and stored by SHA-256", async () => {
  const phone = uniquePhone();
  const photo = randomBytes(40_000);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(5_000)]);

  const answer = await standIn.sendInbound(inboundUrl(), {
    from: phone,
    to: BUSINESS_NUMBER,
    body: 'Here is the broken part and my receipt',
    media: [
      { contentType: 'image/jpeg', content: photo },
      { contentType: 'application/pdf', content: pdf, filename: 'receipt.pdf' },
    ],
  });

  expect(answer.status).toBe(200);
  const message = await inboundMessage(phone);
  expect(message.text).toBe('Here is the broken part and my receipt');
  const files = await storedFiles(message.id);
  expect(files.map((f) => [f.position, f.filename, f.content_type, f.sha256, Number(f.size)])).toEqual([
    [0, 'whatsapp-1.jpg', 'image/jpeg', sha256(photo), photo.length],
    [1, 'receipt.pdf', 'application/pdf', sha256(pdf), pdf.length],
  ]);
  expect(Buffer.compare(files[0].content as Buffer, photo)).toBe(0);
  // Basic auth to Twilio's API, which redirects to its CDN; the credentials never go to the CDN.
  const paths = answer.mediaUrls.map((u) => new URL(u).pathname);
  const apiRequests = standIn.mediaRequests.filter((r) => r.where === 'api' && paths.includes(r.path));
  expect(apiRequests.map((r) => [r.authorization, r.status])).toEqual([
    [true, 307],
    [true, 307],
  ]);
  expect(standIn.mediaRequests.filter((r) => r.where === 'cdn').every((r) => !r.authorization)).toBe(true);
  const view = await operatorView(message.id);
  expect(view.attachments).toEqual([
    expect.objectContaining({ filename: 'whatsapp-1.jpg', contentType: 'image/jpeg', size: photo.length }),
    expect.objectContaining({ filename: 'receipt.pdf', contentType: 'application/pdf', size: pdf.length }),
  ]);
  expect(view.unstoredFiles).toEqual([]);

  // Twilio delivering the webhook again changes nothing: one message, the same files.
  await standIn.sendInbound(inboundUrl(), {
    from: phone,
    to: BUSINESS_NUMBER,
    body: 'Here is the broken part and my receipt',
    messageSid: answer.messageSid,
  });
  expect((await storedFiles((await inboundMessage(phone)).id)).map((f) => f.sha256)).toEqual([
    sha256(photo),
    sha256(pdf),
  ]);
});

test('media Twilio cannot give at once is kept pending and fetched by the retry; deleted media fails visibly', async () => {
  const phone = uniquePhone();
  const voice = randomBytes(12_000);
  standIn.failMediaNext(1, 503);

  const answer = await standIn.sendInbound(inboundUrl(), {
    from: phone,
    to: BUSINESS_NUMBER,
    body: '',
    media: [{ contentType: 'audio/ogg', content: voice }],
  });

  // The message is recorded regardless; the operator sees a file on its way.
  expect(answer.status).toBe(200);
  const message = await inboundMessage(phone);
  expect(message.text).toBe('(1 attachment)');
  expect(await storedFiles(message.id)).toEqual([]);
  expect((await operatorView(message.id)).unstoredFiles).toEqual([
    expect.objectContaining({ position: 0, state: 'pending', contentType: 'audio/ogg' }),
  ]);

  // The server's retry loop, once the backoff has passed.
  const later = () => new Date(Date.now() + 10 * 60_000);
  expect(
    await fetchInboundFiles(harness.db, { whatsapp: fetcher() }, { messageId: message.id, now: later }),
  ).toEqual({
    stored: 1,
    failed: 0,
    retrying: 0,
  });
  expect((await storedFiles(message.id)).map((f) => f.sha256)).toEqual([sha256(voice)]);

  // Media deleted at Twilio before we could fetch it: 404, given up at once, with the reason shown.
  const other = uniquePhone();
  standIn.failMediaNext(1, 404);
  await standIn.sendInbound(inboundUrl(), {
    from: other,
    to: BUSINESS_NUMBER,
    body: 'photo',
    media: [{ contentType: 'image/png', content: randomBytes(100) }],
  });
  const lost = await inboundMessage(other);
  expect((await operatorView(lost.id)).unstoredFiles).toEqual([
    expect.objectContaining({ state: 'failed', failureReason: expect.stringContaining('404') }),
  ]);
});

test('a MediaUrl outside our Twilio account is never fetched: our credentials go nowhere else', async () => {
  const refused = twilioMediaFetcher({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiUrl: standIn.url });
  const before = standIn.mediaRequests.length;
  for (const source of [
    `http://127.0.0.2:1/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM1/Media/ME1`,
    `${standIn.url}/2010-04-01/Accounts/${newSid('AC')}/Messages/MM1/Media/ME1`,
    'not a url',
  ]) {
    await expect(
      refused({
        message_id: randomUUID(),
        position: 0,
        source,
        content_type: null,
        filename: null,
        declared_size: null,
        state: 'pending',
        attempts: 1,
        next_attempt_at: new Date(),
        failure_reason: null,
        stored_at: null,
      }),
    ).rejects.toMatchObject({ name: 'InboundFileRefused' });
  }
  expect(standIn.mediaRequests.length).toBe(before);
});

test("a status callback's ChannelStatusMessage and ErrorCode are kept on the message and shown to operators", async () => {
  const phone = uniquePhone();
  await standIn.sendInbound(inboundUrl(), { from: phone, to: BUSINESS_NUMBER, body: 'Hello' });
  standIn.failDeliveryNext(1, {
    status: 'undelivered',
    code: 63032,
    message: 'User opted out of marketing messages',
    channelStatusMessage: "Message failed to send because the user's WhatsApp account is restricted",
  });

  const result = await sendLiveChatMessage(
    harness.client,
    { liveChatId, channelId, to: { account: phone }, text: 'Our new collection is here.' },
    { taskQueue: harness.taskQueue, workflowId: `wa-in-status-${s}` },
  );

  let row: MessageRow | undefined;
  for (let i = 0; i < 300; i++) {
    row = await harness.db<MessageRow>('messages').where({ id: result.messageId }).first();
    if (row?.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(row).toMatchObject({
    status: 'failed',
    failure_reason: 'User opted out of marketing messages (Twilio error 63032)',
    provider_status_message: "Message failed to send because the user's WhatsApp account is restricted",
    provider_error_code: '63032',
  });
  expect(await operatorView(result.messageId)).toMatchObject({
    providerStatusMessage: "Message failed to send because the user's WhatsApp account is restricted",
    providerErrorCode: '63032',
  });
  expect(errors).toEqual([]);
});
