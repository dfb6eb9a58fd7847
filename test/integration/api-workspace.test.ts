/**
 * The operators' API on the real Temporal server and PostgreSQL: status, live chats, +New Session
 * with each refusal an operator can meet, My Sessions, histories with their authors marked, replies,
 * closing, customers' pages, the live feed, and authorization (an operator of another live chat
 * gets 403 and learns nothing).
 */
import { sendLiveChatMessage } from '../../workflows';
import { countRows } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { eventually, startWorkspace, type Workspace } from '../support/workspace';

let harness: Harness;
let ws: Workspace;
let anna: string;
let boris: string;
let sofia: string;
let otto: string;

beforeAll(async () => {
  harness = await startHarness();
  ws = await startWorkspace(harness);
  anna = await ws.signIn(ws.world.online);
  boris = await ws.signIn(ws.world.offline);
  sofia = await ws.signIn(ws.world.supervisor);
  otto = await ws.signIn(ws.world.stranger);
});
afterAll(async () => {
  await ws?.app.close();
  await harness?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function newSession(cookie: string, body: Json): Promise<{ statusCode: number; json: Json }> {
  const response = await ws.call('POST', '/api/sessions', {
    cookie,
    body: { liveChatId: ws.world.liveChat, ...body },
  });
  return { statusCode: response.statusCode, json: response.json() };
}

/** Starts a WhatsApp session for a fresh contact and returns its id. */
async function whatsappSession(cookie = anna, firstMessage = 'Hello from support'): Promise<string> {
  const created = await newSession(cookie, {
    channelId: ws.world.whatsapp,
    customer: { newContact: { name: 'Walk-in Customer', phone: uniqueWhatsApp() } },
    firstMessage,
  });
  expect(created.statusCode).toBe(201);
  return created.json.session.id;
}

let phoneCounter = 0;
function uniqueWhatsApp(): string {
  phoneCounter += 1;
  return `+4917${String(Date.now() % 1e7).padStart(7, '0')}${String(phoneCounter).padStart(2, '0')}`;
}

test('an operator sets their own status, and a status that does not exist is InvalidInput', async () => {
  const cookie = await ws.signIn(ws.world.online);
  expect((await ws.call('PUT', '/api/me/status', { cookie, body: { status: 'busy' } })).json()).toEqual({
    status: 'busy',
  });
  expect((await ws.call('GET', '/api/me/status', { cookie })).json()).toEqual({ status: 'busy' });
  const bad = await ws.call('PUT', '/api/me/status', { cookie, body: { status: 'asleep' } });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().error.type).toBe('InvalidInput');
  await ws.call('PUT', '/api/me/status', { cookie, body: { status: 'online' } });
  expect((await harness.db('operators').where({ id: ws.world.online }).first()).status).toBe('online');
});

test('the live chats an operator serves list their channels, and the widget cannot start sessions', async () => {
  const response = await ws.call('GET', '/api/live-chats', { cookie: anna });
  expect(response.statusCode).toBe(200);
  const [liveChat, ...others] = response.json().liveChats;
  expect(others).toEqual([]);
  expect(liveChat).toMatchObject({ id: ws.world.liveChat, name: 'Tech Support', role: 'operator' });
  const byKind = Object.fromEntries(liveChat.channels.map((c: Json) => [c.kind, c]));
  expect(byKind.whatsapp).toMatchObject({ accountKind: 'phone', canInitiate: true, hasSubject: false });
  expect(byKind.email).toMatchObject({ accountKind: 'email', canInitiate: true, hasSubject: true });
  expect(byKind.telegram).toMatchObject({ accountKind: 'telegram', canInitiate: true });
  expect(byKind.livechat).toMatchObject({ canInitiate: false });
});

test('+New Session on WhatsApp: assigned to the operator, first message sent, first in My Sessions', async () => {
  const before = harness.outbox.whatsapp.received.length;
  const created = await newSession(anna, {
    channelId: ws.world.whatsapp,
    customer: { contactId: ws.world.olga },
    firstMessage: 'Hello Olga, your repair is done.',
  });
  expect(created.statusCode).toBe(201);
  const session = created.json.session;
  expect(session).toMatchObject({
    state: 'open',
    origin: 'operator',
    account: ws.world.olgaPhone,
    contact: { id: ws.world.olga, name: 'Olga Ivanova' },
    assignedOperator: { id: ws.world.online, name: 'Anna Weber' },
    channel: { id: ws.world.whatsapp, kind: 'whatsapp' },
  });
  expect(created.json.firstMessage).toMatchObject({
    text: 'Hello Olga, your repair is done.',
    status: 'sent',
    author: { kind: 'operator', name: 'Anna Weber' },
  });
  const sent = harness.outbox.whatsapp.received.slice(before);
  expect(sent.map((m) => [m.to, m.text])).toEqual([[ws.world.olgaPhone, 'Hello Olga, your repair is done.']]);

  const mine = (await ws.call('GET', '/api/my-sessions', { cookie: anna })).json().sessions;
  expect(mine[0]).toMatchObject({
    id: session.id,
    lastMessage: { text: 'Hello Olga, your repair is done.' },
  });

  const history = (await ws.call('GET', `/api/sessions/${session.id}/messages`, { cookie: anna })).json();
  expect(history.messages).toHaveLength(1);
  expect(history.messages[0].author).toMatchObject({ kind: 'operator', id: ws.world.online });

  // Rule 7: a second one for the same account is refused, naming (and linking) the open one.
  const again = await newSession(anna, {
    channelId: ws.world.whatsapp,
    customer: { contactId: ws.world.olga },
  });
  expect(again.statusCode).toBe(409);
  expect(again.json.error).toMatchObject({
    type: 'SessionAlreadyOpen',
    details: { sessionId: session.id },
    link: `/#/sessions/${session.id}`,
  });
});

test('the same +New Session request sent twice (a double click) starts one session', async () => {
  const requestId = '0b7f3c1e-5a2d-4e8f-9c6b-1d2e3f405162';
  const body = {
    channelId: ws.world.email,
    customer: { newContact: { name: 'Double Clicker', email: 'double.clicker@example.net' } },
    subject: 'One session only',
    requestId,
  };
  const first = await newSession(anna, body);
  const second = await newSession(anna, body);
  expect(first.statusCode).toBe(201);
  expect(second.statusCode).toBe(201);
  expect(second.json.session.id).toBe(first.json.session.id);
  expect(await harness.db('sessions').where({ name: 'One session only' }).count('* as n')).toEqual([
    { n: '1' },
  ]);
});

test('+New Session on email: the subject names the session; a contact created on the spot is used at once', async () => {
  const before = await countRows(harness.db);
  const created = await newSession(anna, {
    channelId: ws.world.email,
    customer: { newContact: { name: 'Jonas Weber', email: 'jonas.weber@example.com' } },
    subject: 'Your laptop repair',
    firstMessage: 'Your laptop is repaired.',
  });
  expect(created.statusCode).toBe(201);
  expect(created.json.session).toMatchObject({
    name: 'Your laptop repair',
    account: 'jonas.weber@example.com',
    contact: { name: 'Jonas Weber' },
  });
  expect(await countRows(harness.db)).toEqual({
    sessions: before.sessions + 1,
    messages: before.messages + 1,
    contacts: before.contacts + 1,
  });
  const contact = (
    await ws.call('GET', `/api/contacts/${created.json.session.contact.id}`, { cookie: anna })
  ).json().contact;
  expect(contact.accounts).toEqual([
    expect.objectContaining({ type: 'email', kind: 'email', value: 'jonas.weber@example.com' }),
  ]);
});

describe('refusals an operator sees, each changing nothing', () => {
  const cases: { name: string; cookie: () => string; body: () => Json; status: number; type: string }[] = [
    {
      name: 'an offline operator (rule 1)',
      cookie: () => boris,
      body: () => ({ channelId: ws.world.whatsapp, customer: { contactId: ws.world.maria } }),
      status: 409,
      type: 'OperatorOffline',
    },
    {
      name: 'a supervisor, who reads but does not start sessions (rule 2)',
      cookie: () => sofia,
      body: () => ({ channelId: ws.world.whatsapp, customer: { contactId: ws.world.maria } }),
      status: 403,
      type: 'NotAnOperator',
    },
    {
      name: 'a phone number for the email inbox (rule 4)',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.email, customer: { account: '+4915123456789' } }),
      status: 422,
      type: 'AccountKindMismatch',
    },
    {
      name: 'a WhatsApp number without + and the country code (rule 10)',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.whatsapp, customer: { account: '015123456789' } }),
      status: 422,
      type: 'InvalidPhoneNumber',
    },
    {
      name: 'a Telegram chat that never wrote to the bot (rule 9)',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.telegram, customer: { contactId: ws.world.olga } }),
      status: 422,
      type: 'TelegramChatUnknown',
    },
    {
      name: 'the website widget (rule 12)',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.widget, customer: { contactId: ws.world.maria } }),
      status: 422,
      type: 'ChannelCannotInitiate',
    },
    {
      name: 'a customer of another app (rule 3)',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.whatsapp, customer: { contactId: ws.world.supplier } }),
      status: 404,
      type: 'ContactNotFound',
    },
    {
      name: 'a malformed body',
      cookie: () => anna,
      body: () => ({ channelId: ws.world.whatsapp, customer: { phone: '+4915123456789' } }),
      status: 400,
      type: 'InvalidInput',
    },
  ];
  test.each(cases)('$name: $status $type', async ({ cookie, body, status, type }) => {
    const before = await countRows(harness.db);
    const refused = await newSession(cookie(), body());
    expect(refused.statusCode).toBe(status);
    expect(refused.json.error.type).toBe(type);
    expect(refused.json.error.message).toEqual(expect.any(String));
    expect(await countRows(harness.db)).toEqual(before);
  });
});

test('a reply goes out through the channel and is marked as the operator’s; closing ends replies', async () => {
  const sessionId = await whatsappSession();
  const before = harness.outbox.whatsapp.received.length;
  const reply = await ws.call('POST', `/api/sessions/${sessionId}/messages`, {
    cookie: anna,
    body: { text: 'Anything else I can do?' },
  });
  expect(reply.statusCode).toBe(201);
  expect(reply.json().message).toMatchObject({
    text: 'Anything else I can do?',
    status: 'sent',
    author: { kind: 'operator', id: ws.world.online, name: 'Anna Weber' },
  });
  expect(harness.outbox.whatsapp.received.slice(before).map((m) => m.text)).toEqual([
    'Anything else I can do?',
  ]);
  // The history keeps it as the operator's own message, not a process's.
  const row = await harness.db('messages').where({ id: reply.json().message.id }).first();
  expect(row).toMatchObject({
    author_kind: 'operator',
    author_id: ws.world.online,
    process_workflow_id: null,
  });

  // Another operator of the live chat may read it, but not write into a session assigned to Anna.
  const read = await ws.call('GET', `/api/sessions/${sessionId}`, { cookie: boris });
  expect(read.statusCode).toBe(200);
  const notTheirs = await ws.call('POST', `/api/sessions/${sessionId}/messages`, {
    cookie: boris,
    body: { text: 'Boris here' },
  });
  expect(notTheirs.statusCode).toBe(403);
  expect(notTheirs.json().error).toMatchObject({
    type: 'SessionAssignedToAnother',
    details: { sessionId, assignedOperatorId: ws.world.online },
  });

  // A supervisor may.
  const bySupervisor = await ws.call('POST', `/api/sessions/${sessionId}/messages`, {
    cookie: sofia,
    body: { text: 'Sofia, the team lead, here.' },
  });
  expect(bySupervisor.statusCode).toBe(201);

  const closed = await ws.call('POST', `/api/sessions/${sessionId}/close`, { cookie: anna });
  expect(closed.statusCode).toBe(200);
  expect(closed.json().session).toMatchObject({ state: 'closed', closedAt: expect.any(String) });
  const mine = (await ws.call('GET', '/api/my-sessions', { cookie: anna })).json().sessions;
  expect(mine.map((s: Json) => s.id)).not.toContain(sessionId);

  const messagesBefore = (await countRows(harness.db)).messages;
  const late = await ws.call('POST', `/api/sessions/${sessionId}/messages`, {
    cookie: anna,
    body: { text: 'Hi?' },
  });
  expect(late.statusCode).toBe(409);
  expect(late.json().error.type).toBe('SessionClosed');
  expect((await countRows(harness.db)).messages).toBe(messagesBefore);
});

test('an empty reply is refused as EmptyMessage and sends nothing', async () => {
  const sessionId = await whatsappSession();
  const before = harness.outbox.whatsapp.received.length;
  const rows = await countRows(harness.db);
  const empty = await ws.call('POST', `/api/sessions/${sessionId}/messages`, {
    cookie: anna,
    body: { text: '  ' },
  });
  expect(empty.statusCode).toBe(422);
  expect(empty.json().error.type).toBe('EmptyMessage');
  expect(harness.outbox.whatsapp.received.length).toBe(before);
  expect(await countRows(harness.db)).toEqual(rows);
});

test('a message a process sent shows in the history as the process’s, linked to its run in Temporal UI', async () => {
  const sessionId = await whatsappSession(anna, 'We are on it.');
  const workflowId = `order-ready-${sessionId}`;
  await harness.client.workflow.execute(sendLiveChatMessage, {
    taskQueue: harness.taskQueue,
    workflowId,
    args: [{ liveChatId: ws.world.liveChat, to: { sessionId }, text: 'Your order #1042 is ready.' }],
  });
  const history = (await ws.call('GET', `/api/sessions/${sessionId}/messages`, { cookie: anna })).json();
  const fromProcess = history.messages.find((m: Json) => m.text === 'Your order #1042 is ready.');
  expect(fromProcess).toMatchObject({
    status: 'sent',
    direction: 'outbound',
    author: {
      kind: 'process',
      workflowId,
      onBehalfOf: null,
      temporalUrl: `http://temporal-ui.test:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
      label: `Sent by process ${workflowId}`,
    },
  });
});

test('a customer’s page: search within the bound app, the contact, and every session of theirs', async () => {
  const found = (await ws.call('GET', `/api/contacts?q=Olga`, { cookie: anna })).json().contacts;
  expect(found.map((c: Json) => c.id)).toContain(ws.world.olga);
  // The supplier is an item of another app: never offered as a customer.
  const suppliers = (await ws.call('GET', `/api/contacts?q=Parts%20Supplier`, { cookie: anna })).json()
    .contacts;
  expect(suppliers.map((c: Json) => c.id)).not.toContain(ws.world.supplier);

  const created = await newSession(anna, {
    channelId: ws.world.email,
    customer: { contactId: ws.world.peter },
    subject: 'About your invoice',
    firstMessage: 'Please find your invoice attached.',
  });
  expect(created.statusCode).toBe(201);
  const page = (await ws.call('GET', `/api/contacts/${ws.world.peter}/history`, { cookie: anna })).json();
  expect(page.contact).toMatchObject({ id: ws.world.peter, name: 'Peter Novak' });
  expect(page.sessions.map((s: Json) => s.session.name)).toContain('About your invoice');
  const invoice = page.sessions.find((s: Json) => s.session.name === 'About your invoice');
  expect(invoice.messages.map((m: Json) => m.text)).toEqual(['Please find your invoice attached.']);
});

test('My Sessions: a supervisor sees every open session, an operator theirs and those nobody has taken', async () => {
  const annas = await whatsappSession();
  // A process's notification to a customer with no open session opens one assigned to no one.
  const processes = await harness.client.workflow.execute(sendLiveChatMessage, {
    taskQueue: harness.taskQueue,
    workflowId: `unassigned-${annas}`,
    args: [
      {
        liveChatId: ws.world.liveChat,
        channelId: ws.world.email,
        to: { account: 'new.buyer@example.com' },
        text: 'Welcome!',
      },
    ],
  });
  const ids = async (cookie: string) =>
    (await ws.call('GET', '/api/my-sessions', { cookie })).json().sessions.map((s: Json) => s.id);
  expect(await ids(sofia)).toEqual(expect.arrayContaining([annas, processes.sessionId]));
  expect(await ids(anna)).toEqual(expect.arrayContaining([annas, processes.sessionId]));
  const forBoris = await ids(boris);
  expect(forBoris).toContain(processes.sessionId);
  expect(forBoris).not.toContain(annas);
});

describe('an operator of another live chat', () => {
  let sessionId: string;
  beforeAll(async () => {
    sessionId = await whatsappSession();
  });

  const NONEXISTENT = '00000000-0000-4000-8000-000000000000';
  const reads = (id: string) => [
    { method: 'GET' as const, url: `/api/sessions/${id}` },
    { method: 'GET' as const, url: `/api/sessions/${id}/messages` },
    { method: 'POST' as const, url: `/api/sessions/${id}/messages`, body: { text: 'I should not be here' } },
    { method: 'POST' as const, url: `/api/sessions/${id}/close` },
  ];

  test('gets 403 on every route of a session, with the very answer a session that does not exist gets', async () => {
    const before = await countRows(harness.db);
    const sentBefore = harness.outbox.whatsapp.received.length;
    const theirs = reads(sessionId);
    const none = reads(NONEXISTENT);
    for (const [i, request] of theirs.entries()) {
      const response = await ws.call(request.method, request.url, { cookie: otto, body: request.body });
      const control = await ws.call(none[i]!.method, none[i]!.url, { cookie: otto, body: none[i]!.body });
      expect({ url: request.url, status: response.statusCode }).toEqual({ url: request.url, status: 403 });
      expect(response.json()).toEqual(control.json());
      expect(response.body).not.toContain('Tech Support');
    }
    expect(await countRows(harness.db)).toEqual(before);
    expect(harness.outbox.whatsapp.received.length).toBe(sentBefore);
    const session = await harness.db('sessions').where({ id: sessionId }).first();
    expect(session.state).toBe('open');
  });

  test('cannot start a session in it, nor see its customers, sessions or live feed', async () => {
    const before = await countRows(harness.db);
    const start = await newSession(otto, {
      channelId: ws.world.whatsapp,
      customer: { contactId: ws.world.maria },
    });
    expect(start.statusCode).toBe(403);
    expect(start.json.error.type).toBe('LiveChatNotFound');
    expect(await countRows(harness.db)).toEqual(before);

    // Maria is an item of the Contacts app, which Otto's live chat is bound to as well: he may see
    // her record, but none of the sessions she had with a live chat he does not serve.
    const page = await ws.call('GET', `/api/contacts/${ws.world.maria}/history`, { cookie: otto });
    expect(page.statusCode).toBe(200);
    expect(page.json().sessions).toEqual([]);
    expect(page.body).not.toContain('Tech Support');
    // A supplier is an item of another app, which no live chat of Otto's is bound to.
    const supplier = await ws.call('GET', `/api/contacts/${ws.world.supplier}`, { cookie: otto });
    expect(supplier.statusCode).toBe(403);
    expect(supplier.body).not.toContain('Parts Supplier');
    const byLiveChat = await ws.call('GET', `/api/contacts?q=Maria&liveChatId=${ws.world.liveChat}`, {
      cookie: otto,
    });
    expect(byLiveChat.statusCode).toBe(403);
    const mine = (await ws.call('GET', '/api/my-sessions', { cookie: otto })).json().sessions;
    expect(mine.map((s: Json) => s.id)).not.toContain(sessionId);
    const liveChats = (await ws.call('GET', '/api/live-chats', { cookie: otto })).json().liveChats;
    expect(liveChats.map((l: Json) => l.id)).toEqual([ws.world.otherLiveChat]);
  });
});

test('the live feed pushes a message a process sends to the operators of its live chat, and to no one else', async () => {
  const address = await ws.app.listen({ host: '127.0.0.1', port: 0 });
  const sessionId = await whatsappSession(anna, 'Feed test');
  const annaFeed = await openFeed(address, anna);
  const ottoFeed = await openFeed(address, otto);
  try {
    await harness.client.workflow.execute(sendLiveChatMessage, {
      taskQueue: harness.taskQueue,
      workflowId: `feed-${sessionId}`,
      args: [{ liveChatId: ws.world.liveChat, to: { sessionId }, text: 'Your parcel is on its way.' }],
    });
    const event = await eventually(
      () =>
        annaFeed.events.find(
          (e) => e.event === 'message' && e.data.message.text === 'Your parcel is on its way.',
        ),
      'the message on Anna’s live feed',
    );
    expect(event.data).toMatchObject({ sessionId, message: { author: { kind: 'process' } } });
    // Otto's feed is open and ready, and has had every chance to see it.
    expect(ottoFeed.events.some((e) => e.event === 'ready')).toBe(true);
    expect(ottoFeed.events.filter((e) => e.event === 'message' && e.data.sessionId === sessionId)).toEqual(
      [],
    );
  } finally {
    annaFeed.close();
    ottoFeed.close();
  }
});

/** Reads a server-sent event stream in the background; resolves once its `ready` event came. */
async function openFeed(address: string, cookie: string) {
  const controller = new AbortController();
  const response = await fetch(`${address}/api/events`, { headers: { cookie }, signal: controller.signal });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: { event: string; data: Json }[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  await eventually(
    () => (events.some((e) => e.event === 'ready') ? true : undefined),
    'the feed to be ready',
  );
  return { events, close: () => controller.abort() };
}

test('a customer’s page narrowed to one of their accounts shows only the conversations with it', async () => {
  const byEmail = await newSession(anna, {
    channelId: ws.world.email,
    customer: { contactId: ws.world.maria },
    subject: 'Your warranty',
  });
  const byPhone = await newSession(anna, {
    channelId: ws.world.whatsapp,
    customer: { contactId: ws.world.maria },
  });
  expect([byEmail.statusCode, byPhone.statusCode]).toEqual([201, 201]);
  const ids = async (query: string) => {
    const page = (
      await ws.call('GET', `/api/contacts/${ws.world.maria}/history${query}`, { cookie: anna })
    ).json();
    return page.sessions.map((s: Json) => s.session.id);
  };
  expect(await ids('')).toEqual(expect.arrayContaining([byEmail.json.session.id, byPhone.json.session.id]));
  expect(await ids(`?account=${encodeURIComponent(ws.world.mariaPhone)}`)).toEqual([byPhone.json.session.id]);
  expect(await ids(`?account=${encodeURIComponent(ws.world.mariaEmail)}`)).toEqual([byEmail.json.session.id]);
});

test('answering a session nobody has taken assigns it to the operator who answers', async () => {
  const opened = await harness.client.workflow.execute(sendLiveChatMessage, {
    taskQueue: harness.taskQueue,
    workflowId: `take-${Date.now()}`,
    args: [
      {
        liveChatId: ws.world.liveChat,
        channelId: ws.world.email,
        to: { account: 'waiting.customer@example.com' },
        text: 'We received your request.',
      },
    ],
  });
  const session = (await ws.call('GET', `/api/sessions/${opened.sessionId}`, { cookie: anna })).json()
    .session;
  expect(session.assignedOperator).toBeNull();

  const reply = await ws.call('POST', `/api/sessions/${opened.sessionId}/messages`, {
    cookie: boris,
    body: { text: 'Boris here, I will take care of it.' },
  });
  expect(reply.statusCode).toBe(201);
  const taken = (await ws.call('GET', `/api/sessions/${opened.sessionId}`, { cookie: anna })).json().session;
  expect(taken.assignedOperator).toEqual({ id: ws.world.offline, name: 'Boris Petrov' });
  // Now it is Boris's: Anna's answer is refused, and nothing is sent.
  const sent = harness.outbox.email.received.length;
  const late = await ws.call('POST', `/api/sessions/${opened.sessionId}/messages`, {
    cookie: anna,
    body: { text: 'Anna too' },
  });
  expect(late.statusCode).toBe(403);
  expect(late.json().error.type).toBe('SessionAssignedToAnother');
  expect(harness.outbox.email.received.length).toBe(sent);
});
