/**
 * Attachments end to end, on the real Temporal server and PostgreSQL, through the real SDKs to the
 * provider stand-ins: each channel delivers the bytes (their SHA-256 checked where they arrive), a
 * file is stored once however often it is sent, and every refusal is typed and leaves nothing behind.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createEmailAdapter } from '../../channels/email';
import { createTelegramAdapter } from '../../channels/telegram';
import { createWhatsAppAdapter } from '../../channels/whatsapp';
import { formatHistory, getHistory, sendLiveChatMessage } from '../../client';
import { createDb, type Db } from '../../db/knex';
import type { AttachmentInput, SendLiveChatMessageInput } from '../../domain/types';
import { loadProviderConfig } from '../../config/providers';
import { startSmtpStandIn, type SmtpStandIn } from '../../dev/sandbox/smtp-stand-in';
import { startTelegramStandIn, type TelegramStandIn } from '../../dev/sandbox/telegram-stand-in';
import { newSid, TwilioStandIn } from '../../dev/sandbox/twilio-stand-in';
import { mediaRoutes } from '../../server/media';
import { messageById } from '../../server/operators/queries';
import { messageView } from '../../server/operators/views';
import { createWebhookServer } from '../../server/webhook-server';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { countRows, createWorld, uniquePhone, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf, type Refusal } from '../support/refusals';

const ACCOUNT_SID = newSid('AC');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const BOT_TOKEN = '7012345678:AAH-attachments-bot-token_Qw3';
const MEDIA_SECRET = randomBytes(32).toString('base64url');
const BUSINESS_NUMBER = '+4930901820';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** Bytes of a file no other test sends, so "stored once" counts only this test's rows. */
const fileBytes = (size: number, head = '%PDF-1.7\n'): Buffer =>
  Buffer.concat([Buffer.from(head), randomBytes(Math.max(0, size - head.length))]);
const inline = (filename: string, bytes: Buffer, contentType?: string): AttachmentInput => ({
  filename,
  content: bytes.toString('base64'),
  ...(contentType ? { contentType } : {}),
});

/** Files served over HTTP for attachments given by URL. */
interface Served {
  body: Buffer;
  contentType: string;
  /** Sent without Content-Length (chunked), so only counting the bytes can stop it. */
  chunked?: boolean;
  /** Declares this length and sends only the start of the body, then waits: a huge file. */
  declaredLength?: number;
  /** Answers 302 to this URL instead. */
  redirectTo?: string;
  /** Answers this status (e.g. 503) the first `times` times it is asked, then serves the file. */
  failing?: { status: number; times: number };
}

let smtp: SmtpStandIn;
let twilioStandIn: TwilioStandIn;
let telegram: TelegramStandIn;
let webhookDb: Db;
let webhooks: FastifyInstance;
let webhookUrl: string;
let fileServer: http.Server;
let filesUrl: string;
const files = new Map<string, Served>();
/** Every path the file server was asked for. */
const fetched: string[] = [];
let harness: Harness;
let world: World;

beforeAll(async () => {
  smtp = await startSmtpStandIn();
  twilioStandIn = new TwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  await twilioStandIn.start();
  telegram = await startTelegramStandIn({ token: BOT_TOKEN });

  fileServer = http.createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://files').pathname);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    fetched.push(req.url ?? '');
    if (file.failing && file.failing.times > 0) {
      file.failing.times--;
      res.writeHead(file.failing.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    if (file.redirectTo !== undefined) {
      res.writeHead(302, { location: file.redirectTo }).end();
      return;
    }
    if (file.declaredLength !== undefined) {
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.declaredLength) });
      res.write(file.body.subarray(0, 1024));
      req.socket.once('close', () => res.destroy());
      return;
    }
    res.writeHead(200, {
      'content-type': file.contentType,
      ...(file.chunked ? {} : { 'content-length': String(file.body.length) }),
    });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => fileServer.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;

  // The server is its own process in production, with its own pool: so here.
  const databaseUrl = process.env.LIVECHAT_TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('LIVECHAT_TEST_DATABASE_URL is not set: run through jest integration');
  webhookDb = createDb(databaseUrl, { poolMax: 2 });
  webhooks = await createWebhookServer({ db: webhookDb, providers: loadProviderConfig({}) }, [
    twilioWebhookRoutes({ authToken: AUTH_TOKEN, publicBaseUrl: () => webhookUrl }),
    mediaRoutes({ secret: MEDIA_SECRET }),
  ]);
  webhookUrl = await webhooks.listen({ host: '127.0.0.1', port: 0 });

  harness = await startHarness({
    // A file server that keeps failing refuses the message at the third attempt (1 s + 2 s of backoff).
    attachmentFetchAttempts: 3,
    channels: {
      email: createEmailAdapter({ smtpUrl: smtp.url }),
      whatsapp: createWhatsAppAdapter({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        apiUrl: twilioStandIn.url,
        media: { baseUrl: webhookUrl, secret: MEDIA_SECRET },
      }),
      telegram: createTelegramAdapter({ botToken: BOT_TOKEN, apiUrl: telegram.url }),
    },
  });
  world = await createWorld(harness.db);
  await harness
    .db('channels')
    .where({ id: world.whatsapp })
    .update({ settings: { from: BUSINESS_NUMBER } });
  telegram.knowChat(world.mariaTelegram, { first_name: 'Maria' });
});

afterAll(async () => {
  await harness?.stop();
  await webhooks?.close();
  await webhookDb?.destroy();
  await new Promise<void>((resolve) => (fileServer ? fileServer.close(() => resolve()) : resolve()));
  fileServer?.closeAllConnections();
  await Promise.all([smtp?.stop(), twilioStandIn?.stop(), telegram?.stop()]);
});

function send(
  input: Omit<SendLiveChatMessageInput, 'liveChatId'>,
  workflowId = `attachments-${randomUUID()}`,
) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: world.liveChat, ...input },
    { taskQueue: harness.taskQueue, workflowId },
  );
}

function serve(path: string, file: Served): string {
  files.set(path, file);
  return `${filesUrl}${path}`;
}

async function count(table: string, where: Record<string, unknown> = {}): Promise<number> {
  const rows = await harness.db(table).where(where).count<{ count: string }[]>('* as count');
  return Number(rows[0]?.count ?? 0);
}

/** Everything a refusal must leave as it was: rows, stored files, and what reached the providers. */
async function footprint() {
  return {
    rows: await countRows(harness.db),
    attachments: await count('attachments'),
    links: await count('message_attachments'),
    email: smtp.received.length,
    whatsapp: twilioStandIn.attempts.length,
    telegram: telegram.calls.length,
  };
}

async function refusedWithoutTrace(input: Omit<SendLiveChatMessageInput, 'liveChatId'>): Promise<Refusal> {
  const before = await footprint();
  const refusal = await refusalOf(send(input));
  expect(await footprint()).toEqual(before);
  expect(refusal.nonRetryable).toBe(true);
  expect(refusal.activityType).toBe('prepareMessage');
  return refusal;
}

/** A customer who wrote on WhatsApp a moment ago: inside the 24-hour window media may be sent. */
async function whatsAppCustomerWhoWrote(): Promise<string> {
  const phone = uniquePhone();
  const answer = await twilioStandIn.sendInbound(`${webhookUrl}/webhooks/twilio/${world.whatsapp}/inbound`, {
    from: phone,
    to: BUSINESS_NUMBER,
    body: 'Please send me the contract.',
  });
  expect(answer.status).toBe(200);
  return phone;
}

test('email: inline and fetched files arrive as attachments with their bytes, and the history shows them', async () => {
  const contract = fileBytes(40_000);
  const terms = fileBytes(300_000, 'Terms and conditions\n');
  const termsUrl = serve(`/docs/${randomUUID()}/terms.txt`, { body: terms, contentType: 'text/plain' });

  const result = await send({
    channelId: world.email,
    to: { contactId: world.maria },
    subject: 'Your contract',
    text: 'Here is the contract for review.',
    attachments: [inline('contract.pdf', contract), { url: termsUrl }],
  });

  expect(result.status).toBe('sent');
  const mail = smtp.received.find((m) => m.subject === 'Your contract' && m.to.includes(world.mariaEmail));
  expect(mail?.text?.trim()).toBe('Here is the contract for review.');
  expect(mail?.attachments).toEqual([
    {
      filename: 'contract.pdf',
      contentType: 'application/pdf',
      size: contract.length,
      sha256: sha256(contract),
    },
    { filename: 'terms.txt', contentType: 'text/plain', size: terms.length, sha256: sha256(terms) },
  ]);

  // Operators see the names and sizes, in the workspace's API and on the command line.
  const record = await messageById(harness.db, result.messageId);
  if (!record) throw new Error('the message is not in the history');
  const download = `/api/sessions/${record.session_id}/messages/${record.id}/attachments`;
  expect(messageView(record, { temporalNamespace: 'default' }).attachments).toEqual([
    {
      position: 0,
      filename: 'contract.pdf',
      contentType: 'application/pdf',
      size: contract.length,
      url: `${download}/0`,
    },
    {
      position: 1,
      filename: 'terms.txt',
      contentType: 'text/plain',
      size: terms.length,
      url: `${download}/1`,
    },
  ]);
  const history = await getHistory(harness.db, result.sessionId);
  if (!history) throw new Error('no history');
  expect(formatHistory(history)).toContain(
    `attached: contract.pdf (${contract.length.toLocaleString('en-US')} bytes, application/pdf)`,
  );
});

test('WhatsApp: Twilio fetches the file from our signed media URL and gets its bytes; the URL cannot be altered', async () => {
  const phone = await whatsAppCustomerWhoWrote();
  const contract = fileBytes(120_000);

  const result = await send({
    channelId: world.whatsapp,
    to: { account: phone },
    text: 'The contract for review.',
    attachments: [inline('contract.pdf', contract)],
  });

  expect(result.status).toBe('sent');
  const received = twilioStandIn.received.filter((m) => m.to === `whatsapp:${phone}`);
  expect(received).toHaveLength(1);
  const [media] = received[0]?.media ?? [];
  expect(media).toMatchObject({
    status: 200,
    contentType: 'application/pdf',
    size: contract.length,
    sha256: sha256(contract),
  });
  expect(media?.contentDisposition).toContain('filename="contract.pdf"');
  expect(received[0]?.body).toBe('The contract for review.');

  // The same URL with its position, expiry or signature changed gives nothing away.
  const url = new URL(media?.url ?? '');
  const other = new URL(url);
  other.pathname = other.pathname.replace(/\/0$/, '/1');
  const later = new URL(url);
  later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
  const unsigned = new URL(url);
  unsigned.searchParams.delete('signature');
  for (const forged of [other, later, unsigned]) {
    const response = await fetch(forged);
    expect(response.status).toBe(403);
    expect(Buffer.from(await response.arrayBuffer()).includes(contract.subarray(0, 64))).toBe(false);
  }
});

test('Telegram: one file goes as a document with the text as its caption; a long text goes first, then the files as one album', async () => {
  const chatId = world.mariaTelegram;
  const invoice = fileBytes(10_000);
  const first = await send({
    channelId: world.telegram,
    to: { contactId: world.maria },
    text: 'Your invoice.',
    attachments: [inline('invoice.pdf', invoice)],
  });
  expect(first.status).toBe('sent');
  expect(telegram.sentTo(chatId).at(-1)).toMatchObject({
    text: 'Your invoice.',
    upload: { filename: 'invoice.pdf', size: invoice.length, sha256: sha256(invoice) },
  });

  const longText = `Please read carefully. ${'The terms apply. '.repeat(70)}`;
  expect(longText.length).toBeGreaterThan(1024);
  const a = fileBytes(5_000);
  const b = fileBytes(7_000);
  const before = telegram.sentTo(chatId).length;
  const second = await send({
    channelId: world.telegram,
    to: { contactId: world.maria },
    text: longText,
    attachments: [inline('a.pdf', a), inline('b.pdf', b)],
  });
  expect(second.status).toBe('sent');
  const sent = telegram.sentTo(chatId).slice(before);
  expect(sent.map((m) => [m.text, m.upload?.sha256, m.mediaGroupId !== undefined])).toEqual([
    [longText, undefined, false],
    ['', sha256(a), true],
    ['', sha256(b), true],
  ]);
  expect(sent[1]?.mediaGroupId).toBe(sent[2]?.mediaGroupId);
});

test('the same file in two messages is stored once, and linked from both', async () => {
  const brochure = fileBytes(20_000);
  const digest = sha256(brochure);
  for (const name of ['brochure.pdf', 'brochure-again.pdf']) {
    await send({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'Our brochure.',
      attachments: [inline(name, brochure)],
    });
  }
  expect(await count('attachments', { sha256: digest })).toBe(1);
  expect(
    (await harness.db('message_attachments').where({ attachment_sha256: digest }).orderBy('filename')).map(
      (l: { filename: string }) => l.filename,
    ),
  ).toEqual(['brochure-again.pdf', 'brochure.pdf']);
});

test('a repeated request (same workflow id) stores its files once and delivers once', async () => {
  const offer = fileBytes(15_000);
  const workflowId = `attachments-repeat-${randomUUID()}`;
  const request = {
    channelId: world.email,
    to: { contactId: world.maria },
    subject: `Offer ${workflowId}`,
    text: 'Our offer.',
    attachments: [inline('offer.pdf', offer)],
  };
  const first = await send(request, workflowId);
  const linksAfterFirst = await count('message_attachments');
  const again = await send(request, workflowId);

  expect(again.messageId).toBe(first.messageId);
  expect(await count('message_attachments')).toBe(linksAfterFirst);
  expect(await count('message_attachments', { message_id: first.messageId })).toBe(1);
  expect(await count('attachments', { sha256: sha256(offer) })).toBe(1);
  expect(smtp.received.filter((m) => m.subject === `Offer ${workflowId}`)).toHaveLength(1);
});

describe('refusals: typed, before anything is stored or sent', () => {
  test('inline content over 256 KiB: AttachmentTooLarge, pointing to a URL', async () => {
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'Too big to inline.',
      attachments: [inline('big.pdf', fileBytes(256 * 1024 + 1))],
    });
    expect(refusal.type).toBe('AttachmentTooLarge');
    expect(refusal.details).toMatchObject({
      filename: 'big.pdf',
      size: 256 * 1024 + 1,
      scope: 'inline-file',
    });
    expect(refusal.message).toContain('by url');
  });

  test('email: a fetched file over 10 MiB (sent without a length) is stopped and refused', async () => {
    const url = serve(`/big/${randomUUID()}/scan.pdf`, {
      body: fileBytes(10 * 1024 * 1024 + 1),
      contentType: 'application/pdf',
      chunked: true,
    });
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'The scan.',
      attachments: [{ url }],
    });
    expect(refusal.type).toBe('AttachmentTooLarge');
    expect(refusal.details).toMatchObject({
      filename: 'scan.pdf',
      limit: 10 * 1024 * 1024,
      scope: 'file',
      channelKind: 'email',
    });
    expect(refusal.details.size as number).toBeGreaterThan(10 * 1024 * 1024);
  });

  test('Telegram: a file declared larger than 50 MB is refused without downloading it', async () => {
    const url = serve(`/huge/${randomUUID()}/video.mp4`, {
      body: fileBytes(4096),
      contentType: 'video/mp4',
      declaredLength: 50_000_001,
    });
    const refusal = await refusedWithoutTrace({
      channelId: world.telegram,
      to: { contactId: world.maria },
      text: 'The video.',
      attachments: [{ url }],
    });
    expect(refusal.type).toBe('AttachmentTooLarge');
    expect(refusal.details).toMatchObject({ size: 50_000_001, limit: 50_000_000, channelKind: 'telegram' });
    expect(refusal.message).toContain('at most 50 MB');
  });

  test('WhatsApp: an image over 5 MB, two files, and a type Twilio does not take', async () => {
    const phone = await whatsAppCustomerWhoWrote();
    const photo = serve(`/img/${randomUUID()}/photo.png`, {
      body: fileBytes(5_000_001, '\x89PNG\r\n'),
      contentType: 'image/png',
    });
    const tooLarge = await refusedWithoutTrace({
      channelId: world.whatsapp,
      to: { account: phone },
      text: 'The photo.',
      attachments: [{ url: photo }],
    });
    expect(tooLarge.type).toBe('AttachmentTooLarge');
    expect(tooLarge.details).toMatchObject({
      limit: 5_000_000,
      contentType: 'image/png',
      channelKind: 'whatsapp',
    });

    const two = await refusedWithoutTrace({
      channelId: world.whatsapp,
      to: { account: phone },
      text: 'Two files.',
      attachments: [inline('a.pdf', fileBytes(100)), inline('b.pdf', fileBytes(100))],
    });
    expect(two.type).toBe('TooManyAttachments');
    expect(two.details).toEqual({ count: 2, max: 1, channelKind: 'whatsapp' });

    const text = await refusedWithoutTrace({
      channelId: world.whatsapp,
      to: { account: phone },
      text: 'Notes.',
      attachments: [inline('notes.txt', Buffer.from('plain notes'))],
    });
    expect(text.type).toBe('AttachmentTypeNotAllowed');
    expect(text.details).toMatchObject({ filename: 'notes.txt', contentType: 'text/plain' });
  });

  test('more than 10 files: TooManyAttachments', async () => {
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'Eleven files.',
      attachments: Array.from({ length: 11 }, (_, i) => inline(`f${i}.txt`, Buffer.from(`file ${i}`))),
    });
    expect(refusal.type).toBe('TooManyAttachments');
    expect(refusal.details).toEqual({ count: 11, max: 10 });
  });

  test.each([
    ['bad base64', { filename: 'a.pdf', content: 'this is not base64' }, 'attachments.0.content'],
    ['an empty filename', { filename: ' ', content: 'JVBERg==' }, 'attachments.0.filename'],
    ['an ftp URL', { url: 'ftp://files.example/contract.pdf' }, 'attachments.0.url'],
    ['not a URL', { url: 'contract.pdf' }, 'attachments.0.url'],
  ])('%s: InvalidInput naming the field', async (_, attachment, path) => {
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'With a broken file.',
      attachments: [attachment as AttachmentInput],
    });
    expect(refusal.type).toBe('InvalidInput');
    expect((refusal.details.issues as { path: string }[]).map((i) => i.path)).toContain(path);
  });

  test('a URL that answers 404: AttachmentUnavailable', async () => {
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'A missing file.',
      attachments: [{ url: `${filesUrl}/missing/contract.pdf` }],
    });
    expect(refusal.type).toBe('AttachmentUnavailable');
    expect(refusal.details).toMatchObject({ status: 404 });
  });

  test('a URL on a host the worker is not allowed to fetch from, or a redirect to one: refused, nothing fetched there', async () => {
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'From elsewhere.',
      attachments: [{ url: 'http://169.254.169.254/latest/meta-data/' }],
    });
    expect(refusal.type).toBe('AttachmentUnavailable');
    expect(refusal.message).toContain('169.254.169.254 is not one');

    const target = `http://localhost:${new URL(filesUrl).port}/secret.pdf`;
    files.set('/moved/contract.pdf', {
      body: Buffer.alloc(0),
      contentType: 'text/plain',
      redirectTo: target,
    });
    files.set('/secret.pdf', { body: Buffer.from('%PDF secret'), contentType: 'application/pdf' });
    const redirected = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'Moved.',
      attachments: [{ url: `${filesUrl}/moved/contract.pdf` }],
    });
    expect(redirected.type).toBe('AttachmentUnavailable');
    expect(redirected.message).toContain('localhost is not one');
    expect(fetched).toContain('/moved/contract.pdf');
    expect(fetched).not.toContain('/secret.pdf');
  });

  test('a file server that answers 503 is asked again; one that keeps failing refuses the message at the last attempt', async () => {
    const pdf = Buffer.from('%PDF-1.7 flaky but there');
    files.set('/flaky/contract.pdf', {
      body: pdf,
      contentType: 'application/pdf',
      failing: { status: 503, times: 1 },
    });
    const sent = await send({
      channelId: world.email,
      to: { contactId: world.maria },
      subject: 'Your contract',
      text: 'Here it is.',
      attachments: [{ url: `${filesUrl}/flaky/contract.pdf` }],
    });
    expect(sent.status).toBe('sent');
    expect(fetched.filter((p) => p === '/flaky/contract.pdf')).toHaveLength(2);

    files.set('/down/contract.pdf', {
      body: pdf,
      contentType: 'application/pdf',
      failing: { status: 503, times: 99 },
    });
    const refusal = await refusedWithoutTrace({
      channelId: world.email,
      to: { contactId: world.maria },
      text: 'From a server that is down.',
      attachments: [{ url: `${filesUrl}/down/contract.pdf` }],
    });
    expect(refusal.type).toBe('AttachmentUnavailable');
    expect(refusal.message).toContain('kept failing (3 attempts');
    expect(fetched.filter((p) => p === '/down/contract.pdf')).toHaveLength(3);
  });
});
