// The mail corpus (test/fixtures/mail/): mails shaped as Gmail, Outlook, Yahoo and Apple Mail write
// replies, Russian charsets, HTML-only mail, attachments, and bounces from SES and sendmail. Each
// lands with readable text and its files, the same way through the webhook (raw MIME, and an
// inbound-parse form) and through IMAP (a Dovecot of the test's own); operators download the files.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter } from '../../channels/adapter';
import { createEmailAdapter } from '../../channels/email';
import { startImapReader, type ImapReader } from '../../channels/email/imap-reader';
import { EMAIL_WEBHOOK_SECRET_HEADER, emailWebhookRoutes } from '../../channels/email/webhook';
import { sendLiveChatMessage } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import type { MessageRow } from '../../db/rows';
import { startSmtpStandIn, type SmtpStandIn } from '../../dev/sandbox/smtp-stand-in';
import { createWebhookServer } from '../../server/webhook-server';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { startHarness, type Harness } from '../support/harness';
import { startWorkspace, type Workspace } from '../support/workspace';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'mail');
const secret = randomBytes(24).toString('hex');

interface Case {
  file: string;
  /** A reply to our message (lands in its session), a new mail (opens one), or a bounce. */
  kind: 'reply' | 'new' | 'bounce';
  text?: string;
  /** Something of the quoted history, kept in the full text. */
  quoted?: string;
  subject?: string;
  files?: { filename: string; contentType: string; size: number; magic: string }[];
  reason?: string;
}

const CORPUS: Case[] = [
  {
    file: 'gmail-reply.eml',
    kind: 'reply',
    text: 'Yes, 10:00 is fine. I will be at home.',
    quoted: '> Does 10:00 suit you?',
    subject: 'Re: Delivery slot',
  },
  {
    file: 'outlook-reply.eml',
    kind: 'reply',
    text: 'Hello,\n\ncould we move it to 11:00? I have a meeting at 10.\n\nBest regards\nPeter Novak',
    quoted: 'Sent: Monday, December 1, 2026 6:02 PM',
    subject: 'RE: Delivery slot',
  },
  {
    file: 'yahoo-reply.eml',
    kind: 'reply',
    text: 'Thank you, see you then.',
    quoted: 'On Monday, December 1, 2026 at 06:02:11 PM GMT+1',
  },
  {
    file: 'apple-mail-reply.eml',
    kind: 'reply',
    text: 'Perfect — thanks!\n\nSent from my iPhone',
    quoted: '> On 1 Dec 2026, at 18:02, Tech Support',
  },
  {
    file: 'koi8-r-reply.eml',
    kind: 'reply',
    text: 'Здравствуйте!\n\nДа, 10:00 подходит. Спасибо.',
    quoted: 'Tech Support пишет:',
  },
  {
    file: 'windows-1251-reply.eml',
    kind: 'reply',
    text: 'Добрый день,\n\nпрошу перенести доставку на среду.\n\nС уважением,\nПётр',
    quoted: 'Отправлено: 1 декабря 2026 г. 18:02',
    subject: 'RE: Доставка',
  },
  {
    file: 'html-only.eml',
    kind: 'new',
    text: 'Hello,\n\nmy kettle (order #1042) stopped working after two days.\n\n * Model: K-200\n * Colour: red\n\nThanks, Peter',
    subject: 'Broken kettle',
  },
  {
    file: 'attachments.eml',
    kind: 'reply',
    text: 'Here are the receipt, a photo of the box and the label.',
    files: [
      { filename: 'receipt 1042.pdf', contentType: 'application/pdf', size: 193, magic: '%PDF-' },
      { filename: 'box.png', contentType: 'image/png', size: 70, magic: '\u0089PNG' },
      { filename: 'этикетка.gif', contentType: 'image/gif', size: 43, magic: 'GIF89a' },
    ],
  },
  { file: 'dsn-ses.eml', kind: 'bounce', reason: 'the mail bounced: 550 5.1.1 user unknown' },
  {
    file: 'dsn-sendmail.eml',
    kind: 'bounce',
    reason: 'the mail bounced: 550 5.7.1 Mailbox disabled for this recipient',
  },
];

let dovecot: Dovecot;
let standIn: SmtpStandIn;
let email: ChannelAdapter;
let harness: Harness;
let workspace: Workspace;
let webhooks: FastifyInstance;
let reader: ImapReader;
let imapUser: string;

beforeAll(async () => {
  dovecot = await startDovecot();
  standIn = await startSmtpStandIn();
  email = createEmailAdapter({ smtpUrl: standIn.url, poolMax: 2 });
  harness = await startHarness({ channels: { email } });
  workspace = await startWorkspace(harness);
  await harness
    .db('channels')
    .where({ id: workspace.world.email })
    .update({ settings: { from: 'Tech Support <support@shop.example>' } });
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    emailWebhookRoutes({ secret }),
  ]);
  imapUser = (await dovecot.addUser(`corpus-${randomUUID().slice(0, 8)}`)).user;
  reader = startImapReader({
    db: harness.db,
    channelId: workspace.world.email,
    mailbox: dovecot.plainMailbox(imapUser),
    pollMs: 500,
    leaseMs: 3_000,
    retryDelayMs: 200,
  });
});
afterAll(async () => {
  await reader?.stop();
  await webhooks?.close();
  await workspace?.app.close();
  await harness?.stop();
  await email?.close?.();
  await standIn?.stop();
  await dovecot?.dispose();
});

/** The fixture's bytes with this run's addresses and ids (placeholders are ASCII: bytes stay bytes). */
function fixture(file: string, values: Record<string, string>): Buffer {
  let text = readFileSync(path.join(FIXTURES, file), 'latin1');
  for (const [name, value] of Object.entries(values)) text = text.split(`{{${name}}}`).join(value);
  return Buffer.from(text, 'latin1');
}

const deliveries = {
  webhook: async (raw: Buffer) => {
    const response = await webhooks.inject({
      method: 'POST',
      url: `/webhooks/email/${workspace.world.email}`,
      headers: { 'content-type': 'message/rfc822', [EMAIL_WEBHOOK_SECRET_HEADER]: secret },
      payload: raw,
    });
    expect(response.statusCode).toBe(200);
  },
  // As SendGrid's Inbound Parse posts with "POST the raw, full MIME message" on (HTTP Basic auth
  // in the URL carries the secret: the service cannot add headers).
  'inbound-parse form': async (raw: Buffer) => {
    const boundary = `----form${randomUUID()}`;
    const field = (name: string, value: Buffer | string) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
        Buffer.isBuffer(value) ? value : Buffer.from(value),
        Buffer.from('\r\n'),
      ]);
    const payload = Buffer.concat([
      field('to', 'support@shop.example'),
      field('charsets', '{"to":"UTF-8","from":"UTF-8"}'),
      field('email', raw),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const response = await webhooks.inject({
      method: 'POST',
      url: `/webhooks/email/${workspace.world.email}`,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        authorization: `Basic ${Buffer.from(`inbound:${secret}`).toString('base64')}`,
      },
      payload,
    });
    expect(response.statusCode).toBe(200);
  },
  imap: async (raw: Buffer) => {
    await dovecot.append(imapUser, raw);
  },
};

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(Object.keys(deliveries) as (keyof typeof deliveries)[])('through %s', (way) => {
  test.each(CORPUS)('$file', async (c) => {
    const world = workspace.world;
    const ours = await sendLiveChatMessage(
      harness.client,
      {
        liveChatId: world.liveChat,
        channelId: world.email,
        to: { contactId: world.peter },
        subject: 'Delivery slot',
        text: 'Does 10:00 suit you?',
      },
      { taskQueue: harness.taskQueue, workflowId: `corpus-${randomUUID()}` },
    );
    const messageId = `<corpus-${randomUUID()}@mail.example.org>`;
    const raw = fixture(c.file, {
      CUSTOMER: world.peterEmail,
      MESSAGE_ID: messageId,
      OUR_MESSAGE_ID: `<${ours.messageId}@shop.example>`,
    });
    await deliveries[way](raw);

    if (c.kind === 'bounce') {
      const failed = await until('the bounce', async () => {
        const row = await harness.db<MessageRow>('messages').where({ id: ours.messageId }).first();
        return row?.status === 'failed' ? row : undefined;
      });
      expect(failed.failure_reason).toBe(c.reason);
      expect(await harness.db('messages').where({ provider_message_id: messageId }).first()).toBeUndefined();
      return;
    }

    const row = await until('the mail', () =>
      harness.db<MessageRow>('messages').where({ provider_message_id: messageId }).first(),
    );
    const cookie = await workspace.signIn(world.online);
    const history = await workspace.call('GET', `/api/sessions/${row.session_id}/messages`, { cookie });
    expect(history.statusCode).toBe(200);
    const view = history
      .json<{
        messages: {
          id: string;
          text: string;
          fullText: string | null;
          subject: string | null;
          attachments: { filename: string; contentType: string; size: number; url: string }[];
        }[];
      }>()
      .messages.find((m) => m.id === row.id);
    if (!view) throw new Error('the message is not in the history operators see');

    if (c.kind === 'reply') expect(row.session_id).toBe(ours.sessionId);
    else expect(row.session_id).not.toBe(ours.sessionId);
    expect(view.text).toBe(c.text);
    if (c.quoted !== undefined) {
      expect(view.fullText).toContain(c.text?.split('\n')[0]);
      expect(view.fullText).toContain(c.quoted);
    } else {
      expect(view.fullText).toBeNull();
    }
    if (c.subject !== undefined) expect(view.subject).toBe(c.subject);
    expect(
      view.attachments.map(({ filename, contentType, size }) => ({ filename, contentType, size })),
    ).toEqual((c.files ?? []).map(({ filename, contentType, size }) => ({ filename, contentType, size })));
    for (const [i, file] of (c.files ?? []).entries()) {
      const url = view.attachments[i]?.url ?? '';
      const download = await workspace.call('GET', url, { cookie });
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toBe(file.contentType);
      expect(download.headers['content-disposition']).toMatch(/^attachment;/);
      expect(download.rawPayload.length).toBe(file.size);
      expect(download.rawPayload.subarray(0, file.magic.length).toString('latin1')).toBe(file.magic);
      const stored = await harness
        .db('message_attachments')
        .where({ message_id: row.id, position: i })
        .first();
      expect(stored.attachment_sha256).toBe(createHash('sha256').update(download.rawPayload).digest('hex'));
      // An operator of another live chat learns nothing of it.
      const stranger = await workspace.signIn(world.stranger);
      expect((await workspace.call('GET', url, { cookie: stranger })).statusCode).toBe(403);
    }
  });
});

test('a form without the raw message is refused with a clear error, and nothing is recorded', async () => {
  const boundary = 'xyz';
  const response = await webhooks.inject({
    method: 'POST',
    url: `/webhooks/email/${workspace.world.email}`,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      [EMAIL_WEBHOOK_SECRET_HEADER]: secret,
    },
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--${boundary}--\r\n`,
  });
  expect(response.statusCode).toBe(400);
  expect(response.json()).toMatchObject({
    error: { type: 'InvalidInput', message: expect.stringContaining('raw') },
  });
});

test('a form without the secret is refused before it is read', async () => {
  const response = await webhooks.inject({
    method: 'POST',
    url: `/webhooks/email/${workspace.world.email}`,
    headers: {
      'content-type': 'multipart/form-data; boundary=b',
      authorization: `Basic ${Buffer.from('inbound:wrong-secret-123456').toString('base64')}`,
    },
    payload: '--b--\r\n',
  });
  expect(response.statusCode).toBe(401);
});
