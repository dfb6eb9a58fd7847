// The email channel end to end: the real worker on the real Temporal server and PostgreSQL, real
// nodemailer against the SMTP stand-in, and inbound mail through the webhook server.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter } from '../../channels/adapter';
import { createEmailAdapter } from '../../channels/email';
import { sendLiveChatMessage } from '../../client';
import type { MessageRow } from '../../db/rows';
import { loadProviderConfig } from '../../config/providers';
import { startSmtpStandIn, type SmtpStandIn } from '../../dev/sandbox/smtp-stand-in';
import { createWebhookServer } from '../../server/webhook-server';
import { EMAIL_WEBHOOK_SECRET_HEADER, emailWebhookRoutes } from '../../channels/email/webhook';
import { countRows, createWorld, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';

const FROM = 'support@shop.example';
const secret = randomBytes(24).toString('hex');

let standIn: SmtpStandIn;
let email: ChannelAdapter;
let harness: Harness;
let world: World;
let app: FastifyInstance;

beforeAll(async () => {
  standIn = await startSmtpStandIn();
  email = createEmailAdapter({ smtpUrl: standIn.url, poolMax: 2 });
  harness = await startHarness({ channels: { email } });
  world = await createWorld(harness.db);
  // The sender address is channel configuration (non-secret), like an administrator sets it.
  await harness
    .db('channels')
    .where({ id: world.email })
    .update({ settings: { from: `Tech Support <${FROM}>` } });
  app = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}) }, [
    emailWebhookRoutes({ secret }),
  ]);
});
afterAll(async () => {
  await app?.close();
  await harness?.stop();
  await email?.close?.();
  await standIn?.stop();
});
afterEach(() => standIn.faults.reset());

/** An address no other test uses, so each test reads only its own mail from the stand-in. */
const uniqueAddress = (label: string) => `${label}.${randomUUID().slice(0, 8)}@example.net`;
const mailTo = (address: string) => standIn.received.filter((mail) => mail.envelope.rcptTo.includes(address));
const answersTo = (address: string) => standIn.attempts.filter((a) => a.to === address).map((a) => a.code);
const message = (id: string): Promise<MessageRow | undefined> =>
  harness.db<MessageRow>('messages').where({ id }).first();

function send(input: Omit<Parameters<typeof sendLiveChatMessage>[1], 'liveChatId'>, workflowId: string) {
  return sendLiveChatMessage(
    harness.client,
    { liveChatId: world.liveChat, ...input },
    { taskQueue: harness.taskQueue, workflowId },
  );
}

/** A customer's mail as an inbound-parse service forwards it: raw MIME, CRLF line ends. */
function rawReply(options: {
  from: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  subject: string;
  text: string;
}): string {
  const headers = [
    `From: Customer <${options.from}>`,
    `To: Tech Support <${FROM}>`,
    `Subject: ${options.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${options.messageId}`,
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`] : []),
    ...(options.references ? [`References: ${options.references.join(' ')}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return [...headers, '', options.text, '', '> the quoted original', ''].join('\r\n');
}

function postMail(
  channelId: string,
  raw: string,
  headers: Record<string, string> = { [EMAIL_WEBHOOK_SECRET_HEADER]: secret },
) {
  return app.inject({
    method: 'POST',
    url: `/webhooks/email/${channelId}`,
    headers: { 'content-type': 'message/rfc822', ...headers },
    payload: raw,
  });
}

async function dispatchEvents(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'dispatchMessage',
  );
  const id = scheduled?.eventId;
  const ofDispatch = (scheduledEventId: unknown) => id != null && String(scheduledEventId) === String(id);
  return {
    started: events.filter((e) => ofDispatch(e.activityTaskStartedEventAttributes?.scheduledEventId)),
    failed: events.filter((e) => ofDispatch(e.activityTaskFailedEventAttributes?.scheduledEventId)),
  };
}

test('a process message is delivered once, with its subject and the Message-ID recorded as the provider id', async () => {
  const result = await send(
    {
      channelId: world.email,
      to: { contactId: world.maria },
      subject: 'Your order #1042',
      text: 'Your order #1042 is ready for pickup.',
    },
    `email-order-${world.maria}`,
  );

  expect(result).toMatchObject({ status: 'sent', sessionReused: false });
  const row = await message(result.messageId);
  expect(row).toMatchObject({
    status: 'sent',
    direction: 'outbound',
    author_kind: 'process',
    subject: 'Your order #1042',
    provider_message_id: `<${result.messageId}@shop.example>`,
    failure_reason: null,
  });
  expect(mailTo(world.mariaEmail)).toEqual([
    expect.objectContaining({
      messageId: row?.provider_message_id,
      from: FROM,
      to: [world.mariaEmail],
      subject: 'Your order #1042',
      text: 'Your order #1042 is ready for pickup.\n',
      contentType: 'text/plain',
      inReplyTo: undefined,
      references: [],
    }),
  ]);
});

test("the customer's reply lands in the same session, and the next process message threads under it", async () => {
  const first = await send(
    {
      channelId: world.email,
      to: { contactId: world.peter },
      subject: 'Delivery slot',
      text: 'Does 10:00 suit you?',
    },
    `email-slot-${world.peter}`,
  );
  const ourId = `<${first.messageId}@shop.example>`;
  const replyId = `<reply-${randomUUID()}@mail.example.org>`;
  const raw = rawReply({
    from: world.peterEmail,
    messageId: replyId,
    inReplyTo: ourId,
    references: [ourId],
    subject: 'Re: Delivery slot',
    text: 'Yes, 10:00 is fine.',
  });

  const response = await postMail(world.email, raw);
  expect(response.statusCode).toBe(200);
  const recorded = response.json<{ sessionId: string; messageId: string; duplicate: boolean }>();
  expect(recorded).toEqual({ sessionId: first.sessionId, messageId: expect.any(String), duplicate: false });
  expect(await message(recorded.messageId)).toMatchObject({
    session_id: first.sessionId,
    direction: 'inbound',
    author_kind: 'customer',
    text: 'Yes, 10:00 is fine.',
    full_text: 'Yes, 10:00 is fine.\n\n> the quoted original',
    subject: 'Re: Delivery slot',
    provider_message_id: replyId,
    status: 'delivered',
  });

  // The provider delivering the same mail again records nothing new.
  const again = await postMail(world.email, raw);
  expect(again.json()).toEqual({ ...recorded, duplicate: true });
  expect(
    await harness
      .db('messages')
      .where({ session_id: first.sessionId })
      .count<{ count: string }[]>('* as count'),
  ).toEqual([{ count: '2' }]);

  const second = await send(
    { to: { sessionId: first.sessionId }, text: 'See you at 10:00.' },
    `email-slot-2-${world.peter}`,
  );
  expect(second).toMatchObject({ sessionId: first.sessionId, sessionReused: true, status: 'sent' });
  const mails = mailTo(world.peterEmail);
  expect(mails).toHaveLength(2);
  expect(mails[1]).toMatchObject({
    messageId: `<${second.messageId}@shop.example>`,
    subject: 'Delivery slot',
    inReplyTo: replyId,
    references: [ourId, replyId],
  });
});

test('a mail citing our Message-ID from another address does not enter that session', async () => {
  const first = await send(
    {
      channelId: world.email,
      to: { account: uniqueAddress('thread') },
      subject: 'Invoice',
      text: 'Your invoice.',
    },
    `email-thread-${randomUUID()}`,
  );
  const ourId = `<${first.messageId}@shop.example>`;
  const response = await postMail(
    world.email,
    rawReply({
      from: uniqueAddress('intruder'),
      messageId: `<intruder-${randomUUID()}@mail.example.org>`,
      inReplyTo: ourId,
      subject: 'Re: Invoice',
      text: 'Let me in.',
    }),
  );
  expect(response.statusCode).toBe(200);
  const { sessionId } = response.json<{ sessionId: string }>();
  expect(sessionId).not.toBe(first.sessionId);
  expect(await harness.db('sessions').where({ id: sessionId }).first()).toMatchObject({ origin: 'customer' });
});

test('a transient refusal (451) is retried and the message is delivered once', async () => {
  const address = uniqueAddress('greylisted');
  standIn.faults.failNext(1, { code: 451, message: '4.7.1 Greylisted, try again later' });
  const workflowId = `email-451-${randomUUID()}`;

  const result = await send(
    { channelId: world.email, to: { account: address }, text: 'Your parcel has shipped.' },
    workflowId,
  );

  expect(result.status).toBe('sent');
  expect(answersTo(address)).toEqual([451, 250]);
  expect(mailTo(address)).toHaveLength(1);
  expect(await message(result.messageId)).toMatchObject({ status: 'sent', failure_reason: null });
  const { started, failed } = await dispatchEvents(harness.client.workflow.getHandle(workflowId));
  expect(failed).toHaveLength(0);
  expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([2]);
});

test('a permanent refusal (550) fails the message once, visibly, with a typed failure and no retry', async () => {
  const address = uniqueAddress('unknown-mailbox');
  standIn.faults.failNext(1, { code: 550, message: '5.1.1 Mailbox unavailable' });
  const workflowId = `email-550-${randomUUID()}`;

  const error: unknown = await send(
    { channelId: world.email, to: { account: address }, text: 'Your parcel has shipped.' },
    workflowId,
  ).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activityFailure = (error as WorkflowFailedError).cause;
  expect(activityFailure).toBeInstanceOf(ActivityFailure);
  const failure = activityFailure?.cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({
    type: 'DeliveryFailed',
    nonRetryable: true,
    message: expect.stringContaining('550 5.1.1 Mailbox unavailable'),
  });

  const rows = await harness.db<MessageRow>('messages').where({ process_workflow_id: workflowId });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'failed', provider_message_id: null });
  expect(rows[0]?.failure_reason).toContain('550 5.1.1 Mailbox unavailable');
  expect(mailTo(address)).toEqual([]);
  expect(answersTo(address)).toEqual([550]);
  const { started, failed } = await dispatchEvents(harness.client.workflow.getHandle(workflowId));
  expect(failed).toHaveLength(1);
  expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
});

/** A bounce from a receiving mail server (RFC 3464), returning the headers of our message. */
function rawBounce(options: { recipient: string; returnedMessageId: string }): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
    `To: ${FROM}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <bounce-${randomUUID()}@mx.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'I could not deliver your message.',
    '',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Final-Recipient: rfc822; ${options.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${options.recipient}>: Recipient address rejected: User unknown`,
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    `From: Tech Support <${FROM}>`,
    `To: ${options.recipient}`,
    `Message-ID: ${options.returnedMessageId}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

test('a bounce after the server accepted the message marks it failed and adds nothing to the history', async () => {
  const address = uniqueAddress('bounced');
  const result = await send(
    { channelId: world.email, to: { account: address }, text: 'Your parcel has shipped.' },
    `email-bounce-${randomUUID()}`,
  );
  expect(result.status).toBe('sent');
  const ourId = `<${result.messageId}@shop.example>`;
  const before = await countRows(harness.db);

  // A report naming another recipient cannot touch this message.
  const misdirected = await postMail(
    world.email,
    rawBounce({ recipient: uniqueAddress('someone-else'), returnedMessageId: ourId }),
  );
  expect(misdirected.statusCode).toBe(200);
  expect(misdirected.json()).toEqual({
    deliveryReport: { providerMessageId: ourId, status: null, updated: false },
  });
  expect(await message(result.messageId)).toMatchObject({ status: 'sent' });

  const bounced = await postMail(world.email, rawBounce({ recipient: address, returnedMessageId: ourId }));
  expect(bounced.statusCode).toBe(200);
  expect(bounced.json()).toEqual({
    deliveryReport: { providerMessageId: ourId, status: 'failed', updated: true },
  });
  const row = await message(result.messageId);
  expect(row).toMatchObject({ status: 'failed' });
  expect(row?.failure_reason).toContain('550 5.1.1');

  const repeated = await postMail(world.email, rawBounce({ recipient: address, returnedMessageId: ourId }));
  expect(repeated.json()).toMatchObject({ deliveryReport: { updated: false } });
  expect(await countRows(harness.db)).toEqual(before);
});

test('inbound mail without the shared secret, or with a wrong one, is refused and nothing is stored', async () => {
  const raw = rawReply({
    from: world.mariaEmail,
    messageId: `<forged-${randomUUID()}@mail.example.org>`,
    subject: 'Hello',
    text: 'Forged.',
  });
  const before = await countRows(harness.db);

  const missing = await postMail(world.email, raw, {});
  const wrong = await postMail(world.email, raw, {
    [EMAIL_WEBHOOK_SECRET_HEADER]: `${secret.slice(0, -1)}x`,
  });
  const empty = await postMail(world.email, raw, { [EMAIL_WEBHOOK_SECRET_HEADER]: '' });

  for (const response of [missing, wrong, empty]) {
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { type: 'Unauthorized' } });
  }
  expect(await countRows(harness.db)).toEqual(before);
});

test('inbound mail for an unknown or non-email channel, or that cannot be read, is refused with a typed error', async () => {
  const raw = rawReply({
    from: world.mariaEmail,
    messageId: `<misrouted-${randomUUID()}@mail.example.org>`,
    subject: 'Hello',
    text: 'Hi.',
  });
  const before = await countRows(harness.db);

  const unknown = await postMail('no-such-channel', raw);
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json()).toMatchObject({ error: { type: 'ChannelNotFound' } });

  const whatsapp = await postMail(world.whatsapp, raw);
  expect(whatsapp.statusCode).toBe(404);
  expect(whatsapp.json()).toMatchObject({ error: { type: 'ChannelNotFound' } });

  const badSender = await postMail(world.email, raw.replace(`<${world.mariaEmail}>`, '<not-an-address>'));
  expect(badSender.statusCode).toBe(400);
  expect(badSender.json()).toMatchObject({ error: { type: 'InvalidEmail' } });

  const asJson = await app.inject({
    method: 'POST',
    url: `/webhooks/email/${world.email}`,
    headers: { [EMAIL_WEBHOOK_SECRET_HEADER]: secret },
    payload: { raw },
  });
  expect(asJson.statusCode).toBe(415);

  expect(await countRows(harness.db)).toEqual(before);
});
