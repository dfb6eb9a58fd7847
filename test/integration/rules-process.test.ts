/**
 * Rules 14–19 (docs/rules.md) (a message sent by a business process), each proved end to end: the Send
 * Live Chat Message workflow started through the real client on the real Temporal server, its
 * activities against the real PostgreSQL, and the in-memory stand-in providers.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { PermanentDeliveryError } from '../../channels/adapter';
import { formatHistory, getHistory, sendLiveChatMessage } from '../../client';
import type { MessageRow, SessionRow } from '../../db/rows';
import type { SendLiveChatMessageInput } from '../../domain/types';
import { sendLiveChatMessage as sendWorkflow } from '../../workflows';
import { createWorld, uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { expectRefusedWithoutTrace, refusalOf } from '../support/refusals';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.stop());

function send(input: SendLiveChatMessageInput, workflowId = `process-${randomUUID()}`) {
  return sendLiveChatMessage(harness.client, input, { taskQueue: harness.taskQueue, workflowId });
}

async function sessionRow(id: string): Promise<SessionRow> {
  const row = await harness.db<SessionRow>('sessions').where({ id }).first();
  if (!row) throw new Error(`session ${id} is not in the database`);
  return row;
}

async function messageRow(id: string): Promise<MessageRow> {
  const row = await harness.db<MessageRow>('messages').where({ id }).first();
  if (!row) throw new Error(`message ${id} is not in the database`);
  return row;
}

const messagesOf = (sessionId: string) =>
  harness.db<MessageRow>('messages').where({ session_id: sessionId }).orderBy('created_at');

/** What the stand-in providers received for one message (each delivery is one entry). */
const deliveriesOf = (messageId: string) =>
  [
    ...harness.outbox.email.received,
    ...harness.outbox.whatsapp.received,
    ...harness.outbox.telegram.received,
  ].filter((m) => m.messageId === messageId);

const closeSession = (id: string) =>
  harness.db('sessions').where({ id }).update({ state: 'closed', closed_at: harness.db.fn.now() });

test('rule 14: a process sends without an operator to a contact, to an account value, or into a given session', async () => {
  const w = await createWorld(harness.db);

  // To a contact by id and which field (Maria's Account field holds her Telegram chat).
  const byContact = await send({
    liveChatId: w.liveChat,
    channelId: w.telegram,
    to: { contactId: w.maria, field: 'accounts' },
    text: 'Your repair ticket #88 was opened.',
  });
  // To an account value directly, typed with spaces.
  const spaced = `${w.olgaPhone.slice(0, 3)} ${w.olgaPhone.slice(3, 6)} ${w.olgaPhone.slice(6)}`;
  const byAccount = await send({
    liveChatId: w.liveChat,
    channelId: w.whatsapp,
    to: { account: spaced },
    text: 'Your order #1042 is ready for pickup.',
  });
  // Into a given session: the channel comes from the session.
  const bySession = await send({
    liveChatId: w.liveChat,
    to: { sessionId: byAccount.sessionId },
    text: 'We are open until 18:00 today.',
  });

  expect(deliveriesOf(byContact.messageId).map((m) => [m.channel.id, m.to])).toEqual([
    [w.telegram, w.mariaTelegram],
  ]);
  expect(deliveriesOf(byAccount.messageId).map((m) => [m.channel.id, m.to])).toEqual([
    [w.whatsapp, w.olgaPhone],
  ]);
  expect(bySession).toMatchObject({ sessionId: byAccount.sessionId, sessionReused: true, status: 'sent' });
  expect(deliveriesOf(bySession.messageId).map((m) => [m.channel.id, m.to])).toEqual([
    [w.whatsapp, w.olgaPhone],
  ]);

  // The account value was recognised as Olga's; nobody was assigned and no operator wrote.
  expect(await sessionRow(byAccount.sessionId)).toMatchObject({
    contact_id: w.olga,
    account: w.olgaPhone,
    origin: 'process',
    started_by: null,
    assigned_operator_id: null,
  });
  expect(await sessionRow(byContact.sessionId)).toMatchObject({
    contact_id: w.maria,
    assigned_operator_id: null,
  });
  for (const { messageId } of [byContact, byAccount, bySession]) {
    expect(await messageRow(messageId)).toMatchObject({
      author_kind: 'process',
      author_id: null,
      direction: 'outbound',
    });
  }
});

test('rule 15: a messenger message reuses the open session of the account, else opens one; email opens one per subject unless asked to reuse', async () => {
  const w = await createWorld(harness.db);
  const whatsapp = (text: string) =>
    send({ liveChatId: w.liveChat, channelId: w.whatsapp, to: { contactId: w.maria }, text });

  const first = await whatsapp('Your order #7 was shipped.');
  const second = await whatsapp('Your order #7 arrives tomorrow.');
  expect(first.sessionReused).toBe(false);
  expect(second).toMatchObject({ sessionId: first.sessionId, sessionReused: true });
  expect((await messagesOf(first.sessionId)).map((m) => m.text)).toEqual([
    'Your order #7 was shipped.',
    'Your order #7 arrives tomorrow.',
  ]);
  // Once the conversation is closed, the next message opens a new one.
  await closeSession(first.sessionId);
  const third = await whatsapp('Your order #8 was shipped.');
  expect(third.sessionReused).toBe(false);
  expect(third.sessionId).not.toBe(first.sessionId);
  expect(await sessionRow(third.sessionId)).toMatchObject({ state: 'open', origin: 'process' });

  const email = (subject: string, reuseOpenSession?: boolean) =>
    send({
      liveChatId: w.liveChat,
      channelId: w.email,
      to: { contactId: w.maria },
      subject,
      text: `Dear Maria, about: ${subject}.`,
      ...(reuseOpenSession !== undefined ? { reuseOpenSession } : {}),
    });
  const invoice = await email('Invoice #501');
  const delivery = await email('Delivery of order #9');
  expect([invoice.sessionReused, delivery.sessionReused]).toEqual([false, false]);
  expect(delivery.sessionId).not.toBe(invoice.sessionId);
  expect((await sessionRow(invoice.sessionId)).name).toBe('Invoice #501');
  expect((await sessionRow(delivery.sessionId)).name).toBe('Delivery of order #9');
  expect(harness.outbox.email.received.filter((m) => m.to === w.mariaEmail).map((m) => m.subject)).toEqual([
    'Invoice #501',
    'Delivery of order #9',
  ]);

  // Asked to reuse: into the open session of that address that was active last.
  const reminder = await email('Delivery of order #9: reminder', true);
  expect(reminder).toMatchObject({ sessionId: delivery.sessionId, sessionReused: true });
  expect(await harness.db('sessions').where({ channel_id: w.email })).toHaveLength(2);
});

test('rule 16: the author is the system, or the user who started the process if they serve that live chat', async () => {
  const w = await createWorld(harness.db);
  const request = (author?: SendLiveChatMessageInput['author']): SendLiveChatMessageInput => ({
    liveChatId: w.liveChat,
    channelId: w.telegram,
    to: { contactId: w.maria },
    text: 'Your subscription was renewed.',
    ...(author ? { author } : {}),
  });

  const bySystem = await send(request());
  const byOperator = await send(request({ kind: 'user', userId: w.online }));
  const bySupervisor = await send(request({ kind: 'user', userId: w.supervisor }));
  expect((await messageRow(bySystem.messageId)).author_id).toBeNull();
  expect((await messageRow(byOperator.messageId)).author_id).toBe(w.online);
  expect((await messageRow(bySupervisor.messageId)).author_id).toBe(w.supervisor);
  const history = await getHistory(harness.db, bySupervisor.sessionId);
  if (!history) throw new Error('no history');
  expect(formatHistory(history)).toContain('for Sofia Rossi');

  // Otto is an operator, but of another live chat; a user id nobody has is no author either.
  for (const userId of [w.stranger, `nobody-${randomUUID()}`]) {
    const refusal = await expectRefusedWithoutTrace(harness, () => send(request({ kind: 'user', userId })));
    expect(refusal).toMatchObject({
      type: 'NotAllowedAuthor',
      nonRetryable: true,
      details: { userId, liveChatId: w.liveChat },
    });
  }
});

test('rule 17: a process message is in the history operators see, marked as sent by the process, with its delivery status', async () => {
  const w = await createWorld(harness.db);
  const workflowId = `order-1042-ready-${randomUUID()}`;
  const handle = await harness.client.workflow.start(sendWorkflow, {
    taskQueue: harness.taskQueue,
    workflowId,
    args: [
      {
        liveChatId: w.liveChat,
        channelId: w.whatsapp,
        to: { contactId: w.maria },
        text: 'Your order #{{number}} is ready for pickup.',
        variables: { number: 1042 },
      },
    ],
  });
  const result = await handle.result();

  const history = await getHistory(harness.db, result.sessionId);
  if (!history) throw new Error('no history');
  expect(history.messages).toEqual([
    expect.objectContaining({
      id: result.messageId,
      direction: 'outbound',
      author_kind: 'process',
      process_workflow_id: workflowId,
      process_run_id: handle.firstExecutionRunId,
      text: 'Your order #1042 is ready for pickup.',
      status: 'sent',
      provider_message_id: expect.stringMatching(/^recorded-/),
      sent_at: expect.any(Date),
    }),
  ]);
  expect(formatHistory(history)).toMatch(new RegExp(`process ${workflowId}\\s+\\[sent\\]`));
  expect(deliveriesOf(result.messageId)).toHaveLength(1);

  // A provider's permanent refusal is shown too, with its reason; the process hears of it as
  // DeliveryFailed, and the provider was asked once.
  const providerSend = jest
    .spyOn(harness.outbox.telegram, 'send')
    .mockRejectedValueOnce(new PermanentDeliveryError('Forbidden: bot was blocked by the user'));
  try {
    const refusal = await refusalOf(
      send({
        liveChatId: w.liveChat,
        channelId: w.telegram,
        to: { contactId: w.maria },
        text: 'Your order shipped.',
      }),
    );
    expect(refusal).toMatchObject({
      type: 'DeliveryFailed',
      nonRetryable: true,
      details: { reason: 'Forbidden: bot was blocked by the user' },
    });
    expect(providerSend).toHaveBeenCalledTimes(1);
    const failed = await getHistory(harness.db, String(refusal.details.sessionId));
    if (!failed) throw new Error('no history');
    expect(failed.messages).toEqual([
      expect.objectContaining({
        id: refusal.details.messageId,
        author_kind: 'process',
        status: 'failed',
        failure_reason: 'Forbidden: bot was blocked by the user',
      }),
    ]);
    expect(formatHistory(failed)).toContain('Forbidden: bot was blocked by the user');
  } finally {
    providerSend.mockRestore();
  }
});

test('rule 18: a process gets a typed, non-retryable failure for rules 4, 9, 10, 11 and 12, and nothing half-made is left', async () => {
  const w = await createWorld(harness.db);
  const base = { liveChatId: w.liveChat, text: 'Your order #1042 is ready for pickup.' };
  const cases: { rule: number; input: SendLiveChatMessageInput; type: string }[] = [
    {
      rule: 4,
      input: { ...base, channelId: w.whatsapp, to: { account: w.mariaEmail } },
      type: 'AccountKindMismatch',
    },
    {
      rule: 4,
      input: { ...base, channelId: w.email, to: { contactId: w.maria, field: 'accounts' } },
      type: 'AccountKindMismatch',
    },
    {
      rule: 9,
      input: { ...base, channelId: w.telegram, to: { contactId: w.olga } },
      type: 'TelegramChatUnknown',
    },
    {
      rule: 10,
      input: { ...base, channelId: w.whatsapp, to: { account: '015123456789' } },
      type: 'InvalidPhoneNumber',
    },
    {
      rule: 11,
      input: { ...base, channelId: w.email, to: { contactId: w.olga } },
      type: 'ContactHasNoAccount',
    },
    {
      rule: 12,
      input: { ...base, channelId: w.widget, to: { contactId: w.maria } },
      type: 'ChannelCannotInitiate',
    },
    {
      rule: 12,
      input: { ...base, channelId: w.widget, to: { account: 'visitor-42' } },
      type: 'ChannelCannotInitiate',
    },
    // Too long for WhatsApp (1600) though not for the 4096 limit checked first: it is only known
    // once the channel is, after the session would have been opened. No empty session may remain.
    {
      rule: 18,
      input: { ...base, channelId: w.whatsapp, to: { account: uniquePhone() }, text: 'x'.repeat(1601) },
      type: 'MessageTooLong',
    },
  ];
  for (const { rule, input, type } of cases) {
    const refusal = await expectRefusedWithoutTrace(harness, () => send(input));
    expect({ rule, ...refusal }).toMatchObject({
      rule,
      type,
      nonRetryable: true,
      activityType: 'prepareMessage',
      retryState: 'NON_RETRYABLE_FAILURE',
    });
  }

  // Rule 11 for a process: an address in a field of type Account serves email as well.
  const peter = await send({
    ...base,
    channelId: w.email,
    to: { contactId: w.peter },
    subject: 'Order #1042',
  });
  expect(deliveriesOf(peter.messageId).map((m) => m.to)).toEqual([w.peterEmail]);
});

const onlyMessageWithKey = async (key: string): Promise<MessageRow> => {
  const rows = await harness.db<MessageRow>('messages').where({ idempotency_key: key });
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (!row) throw new Error(`no message with key ${key}`);
  return row;
};

test('rule 19: the same workflow id started again after it completed sends once: one message in the history, one delivery', async () => {
  const w = await createWorld(harness.db);
  const workflowId = `order-2001-ready-${randomUUID()}`;
  const options = {
    taskQueue: harness.taskQueue,
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  };
  const input: SendLiveChatMessageInput = {
    liveChatId: w.liveChat,
    channelId: w.whatsapp,
    to: { contactId: w.maria },
    text: 'Your order #2001 is ready for pickup.',
  };

  const first = await harness.client.workflow.execute(sendWorkflow, { ...options, args: [input] });
  const second = await harness.client.workflow.execute(sendWorkflow, { ...options, args: [input] });

  expect(second).toEqual(first);
  const message = await onlyMessageWithKey(`workflow:${workflowId}`);
  expect(message).toMatchObject({ id: first.messageId, status: 'sent' });
  expect(await messagesOf(first.sessionId)).toHaveLength(1);
  expect(deliveriesOf(first.messageId)).toHaveLength(1);
});

test('rule 19: one idempotency key given to several processes at once sends once: one message in the history, one delivery', async () => {
  const w = await createWorld(harness.db);
  const idempotencyKey = `order-3003-ready-${randomUUID()}`;
  const input: SendLiveChatMessageInput = {
    liveChatId: w.liveChat,
    channelId: w.email,
    to: { contactId: w.maria },
    subject: 'Order #3003',
    text: 'Your order #3003 is ready for pickup.',
    idempotencyKey,
  };

  const results = await Promise.all([send(input), send(input), send(input)]);

  const message = await onlyMessageWithKey(idempotencyKey);
  expect(results.map((r) => r.messageId)).toEqual([message.id, message.id, message.id]);
  expect(results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  expect(await harness.db('sessions').where({ channel_id: w.email, account: w.mariaEmail })).toHaveLength(1);
  expect(deliveriesOf(message.id)).toHaveLength(1);
});
