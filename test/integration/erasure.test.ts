/**
 * Erasure end to end: a customer who wrote on Telegram, got process messages by Telegram and email
 * (with a file), has a WhatsApp message waiting for its time, opted out on WhatsApp and was then
 * refused; `livechat contact erase` cancels what is in flight, deletes the Temporal executions that
 * carried them (found by the keyed hashes of the search attribute) and erases the database's part.
 * Then a search of every table, of every remaining history (decrypted with the codec) and of every
 * log line of the run finds none of their values; a second run changes nothing; re-applying a config
 * that lists them does not lift the opt-out. Real Temporal, real PostgreSQL, real SDKs to the
 * stand-ins.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Telegram } from 'telegraf';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { telegramWebhookRoutes } from '../../channels/telegram';
import { twilioWebhookRoutes } from '../../channels/whatsapp';
import { sendLiveChatMessage, sendWithFallback } from '../../client';
import { loadProviderConfig } from '../../config/providers';
import { applyConfig, type LiveChatsConfig } from '../../db/apply-config';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import type { SendLiveChatMessageInput } from '../../domain/types';
import { CONTACT_SEARCH_ATTRIBUTE } from '../../domain/search-attributes';
import { createLogger } from '../../infra/logger';
import { setOperatorPassword } from '../../server/operators/passwords';
import { createWebhookServer } from '../../server/webhook-server';
import { createWorkspaceServer } from '../../server/workspace-server';
import { runLivechat } from '../support/cli-process';
import { uniquePhone, uniqueTelegramChatId } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { historyText } from '../support/history-text';
import { refusalOf } from '../support/refusals';
import { cookieHeader } from '../support/workspace';

const BUSINESS_NUMBER = '+4930901821';
const TEMPLATE = 'HX0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const PASSWORD = 'correct horse battery staple';

const s = randomUUID().slice(0, 8);
const liveChat = `erase-${s}`;
const whatsapp = `erase-wa-${s}`;
const telegram = `erase-tg-${s}`;
const email = `erase-mail-${s}`;
const supervisor = `erase-sofia-${s}`;
const operator = `erase-anna-${s}`;

/** The customer and every value of theirs the run writes somewhere. */
const erika = {
  id: `erase-erika-${s}`,
  name: `Erika Mustermann ${s}`,
  phone: uniquePhone(),
  email: `erika.${s}@example.com`,
  chatId: uniqueTelegramChatId(),
  city: `Hamburg-Altona-${s}`,
};
const texts = {
  inbound: `My address is Elbchaussee ${s} 12`,
  telegram: `Your parcel ${s}-A is at the pickup point`,
  email: `Your invoice ${s}-B is attached`,
  scheduled: `Your appointment ${s}-C is tomorrow`,
  refused: `Last chance ${s}-D`,
  fallback: `Your return ${s}-E was received`,
};
const file = Buffer.from(`Invoice for Erika Mustermann ${s}: 42.00 EUR`);

const logLines: string[] = [];
let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let webhooks: FastifyInstance;
let webhookUrl: string;

const config = (contact = erika): LiveChatsConfig => ({
  operators: [
    { id: supervisor, name: 'Sofia Rossi', status: 'online' },
    { id: operator, name: 'Anna Weber', status: 'online' },
  ],
  liveChats: [
    {
      id: liveChat,
      name: 'Shop',
      operators: [operator],
      supervisors: [supervisor],
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
    },
  ],
  contacts: [
    {
      id: contact.id,
      name: contact.name,
      accounts: [
        { kind: 'phone', value: contact.phone },
        { kind: 'telegram', value: contact.chatId },
      ],
      emails: [{ value: contact.email }],
      data: { city: contact.city },
    },
  ],
});

beforeAll(async () => {
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  });
  harness = await startHarness({ channels: channels.adapters, logger });
  webhooks = await createWebhookServer({ db: harness.db, providers: loadProviderConfig({}), logger }, [
    twilioWebhookRoutes({ authToken: sandbox.providers.TWILIO_AUTH_TOKEN!, publicBaseUrl: () => webhookUrl }),
    telegramWebhookRoutes({
      secretToken: `secret-${s}`,
      botToken: sandbox.providers.TELEGRAM_BOT_TOKEN!,
      apiUrl: sandbox.telegram.url,
    }),
  ]);
  webhookUrl = await webhooks.listen({ host: '127.0.0.1', port: 0 });
  await new Telegram(sandbox.providers.TELEGRAM_BOT_TOKEN!, { apiRoot: sandbox.telegram.url }).setWebhook(
    `${webhookUrl}/webhooks/telegram/${telegram}`,
    { secret_token: `secret-${s}` },
  );
  await applyConfig(harness.db, config());
  for (const id of [supervisor, operator]) await setOperatorPassword(harness.db, id, PASSWORD);
});

afterAll(async () => {
  await webhooks?.close();
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
});

const start = (input: SendLiveChatMessageInput) =>
  harness.client.workflow.start('sendLiveChatMessage', {
    args: [input],
    taskQueue: harness.taskQueue,
    workflowId: `erase-send-${randomUUID()}`,
  });
const send = (input: SendLiveChatMessageInput) =>
  sendLiveChatMessage(harness.client, input, {
    taskQueue: harness.taskQueue,
    workflowId: `erase-send-${randomUUID()}`,
  });

const livechat = (...args: string[]) =>
  runLivechat(
    {
      TEMPORAL_ADDRESS: process.env.LIVECHAT_TEST_TEMPORAL_ADDRESS,
      DATABASE_URL: process.env.LIVECHAT_TEST_DATABASE_URL,
      LIVECHAT_TASK_QUEUE: harness.taskQueue,
    },
    args,
  );

/** Every row of every table of ours, as text (bytes as PostgreSQL's hex). */
async function everyTable(): Promise<string> {
  const tables: string[] = await harness
    .db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .orderBy('table_name')
    .pluck('table_name');
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await harness.db.raw<{ rows: { row: string }[] }>(
      `select t::text as row from ?? t order by t::text`,
      [table],
    );
    parts.push(`${table}:`, ...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The decrypted histories of every execution of this file's task queue that Temporal still has. */
async function everyHistory(): Promise<{ workflowId: string; text: string }[]> {
  const found: { workflowId: string; text: string }[] = [];
  for await (const e of harness.client.workflow.list({ query: `TaskQueue = '${harness.taskQueue}'` })) {
    try {
      found.push({ workflowId: e.workflowId, text: await historyText(harness.client, e.workflowId) });
    } catch {
      // Listed a moment longer than it exists: deleted.
    }
  }
  return found;
}

/** Which of the customer's values a text holds. */
function valuesIn(text: string): string[] {
  const values = [
    erika.name,
    erika.phone,
    erika.phone.slice(1),
    erika.email,
    erika.chatId,
    erika.city,
    ...Object.values(texts),
    file.toString('utf8'),
    file.toString('hex'),
    file.toString('base64'),
  ];
  return values.filter((v) => text.includes(v));
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('after `livechat contact erase`, no table, history or log line holds the customer; a second run changes nothing; re-importing them does not lift their opt-out', async () => {
  // What the customer leaves behind: a message of theirs, process messages with a file, a send
  // waiting for tomorrow, an opt-out and a refused send.
  expect((await sandbox.telegram.customerWrites(erika.chatId, texts.inbound)).webhookStatus).toBe(200);
  await send({
    liveChatId: liveChat,
    channelId: telegram,
    to: { contactId: erika.id },
    text: texts.telegram,
  });
  await send({
    liveChatId: liveChat,
    channelId: email,
    to: { contactId: erika.id },
    subject: `Invoice for ${erika.name}`,
    text: texts.email,
    attachments: [{ filename: 'invoice.txt', contentType: 'text/plain', content: file.toString('base64') }],
  });
  // Through Send With Fallback: its own input names the customer too.
  await sendWithFallback(
    harness.client,
    { liveChatId: liveChat, channels: [email], to: { contactId: erika.id }, text: texts.fallback },
    { taskQueue: harness.taskQueue, workflowId: `erase-fallback-${randomUUID()}` },
  );
  const waiting = await start({
    liveChatId: liveChat,
    channelId: whatsapp,
    to: { contactId: erika.id },
    text: texts.scheduled,
    sendAt: new Date(Date.now() + 24 * 3_600_000).toISOString(),
  });
  await waitUntil('the scheduled message', async () =>
    Boolean(await harness.db('messages').where({ text: texts.scheduled, status: 'pending' }).first('id')),
  );
  await sandbox.twilio.sendInbound(`${webhookUrl}/webhooks/twilio/${whatsapp}/inbound`, {
    from: erika.phone,
    to: BUSINESS_NUMBER,
    body: 'STOP',
  });
  const refused = await refusalOf(
    send({ liveChatId: liveChat, channelId: whatsapp, to: { contactId: erika.id }, text: texts.refused }),
  );
  expect(refused.type).toBe('RecipientOptedOut');
  // The customer is everywhere now, and the executions carry their keyed hashes, not them.
  expect(valuesIn(await everyTable())).toContain(erika.name);
  const tagged: string[] = [];
  await waitUntil('the tagged executions to be listed', async () => {
    tagged.length = 0;
    for await (const e of harness.client.workflow.list({
      query: `TaskQueue = '${harness.taskQueue}' and ${CONTACT_SEARCH_ATTRIBUTE} is not null`,
    })) {
      tagged.push(e.workflowId);
      const values = e.searchAttributes[CONTACT_SEARCH_ATTRIBUTE] as string[];
      expect(values.every((v) => /^[0-9a-f]{64}$/.test(v))).toBe(true);
    }
    return tagged.length >= 4;
  });
  expect(tagged).toContain(waiting.workflowId);

  const erased = await livechat('contact', 'erase', erika.id, '--by', 'dpo@shop.example', '--json');
  expect({ code: erased.code, stderr: erased.stderr }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(erased.stdout)).toMatchObject({
    contactId: erika.id,
    alreadyErased: false,
    counts: {
      executionsCancelled: 1,
      executionsDeleted: 6,
      sendsCancelled: 1,
      sessions: 4,
      files: 1,
      telegramChats: 1,
      contactFields: 3,
      suppressions: 1,
    },
  });
  // The waiting message never went, and its process is gone.
  await expect(waiting.describe()).rejects.toThrow();
  expect(sandbox.twilio.received.filter((m) => m.to === `whatsapp:${erika.phone}`)).toEqual([]);

  const tables = await everyTable();
  expect(valuesIn(tables)).toEqual([]);
  const histories = await everyHistory();
  expect(histories.flatMap((h) => valuesIn(h.text).map((v) => `${h.workflowId}: ${v}`))).toEqual([]);
  expect(histories.filter((h) => h.text.includes(erika.id)).map((h) => h.workflowId)).toEqual([]);
  expect(logLines.length).toBeGreaterThan(0);
  expect(valuesIn([...logLines, erased.stdout, erased.stderr].join('\n'))).toEqual([]);
  // The audit says who erased which contact and when, with the counts: nothing of theirs.
  expect(await harness.db('erasures').where({ contact_id: erika.id })).toEqual([
    expect.objectContaining({
      erased_by: 'dpo@shop.example',
      counts: expect.objectContaining({ sessions: 4 }),
    }),
  ]);

  const again = await livechat('contact', 'erase', erika.id, '--json');
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({
    alreadyErased: true,
    counts: { executionsDeleted: 0, sessions: 0, messages: 0, suppressions: 0 },
  });
  expect(await everyTable()).toBe(tables);

  // Imported again (the shop's next sync lists them): the opt-out holds on every channel.
  await applyConfig(harness.db, config());
  const before = await harness.db('messages').count<{ count: string }[]>('* as count');
  for (const channelId of [whatsapp, email]) {
    await expect(
      refusalOf(send({ liveChatId: liveChat, channelId, to: { contactId: erika.id }, text: 'Welcome back' })),
    ).resolves.toMatchObject({
      type: 'RecipientOptedOut',
      details: { reason: 'opted-out', method: 'erased' },
    });
  }
  expect(await harness.db('messages').count<{ count: string }[]>('* as count')).toEqual(before);
});

test('a supervisor erases a customer through the API; an operator of the live chat cannot', async () => {
  const max = {
    id: `erase-max-${s}`,
    name: `Max Mustermann ${s}`,
    phone: uniquePhone(),
    email: `max.${s}@example.com`,
    chatId: uniqueTelegramChatId(),
    city: `Berlin-${randomBytes(4).toString('hex')}`,
  };
  await applyConfig(harness.db, config(max));
  await send({
    liveChatId: liveChat,
    channelId: email,
    to: { contactId: max.id },
    text: `Hello ${max.name}`,
  });

  const workspace = await createWorkspaceServer({
    db: harness.db,
    client: harness.client,
    taskQueue: harness.taskQueue,
    log: () => undefined,
  });
  try {
    const cookieOf = async (operatorId: string) =>
      cookieHeader(
        await workspace.inject({
          method: 'POST',
          url: '/api/sign-in',
          payload: { operatorId, password: PASSWORD },
        }),
      );
    const erase = async (operatorId: string) =>
      workspace.inject({
        method: 'POST',
        url: `/api/contacts/${max.id}/erase`,
        headers: { cookie: await cookieOf(operatorId), 'content-type': 'application/json' },
        payload: '{}',
      });
    const denied = await erase(operator);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { type: 'NotASupervisor' } });
    expect(await harness.db('contacts').where({ id: max.id })).toHaveLength(1);

    const done = await erase(supervisor);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      erasure: { contactId: max.id, counts: { executionsDeleted: 1, sessions: 1, messages: 1 } },
    });
  } finally {
    await workspace.close();
  }
  expect(await harness.db('contacts').where({ id: max.id })).toEqual([]);
  expect(await harness.db('erasures').where({ contact_id: max.id }).pluck('erased_by')).toEqual([
    `supervisor:${supervisor}`,
  ]);
});
