/**
 * Rules 1–13 (docs/rules.md) (an operator starts a session), each proved end to end: the Initiate
 * Session workflow on the real Temporal server, its activity against the real PostgreSQL, and the
 * in-memory stand-in providers. Every test makes a world of its own, so tests do not share sessions.
 */
import { randomUUID } from 'node:crypto';
import { getHistory } from '../../client';
import type { MessageRow, SessionRow } from '../../db/rows';
import type { InitiateSessionInput, SendLiveChatMessageInput } from '../../domain/types';
import { initiateSession, sendLiveChatMessage } from '../../workflows';
import { createWorld, uniquePhone } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { expectRefusedWithoutTrace } from '../support/refusals';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.stop());

function initiate(input: InitiateSessionInput) {
  return harness.client.workflow.execute(initiateSession, {
    taskQueue: harness.taskQueue,
    workflowId: `initiate-${randomUUID()}`,
    args: [input],
  });
}

function send(input: SendLiveChatMessageInput) {
  return harness.client.workflow.execute(sendLiveChatMessage, {
    taskQueue: harness.taskQueue,
    workflowId: `process-${randomUUID()}`,
    args: [input],
  });
}

async function sessionRow(id: string): Promise<SessionRow> {
  const row = await harness.db<SessionRow>('sessions').where({ id }).first();
  if (!row) throw new Error(`session ${id} is not in the database`);
  return row;
}

const messagesOf = (sessionId: string) =>
  harness.db<MessageRow>('messages').where({ session_id: sessionId }).orderBy('created_at');

/** What the stand-in provider of a channel kind received for one session. */
const deliveredTo = (kind: 'email' | 'whatsapp' | 'telegram', sessionId: string) =>
  harness.outbox[kind].received.filter((m) => m.sessionId === sessionId);

test('rule 1: an operator whose status is offline cannot create a session', async () => {
  const w = await createWorld(harness.db);
  const request = {
    liveChatId: w.liveChat,
    operatorId: w.offline,
    channelId: w.whatsapp,
    customer: { contactId: w.maria },
    firstMessage: 'Hello Maria, your repair is done.',
  };

  const refusal = await expectRefusedWithoutTrace(harness, () => initiate(request));
  expect(refusal).toMatchObject({
    type: 'OperatorOffline',
    nonRetryable: true,
    activityType: 'startOperatorSession',
    chain: ['WorkflowFailedError', 'ActivityFailure', 'ApplicationFailure'],
    details: { userId: w.offline, status: 'offline' },
  });
  expect(refusal.message).toMatch(/only an online operator can start a new session/);

  // The same operator, once online, makes the very same request: it was the status that was refused.
  await harness.db('operators').where({ id: w.offline }).update({ status: 'online' });
  const started = await initiate(request);
  expect(started.assignedOperatorId).toBe(w.offline);
  expect(deliveredTo('whatsapp', started.sessionId).map((m) => m.text)).toEqual([
    'Hello Maria, your repair is done.',
  ]);
});

test('rule 2: only an operator of that live chat can create a session in it', async () => {
  const w = await createWorld(harness.db);
  const request = (operatorId: string): InitiateSessionInput => ({
    liveChatId: w.liveChat,
    operatorId,
    channelId: w.email,
    customer: { contactId: w.maria },
    subject: 'Your warranty claim',
  });

  // Otto is an online operator, but of the Sales live chat.
  const stranger = await expectRefusedWithoutTrace(harness, () => initiate(request(w.stranger)));
  expect(stranger).toMatchObject({
    type: 'NotAnOperator',
    nonRetryable: true,
    details: { userId: w.stranger, liveChatId: w.liveChat },
  });
  // Sofia supervises Tech Support but is not listed as its operator.
  const supervisor = await expectRefusedWithoutTrace(harness, () => initiate(request(w.supervisor)));
  expect(supervisor).toMatchObject({ type: 'NotAnOperator', details: { userId: w.supervisor } });
  // An operator of Tech Support can.
  const started = await initiate(request(w.online));
  expect((await sessionRow(started.sessionId)).live_chat_id).toBe(w.liveChat);
});

test('rule 3: the customer comes from the bound app, and a contact created on the spot is used at once', async () => {
  const w = await createWorld(harness.db);
  const phone = uniquePhone();
  const typed = `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6, 10)} ${phone.slice(10)}`;

  const started = await initiate({
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.whatsapp,
    customer: { newContact: { name: 'Jonas Keller', accounts: [{ kind: 'phone', value: typed }] } },
    firstMessage: 'Hello Jonas, thanks for visiting our shop today.',
  });

  // The new contact is an item of the live chat's bound app, with the number normalised.
  expect(started.contactId).toEqual(expect.any(String));
  const contact = await harness.db('contacts').where({ id: started.contactId }).first();
  expect(contact).toMatchObject({ app: 'contacts', name: 'Jonas Keller' });
  expect(await harness.db('contact_fields').where({ contact_id: started.contactId })).toEqual([
    expect.objectContaining({ type: 'account', kind: 'phone', value: phone }),
  ]);
  // ... and the session with it was opened and written to at once.
  expect(await sessionRow(started.sessionId)).toMatchObject({
    contact_id: started.contactId,
    account: phone,
  });
  expect(deliveredTo('whatsapp', started.sessionId).map((m) => [m.to, m.text])).toEqual([
    [phone, 'Hello Jonas, thanks for visiting our shop today.'],
  ]);

  // A process can address the new contact by id right away; it lands in the same conversation.
  const followUp = await send({
    liveChatId: w.liveChat,
    channelId: w.whatsapp,
    to: { contactId: started.contactId ?? '' },
    text: 'Your receipt is ready.',
  });
  expect(followUp).toMatchObject({ sessionId: started.sessionId, sessionReused: true });

  // An item of another app is not a customer of this live chat.
  const refusal = await expectRefusedWithoutTrace(harness, () =>
    initiate({
      liveChatId: w.liveChat,
      operatorId: w.online,
      channelId: w.whatsapp,
      customer: { contactId: w.supplier },
    }),
  );
  expect(refusal).toMatchObject({ type: 'ContactNotFound', details: { contactId: w.supplier } });
});

test('rule 4: an account of the wrong kind for the channel is refused, saying which kind was expected', async () => {
  const w = await createWorld(harness.db);
  const base = { liveChatId: w.liveChat, operatorId: w.online };
  const cases: { input: InitiateSessionInput; expected: string; given: string; words: RegExp }[] = [
    {
      input: { ...base, channelId: w.whatsapp, customer: { account: w.mariaEmail } },
      expected: 'phone',
      given: 'email',
      words: /whatsapp channel expects a phone number/,
    },
    {
      input: { ...base, channelId: w.email, customer: { account: '+4915123456789' } },
      expected: 'email',
      given: 'phone',
      words: /email channel expects an email address/,
    },
    {
      input: { ...base, channelId: w.telegram, customer: { account: w.mariaEmail } },
      expected: 'telegram',
      given: 'email',
      words: /telegram channel expects a Telegram chat id/,
    },
    {
      // The contact has a phone, but the operator picked her Email field for WhatsApp.
      input: { ...base, channelId: w.whatsapp, customer: { contactId: w.maria, field: 'email' } },
      expected: 'phone',
      given: 'email',
      words: /expects a phone number/,
    },
  ];
  for (const { input, expected, given, words } of cases) {
    const refusal = await expectRefusedWithoutTrace(harness, () => initiate(input));
    expect(refusal).toMatchObject({
      type: 'AccountKindMismatch',
      nonRetryable: true,
      details: { expected, given },
    });
    expect(refusal.message).toMatch(words);
  }
});

test('rule 5: an email subject names the session; without one the administrator template does', async () => {
  const w = await createWorld(harness.db);
  const request = {
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.email,
    customer: { contactId: w.maria },
    firstMessage: 'Dear Maria, we have received your claim.',
  };

  const withSubject = await initiate({ ...request, subject: '  Warranty claim #3312  ' });
  expect(withSubject.name).toBe('Warranty claim #3312');
  expect((await sessionRow(withSubject.sessionId)).name).toBe('Warranty claim #3312');
  expect(deliveredTo('email', withSubject.sessionId).map((m) => m.subject)).toEqual(['Warranty claim #3312']);

  await harness.db('live_chats').where({ id: w.liveChat }).update({
    session_name_template: '{{liveChat}}: {{contactName}} via {{channel}} on {{date}}',
  });
  const today = () => new Date().toISOString().slice(0, 10);
  const before = today();
  const fromTemplate = await initiate(request);
  const blankSubject = await initiate({ ...request, subject: '   ' });
  const after = today();

  for (const started of [fromTemplate, blankSubject]) {
    const name = (await sessionRow(started.sessionId)).name;
    expect(name).toBe(started.name);
    expect(
      [before, after].map((d) => `Tech Support: Maria Schmidt via support@shop.example on ${d}`),
    ).toContain(name);
  }
});

test('rule 6: the new session is assigned to the operator who created it, who can write at once', async () => {
  const w = await createWorld(harness.db);
  const started = await initiate({
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.telegram,
    customer: { contactId: w.maria },
    firstMessage: 'Hi Maria, Anna from Tech Support here.',
  });

  expect(started.assignedOperatorId).toBe(w.online);
  expect(await sessionRow(started.sessionId)).toMatchObject({
    state: 'open',
    assigned_operator_id: w.online,
    origin: 'operator',
    started_by: w.online,
  });
  expect(started.firstMessage?.status).toBe('sent');
  expect(await messagesOf(started.sessionId)).toEqual([
    expect.objectContaining({
      direction: 'outbound',
      author_kind: 'operator',
      author_id: w.online,
      text: 'Hi Maria, Anna from Tech Support here.',
      status: 'sent',
    }),
  ]);
  expect(deliveredTo('telegram', started.sessionId).map((m) => [m.to, m.text])).toEqual([
    [w.mariaTelegram, 'Hi Maria, Anna from Tech Support here.'],
  ]);
});

test('rule 7: a messenger refuses a second open session for the same account and names the open one', async () => {
  const w = await createWorld(harness.db);
  for (const channelId of [w.whatsapp, w.telegram]) {
    const request = {
      liveChatId: w.liveChat,
      operatorId: w.online,
      channelId,
      customer: { contactId: w.maria },
    };
    const first = await initiate(request);
    const refusal = await expectRefusedWithoutTrace(harness, () => initiate(request));
    expect(refusal).toMatchObject({
      type: 'SessionAlreadyOpen',
      nonRetryable: true,
      details: { sessionId: first.sessionId, sessionName: first.name },
    });
    expect(refusal.message).toContain(first.sessionId);
    expect(refusal.message).toContain(first.name);
  }

  // A session a process opened counts too.
  const byProcess = await send({
    liveChatId: w.liveChat,
    channelId: w.whatsapp,
    to: { contactId: w.olga },
    text: 'Your appointment is confirmed for Monday.',
  });
  const refusal = await expectRefusedWithoutTrace(harness, () =>
    initiate({
      liveChatId: w.liveChat,
      operatorId: w.online,
      channelId: w.whatsapp,
      customer: { contactId: w.olga },
    }),
  );
  expect(refusal).toMatchObject({ type: 'SessionAlreadyOpen', details: { sessionId: byProcess.sessionId } });
});

test('rule 8: email allows a new session while one with the same address is open', async () => {
  const w = await createWorld(harness.db);
  const request = {
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.email,
    customer: { contactId: w.maria },
  };

  const first = await initiate({ ...request, subject: 'Your invoice' });
  const second = await initiate({ ...request, subject: 'Your delivery date' });

  expect(second.sessionId).not.toBe(first.sessionId);
  const sessions = await harness
    .db<SessionRow>('sessions')
    .where({ channel_id: w.email })
    .orderBy('opened_at');
  expect(sessions.map((s) => [s.account, s.state, s.name])).toEqual([
    [w.mariaEmail, 'open', 'Your invoice'],
    [w.mariaEmail, 'open', 'Your delivery date'],
  ]);
});

test('rule 9: Telegram only reaches people who wrote to the bot before, and the system remembers who did', async () => {
  const w = await createWorld(harness.db);
  // Olga's chat id is on her contact, but she never wrote to this bot.
  const request = {
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.telegram,
    customer: { contactId: w.olga },
    firstMessage: 'Hello Olga!',
  };
  const refusal = await expectRefusedWithoutTrace(harness, () => initiate(request));
  expect(refusal).toMatchObject({
    type: 'TelegramChatUnknown',
    nonRetryable: true,
    details: { chatId: w.olgaTelegram, channelId: w.telegram },
  });

  // Maria wrote to this bot, not to the bot of another live chat: that bot cannot reach her.
  const other = await createWorld(harness.db);
  const elsewhere = await expectRefusedWithoutTrace(harness, () =>
    initiate({
      liveChatId: other.liveChat,
      operatorId: other.online,
      channelId: other.telegram,
      customer: { account: w.mariaTelegram },
    }),
  );
  expect(elsewhere).toMatchObject({ type: 'TelegramChatUnknown', details: { chatId: w.mariaTelegram } });

  // Olga writes to the bot (the inbound handler records her chat); now the operator can reach her.
  await harness
    .db('telegram_chats')
    .insert({ channel_id: w.telegram, chat_id: w.olgaTelegram, username: 'olga' });
  const started = await initiate(request);
  expect(deliveredTo('telegram', started.sessionId).map((m) => [m.to, m.text])).toEqual([
    [w.olgaTelegram, 'Hello Olga!'],
  ]);
});

test('rule 10: a WhatsApp number must be + and the country code; what is wrong is said and no country is guessed', async () => {
  const w = await createWorld(harness.db);
  const request = (customer: InitiateSessionInput['customer']): InitiateSessionInput => ({
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.whatsapp,
    customer,
  });

  const national = await expectRefusedWithoutTrace(harness, () =>
    initiate(request({ account: '015123456789' })),
  );
  expect(national).toMatchObject({
    type: 'InvalidPhoneNumber',
    nonRetryable: true,
    details: { value: '015123456789', reason: 'missing-plus' },
  });
  expect(national.message).toMatch(/must start with \+ and the country code/);

  const zeroZero = await expectRefusedWithoutTrace(harness, () =>
    initiate(request({ account: '004915123456789' })),
  );
  expect(zeroZero).toMatchObject({ type: 'InvalidPhoneNumber', details: { reason: 'missing-plus' } });
  expect(zeroZero.message).toMatch(/Replace the leading 00 with \+/);

  const letters = await expectRefusedWithoutTrace(harness, () =>
    initiate(request({ account: '+49 151 CALL ME' })),
  );
  expect(letters).toMatchObject({ type: 'InvalidPhoneNumber', details: { reason: 'letters' } });

  // A contact typed on the spot with a national number is refused too, and not created.
  const newContact = await expectRefusedWithoutTrace(harness, () =>
    initiate(
      request({ newContact: { name: 'Karl', accounts: [{ kind: 'phone', value: '0151 2345 6789' }] } }),
    ),
  );
  expect(newContact).toMatchObject({ type: 'InvalidPhoneNumber', details: { reason: 'missing-plus' } });

  // The full international format, however it is spaced, is accepted and stored as E.164.
  const phone = uniquePhone();
  const spaced = `${phone.slice(0, 3)} (${phone.slice(3, 6)}) ${phone.slice(6, 10)}-${phone.slice(10)}`;
  const started = await initiate(request({ account: spaced }));
  expect((await sessionRow(started.sessionId)).account).toBe(phone);
});

test('rule 11: an email session can use an address from a contact field of type Account or of type Email', async () => {
  const w = await createWorld(harness.db);
  const request = (customer: InitiateSessionInput['customer']): InitiateSessionInput => ({
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.email,
    customer,
    firstMessage: 'Hello, this is Tech Support.',
  });

  // Maria's address is in a field of type Email; Peter's in a field of type Account.
  const maria = await initiate(request({ contactId: w.maria }));
  const peter = await initiate(request({ contactId: w.peter }));
  const peterByField = await initiate(request({ contactId: w.peter, field: 'accounts' }));

  expect((await sessionRow(maria.sessionId)).account).toBe(w.mariaEmail);
  expect((await sessionRow(peter.sessionId)).account).toBe(w.peterEmail);
  expect((await sessionRow(peterByField.sessionId)).account).toBe(w.peterEmail);
  expect(deliveredTo('email', maria.sessionId).map((m) => m.to)).toEqual([w.mariaEmail]);
  expect(deliveredTo('email', peter.sessionId).map((m) => m.to)).toEqual([w.peterEmail]);

  // Olga has neither.
  const refusal = await expectRefusedWithoutTrace(harness, () => initiate(request({ contactId: w.olga })));
  expect(refusal).toMatchObject({
    type: 'ContactHasNoAccount',
    details: { contactId: w.olga, accountKind: 'email' },
  });
  expect(refusal.message).toMatch(/an email address/);
});

test('rule 12: the website widget cannot be used to start sessions', async () => {
  const w = await createWorld(harness.db);
  for (const customer of [{ contactId: w.maria }, { account: 'visitor-42' }, { account: w.mariaPhone }]) {
    const refusal = await expectRefusedWithoutTrace(harness, () =>
      initiate({
        liveChatId: w.liveChat,
        operatorId: w.online,
        channelId: w.widget,
        customer,
        firstMessage: 'Hi!',
      }),
    );
    expect(refusal).toMatchObject({
      type: 'ChannelCannotInitiate',
      nonRetryable: true,
      details: { channelKind: 'livechat', channelId: w.widget },
    });
    expect(refusal.message).toMatch(/website widget .* cannot be used to start a session/);
  }
});

test('rule 13: a closed session with a customer who wrote before can be brought back, and the old history stays', async () => {
  const w = await createWorld(harness.db);
  const request = {
    liveChatId: w.liveChat,
    operatorId: w.online,
    channelId: w.whatsapp,
    customer: { contactId: w.maria },
  };
  const first = await initiate({ ...request, firstMessage: 'Your laptop has been repaired.' });
  // Maria replies (as the inbound webhook records it), then the operator closes the session.
  await harness.db('messages').insert({
    session_id: first.sessionId,
    direction: 'inbound',
    author_kind: 'customer',
    text: 'Great, I will pick it up tomorrow.',
    status: 'delivered',
  });
  await harness
    .db('sessions')
    .where({ id: first.sessionId })
    .update({ last_inbound_at: harness.db.fn.now() });
  await harness
    .db('sessions')
    .where({ id: first.sessionId })
    .update({ state: 'closed', closed_at: harness.db.fn.now() });

  const second = await initiate({ ...request, firstMessage: 'Hello again Maria, one more question.' });

  expect(second.sessionId).not.toBe(first.sessionId);
  const sessions = await harness
    .db<SessionRow>('sessions')
    .where({ contact_id: w.maria })
    .orderBy('opened_at');
  expect(sessions.map((s) => [s.id, s.state])).toEqual([
    [first.sessionId, 'closed'],
    [second.sessionId, 'open'],
  ]);
  const old = await getHistory(harness.db, first.sessionId);
  expect(old?.messages.map((m) => [m.author_kind, m.text])).toEqual([
    ['operator', 'Your laptop has been repaired.'],
    ['customer', 'Great, I will pick it up tomorrow.'],
  ]);
  expect((await messagesOf(second.sessionId)).map((m) => [m.author_kind, m.text])).toEqual([
    ['operator', 'Hello again Maria, one more question.'],
  ]);
  expect(deliveredTo('whatsapp', second.sessionId).map((m) => m.to)).toEqual([w.mariaPhone]);
});
