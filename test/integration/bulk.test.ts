/**
 * Bulk Notify on the real Temporal server and PostgreSQL, through the real twilio and telegraf SDKs
 * to the stand-ins: a list or a query over the bound app, each recipient once at the provider,
 * continue-as-new keeping every run's history small, progress while it runs, pause, resume and
 * cancel, and the refusals (an empty audience, a channel that cannot start sessions, a cancel of a
 * bulk that has ended) leaving nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { createChannelAdapters, type ConfiguredChannels } from '../../channels';
import { bulkProgress, bulkResult, cancelBulk, pauseBulk, resumeBulk, startBulkNotify } from '../../client';
import { applyConfig } from '../../db/apply-config';
import type { BulkNotifyInput, BulkProgress } from '../../domain/types';
import { loadProviderConfig } from '../../config/providers';
import { runHistorySizes } from '../../dev/run-histories';
import { startSandbox, type Sandbox } from '../../dev/sandbox/start-sandbox';
import { knowTelegramChats, providerWorld, waitFor } from '../support/provider-world';
import { createWorld, uniquePhone, uniqueTelegramChatId, type World } from '../support/fixtures';
import { startHarness, type Harness } from '../support/harness';
import { refusalOf } from '../support/refusals';

/** Holds dispatches while closed, so a test can act with sends in flight. */
class Gate {
  private release: (() => void) | undefined;
  private opened: Promise<void> = Promise.resolve();
  calls = 0;
  waiting = 0;
  close(): void {
    this.opened = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
    this.release = undefined;
  }
  async pass(): Promise<void> {
    this.calls++;
    this.waiting++;
    await this.opened;
    this.waiting--;
  }
}

const CONTACTS = 30;
const world = providerWorld(CONTACTS);
const gate = new Gate();
/** Called as each WhatsApp message reaches the provider's door. */
let beforeSend: ((text: string) => Promise<void> | void) | undefined;
/** Each attempt of a page step: which bulk, which attempt, the checkpoint it resumed from. */
const pageAttempts: { bulkId: string; attempt: number; heartbeatDetails: unknown }[] = [];
let sandbox: Sandbox;
let channels: ConfiguredChannels;
let harness: Harness;
let w: World;

beforeAll(async () => {
  sandbox = await startSandbox();
  channels = createChannelAdapters(loadProviderConfig(sandbox.providers));
  const whatsapp = channels.adapters.whatsapp!;
  harness = await startHarness({
    // Holds WhatsApp messages at the provider's door while the gate is closed.
    channels: {
      ...channels.adapters,
      whatsapp: {
        send: async (message) => {
          await beforeSend?.(message.text);
          await gate.pass();
          return whatsapp.send(message);
        },
        findDelivered: (message, since) => whatsapp.findDelivered!(message, since),
      },
    },
    wrapActivities: (activities) => ({
      ...activities,
      sendBulkPage: async (input) => {
        pageAttempts.push({ bulkId: input.bulkId, ...Context.current().info });
        return activities.sendBulkPage(input);
      },
    }),
    // A provider that cannot take a message right now fails the page at once: Temporal retries it.
    bulkPage: { inPageRetryMs: 0 },
  });
  knowTelegramChats(sandbox, world);
  await applyConfig(harness.db, world.config);
  w = await createWorld(harness.db);
});

afterAll(async () => {
  gate.open();
  await harness?.stop();
  await channels?.close();
  await sandbox?.stop();
});

const start = (
  input: Omit<BulkNotifyInput, 'liveChatId'> & { liveChatId?: string },
  bulkId = `bulk-${randomUUID()}`,
) =>
  startBulkNotify(harness.client, { liveChatId: world.liveChatId, ...input } as BulkNotifyInput, {
    taskQueue: harness.taskQueue,
    workflowId: bulkId,
  });

/** The text a WhatsApp message carried: its body, or the template's variable outside the 24-hour window. */
const sentText = (m: { contentVariables: string | undefined; body: string | undefined }) =>
  (JSON.parse(m.contentVariables ?? '{}') as Record<string, string>)['1'] ?? m.body;

/** WhatsApp numbers the Twilio stand-in sent this text to, with how often each. */
function whatsappRecipients(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sandbox.twilio.received) {
    const sent = sentText(m);
    if (sent === text) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
  }
  return counts;
}

/** Queries the progress until it satisfies `done` (a bounded wait, not a timing assertion). */
async function progressUntil(bulkId: string, done: (p: BulkProgress) => boolean): Promise<BulkProgress> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const progress = await bulkProgress(harness.client, bulkId);
    if (done(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`progress stayed at ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const bulkRows = async (bulkId: string) =>
  harness.db('bulk_recipients').where({ bulk_id: bulkId }).orderBy('position');

test('a list of 30 contacts on WhatsApp: each once at Twilio, every run of the process kept small by continue-as-new', async () => {
  const text = `Bulk ${randomUUID()}: our opening hours change on Monday.`;
  const handle = await start({
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.map((c) => ({ contactId: c.id })) },
    text,
    concurrency: 3,
    // A page per recipient: enough steps for the history to reach its limit.
    pageSize: 1,
    continueAsNewAfterEvents: 100,
  });
  const result = await handle.result();

  expect(result).toMatchObject({
    state: 'completed',
    total: CONTACTS,
    sent: CONTACTS,
    failed: 0,
    pending: 0,
    failuresByType: {},
  });
  // How many events a recipient costs depends on how the server batches workflow tasks: at least once.
  expect(result.continuedAsNew).toBeGreaterThanOrEqual(1);
  const reached = whatsappRecipients(text);
  expect([...reached.keys()].sort()).toEqual(world.contacts.map((c) => `whatsapp:${c.phone}`).sort());
  expect([...reached.values()].every((n) => n === 1)).toBe(true);

  const runs = (await runHistorySizes(harness.client, handle.workflowId, handle.firstExecutionRunId)).map(
    (r) => r.events,
  );
  expect(runs).toHaveLength(result.continuedAsNew + 1);
  // Each run stays near the limit it was given (a page may finish past it), never the whole audience.
  expect(Math.max(...runs)).toBeLessThan(140);

  const rows = await bulkRows(handle.workflowId);
  expect(rows.map((r) => r.status)).toEqual(Array(CONTACTS).fill('sent'));
  // Each message is in the chat history, written by the process.
  const messages = await harness.db('messages').whereIn(
    'id',
    rows.map((r) => r.message_id as string),
  );
  expect(messages).toHaveLength(CONTACTS);
  expect(
    messages.every((m) => m.process_workflow_id === handle.workflowId && m.author_kind === 'process'),
  ).toBe(true);
});

test('a query over the bound app reaches every contact with an account of the channel; those it cannot reach are counted by reason', async () => {
  // A live chat bound to an app of its own: two contacts with Telegram accounts (one whose chat the
  // bot knows, one it never saw), one with only a phone, and one Telegram user of another app.
  const s = randomUUID().slice(0, 8);
  const [known, unknown, other] = [uniqueTelegramChatId(), uniqueTelegramChatId(), uniqueTelegramChatId()];
  await applyConfig(harness.db, {
    liveChats: [
      {
        id: `shop-${s}`,
        name: 'Shop',
        boundApp: `customers-${s}`,
        channels: [{ id: `bot-${s}`, kind: 'telegram', name: 'Bot' }],
      },
    ],
    contacts: [
      { id: `a-${s}`, app: `customers-${s}`, name: 'A', accounts: [{ kind: 'telegram', value: known }] },
      { id: `b-${s}`, app: `customers-${s}`, name: 'B', accounts: [{ kind: 'telegram', value: unknown }] },
      { id: `c-${s}`, app: `customers-${s}`, name: 'C', accounts: [{ kind: 'phone', value: uniquePhone() }] },
      { id: `d-${s}`, app: `suppliers-${s}`, name: 'D', accounts: [{ kind: 'telegram', value: other }] },
    ],
    telegramChats: [{ channelId: `bot-${s}`, chatId: known }],
  });
  sandbox.telegram.knowChat(known, { first_name: 'A' });
  const handle = await start({
    liveChatId: `shop-${s}`,
    channelId: `bot-${s}`,
    audience: { query: {} },
    text: 'Hello {{name}}, the shop is closed on Monday.',
    variables: { name: 'customer' },
  });
  const result = await handle.result();

  expect(result).toMatchObject({
    state: 'completed',
    total: 2,
    sent: 1,
    failed: 1,
    pending: 0,
    failuresByType: { TelegramChatUnknown: 1 },
  });
  const rows = await bulkRows(handle.workflowId);
  expect(rows.map((r) => [r.recipient, r.status, r.failure_type])).toEqual([
    [{ contactId: `a-${s}` }, 'sent', null],
    [{ contactId: `b-${s}` }, 'failed', 'TelegramChatUnknown'],
  ]);
  expect(rows[1]?.failure_reason).toContain(unknown);
  expect(sandbox.telegram.sent.filter((m) => m.chatId === known).map((m) => m.text)).toEqual([
    'Hello customer, the shop is closed on Monday.',
  ]);
  expect(sandbox.telegram.sent.filter((m) => m.chatId === other)).toEqual([]);
});

test('a query with `where` selects by the contacts’ other fields', async () => {
  const s = randomUUID().slice(0, 8);
  await applyConfig(harness.db, {
    contacts: world.contacts.slice(0, 4).map((c, i) => ({
      id: `where-${s}-${i}`,
      name: `Customer ${i}`,
      accounts: [{ kind: 'phone' as const, value: c.phone }],
      data: { city: i % 2 === 0 ? `Berlin-${s}` : `Hamburg-${s}` },
    })),
  });
  const text = `Bulk ${s}: the Berlin shop is closed on Monday.`;
  const result = await (
    await start({
      channelId: world.channelId('whatsapp'),
      audience: { query: { where: { city: `Berlin-${s}` } } },
      text,
    })
  ).result();
  expect(result).toMatchObject({ total: 2, sent: 2 });
  expect([...whatsappRecipients(text).keys()].sort()).toEqual(
    [world.contacts[0]!.phone, world.contacts[2]!.phone].map((p) => `whatsapp:${p}`).sort(),
  );
});

test('progress while it runs; a pause lets the page in flight finish and starts no more until resumed', async () => {
  const text = `Bulk ${randomUUID()}: pause and resume.`;
  gate.close();
  const callsBefore = gate.calls;
  const handle = await start({
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.slice(0, 10).map((c) => ({ contactId: c.id })) },
    text,
    concurrency: 2,
    pageSize: 4,
  });
  await waitFor('two sends in flight', 20_000, () => gate.waiting === 2);

  const paused = await pauseBulk(harness.client, handle.workflowId);
  expect(paused).toMatchObject({ state: 'paused', total: 10, sent: 0, failed: 0, pending: 10 });
  gate.open();
  // The page in flight (4 recipients) finishes; the next one does not start.
  const progress = await progressUntil(handle.workflowId, (p) => p.sent === 4);
  expect(progress).toMatchObject({ state: 'paused', sent: 4, pending: 6 });
  // Paused: no further send is started, however long it stays paused.
  await new Promise((r) => setTimeout(r, 1_000));
  expect(gate.calls - callsBefore).toBe(4);
  expect(whatsappRecipients(text).size).toBe(4);

  expect(await resumeBulk(harness.client, handle.workflowId)).toMatchObject({ state: 'running' });
  expect(await handle.result()).toMatchObject({ state: 'completed', sent: 10, pending: 0 });
  expect([...whatsappRecipients(text).values()]).toEqual(Array(10).fill(1));
});

test('a cancel lets the page in flight finish and sends nothing more; a cancel of the ended bulk is refused', async () => {
  const text = `Bulk ${randomUUID()}: cancelled.`;
  gate.close();
  const handle = await start({
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.slice(0, 12).map((c) => ({ contactId: c.id })) },
    text,
    concurrency: 2,
    pageSize: 4,
  });
  await waitFor('two sends in flight', 20_000, () => gate.waiting === 2);
  expect(await cancelBulk(harness.client, handle.workflowId)).toMatchObject({ state: 'cancelling' });
  gate.open();
  const result = await bulkResult(harness.client, handle.workflowId);

  expect(result).toMatchObject({ state: 'cancelled', total: 12, sent: 4, failed: 0, pending: 8 });
  expect(whatsappRecipients(text).size).toBe(4);
  const statuses = (await bulkRows(handle.workflowId)).map((r) => r.status);
  expect(statuses).toEqual([...Array(4).fill('sent'), ...Array(8).fill('cancelled')]);
  // The progress of an ended bulk is its result.
  expect(await bulkProgress(harness.client, handle.workflowId)).toEqual(result);

  for (const steer of [cancelBulk, pauseBulk, resumeBulk]) {
    await expect(steer(harness.client, handle.workflowId)).rejects.toMatchObject({
      type: 'BulkAlreadyFinished',
      details: { bulkId: handle.workflowId, state: 'cancelled' },
    });
  }
  expect(whatsappRecipients(text).size).toBe(4);
});

test('a bulk whose workflow is cancelled (Temporal UI, handle.cancel) ends as cancelled; no page starts after it', async () => {
  const text = `Bulk ${randomUUID()}: cancelled from Temporal.`;
  gate.close();
  const handle = await start({
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.slice(0, 8).map((c) => ({ contactId: c.id })) },
    text,
    concurrency: 2,
    pageSize: 4,
  });
  await waitFor('two sends in flight', 20_000, () => gate.waiting === 2);
  await handle.cancel();
  gate.open();
  await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  expect(await harness.db('bulk_runs').where({ id: handle.workflowId }).first()).toMatchObject({
    state: 'cancelled',
  });
  // At most the page in flight reached the provider; every other recipient is cancelled.
  const rows = await bulkRows(handle.workflowId);
  const sent = rows.filter((r) => r.status === 'sent').length;
  expect(sent).toBeGreaterThanOrEqual(2);
  expect(sent).toBeLessThanOrEqual(4);
  expect(rows.filter((r) => r.status === 'cancelled')).toHaveLength(8 - sent);
  expect(whatsappRecipients(text).size).toBe(sent);
});

test('a provider refusing part of a page: those recipients fail, counted, the rest of the page goes on', async () => {
  const text = `Bulk ${randomUUID()}: part of the page refused.`;
  let calls = 0;
  // The third and fourth messages of the page are refused by Twilio for good.
  beforeSend = (sent) => {
    if (sent === text && ++calls === 3)
      sandbox.twilio.faults.failNext(2, {
        status: 400,
        code: 21211,
        message: 'The number is not a valid phone number.',
      });
  };
  const result = await (
    await start({
      channelId: world.channelId('whatsapp'),
      audience: { recipients: world.contacts.slice(0, 6).map((c) => ({ contactId: c.id })) },
      text,
      concurrency: 1,
      pageSize: 6,
    })
  ).result();
  beforeSend = undefined;

  expect(result).toMatchObject({
    state: 'completed',
    total: 6,
    sent: 4,
    failed: 2,
    pending: 0,
    failuresByType: { DeliveryFailed: 2 },
  });
  const rows = await bulkRows(result.bulkId);
  expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'failed', 'failed', 'sent', 'sent']);
  expect(rows[2]?.failure_reason).toContain('not a valid phone number');
  // The refused messages are in the chat history as failed, once each.
  const failed = await harness.db('messages').whereIn('id', [rows[2]!.message_id, rows[3]!.message_id]);
  expect(failed.map((m) => m.status)).toEqual(['failed', 'failed']);
  expect([...whatsappRecipients(text).values()]).toEqual([1, 1, 1, 1]);
});

test('a page whose provider is down for a moment is retried by Temporal from its checkpoint; each recipient once', async () => {
  const text = `Bulk ${randomUUID()}: resumed mid-page.`;
  let calls = 0;
  // The fifth message: Twilio is unavailable (after a moment, so the checkpoint has moved past the first four).
  beforeSend = async (sent) => {
    if (sent === text && ++calls === 5) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      sandbox.twilio.faults.failNext(1, { status: 503, code: 20503, message: 'Service Unavailable' });
    }
  };
  const handle = await start({
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.slice(0, 8).map((c) => ({ contactId: c.id })) },
    text,
    concurrency: 1,
    pageSize: 8,
  });
  const result = await handle.result();
  beforeSend = undefined;

  expect(result).toMatchObject({ state: 'completed', total: 8, sent: 8, failed: 0, pending: 0 });
  const attempts = pageAttempts.filter((a) => a.bulkId === handle.workflowId);
  expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
  // The retry started from the checkpoint the first attempt reported: after the four it had sent.
  expect(attempts[1]?.heartbeatDetails).toMatchObject({ done: 4, taken: 4, sent: 4 });
  expect([...whatsappRecipients(text).values()]).toEqual(Array(8).fill(1));
  expect((await bulkRows(handle.workflowId)).map((r) => r.status)).toEqual(Array(8).fill('sent'));
  // Twilio was asked once more than there are recipients: the fifth once refused, then taken.
  expect(calls).toBe(9);
});

test('personalised: each recipient’s contact fields and own variables; one lacking a field the text needs fails, counted', async () => {
  const s = randomUUID().slice(0, 8);
  const people = [
    { name: 'Maria', city: 'Berlin' },
    { name: 'Jonas', city: 'Hamburg' },
    { name: 'Ayşe', city: undefined },
  ];
  await applyConfig(harness.db, {
    contacts: people.map((p, i) => ({
      id: `pers-${s}-${i}`,
      name: p.name,
      accounts: [{ kind: 'phone' as const, value: world.contacts[i]!.phone }],
      data: p.city ? { city: p.city } : {},
    })),
  });
  const result = await (
    await start({
      channelId: world.channelId('whatsapp'),
      audience: {
        recipients: [
          { contactId: `pers-${s}-0` },
          { contactId: `pers-${s}-1`, variables: { code: 'JONAS10' } },
          { contactId: `pers-${s}-2` },
        ],
      },
      text: `Hello {{contact.name}} in {{contact.data.city}}: your code is {{code}} (${s}).`,
      variables: { code: 'SPRING' },
      pageSize: 10,
    })
  ).result();

  expect(result).toMatchObject({
    state: 'completed',
    total: 3,
    sent: 2,
    failed: 1,
    failuresByType: { TemplateVariableMissing: 1 },
  });
  const texts = sandbox.twilio.received
    .map((m) => [m.to, sentText(m)])
    .filter(([, text]) => text?.endsWith(`(${s}).`));
  expect(texts.sort()).toEqual(
    [
      [`whatsapp:${world.contacts[0]!.phone}`, `Hello Maria in Berlin: your code is SPRING (${s}).`],
      [`whatsapp:${world.contacts[1]!.phone}`, `Hello Jonas in Hamburg: your code is JONAS10 (${s}).`],
    ].sort(),
  );
  const rows = await bulkRows(result.bulkId);
  expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'failed']);
  expect(rows[2]?.failure_reason).toContain('contact.data.city');
  // The one that could not be rendered left nothing in the chat history.
  expect(rows[2]?.message_id).toBeNull();
});

test('starting the same bulk id again after it ended sends nothing twice and answers with what it did', async () => {
  const text = `Bulk ${randomUUID()}: once.`;
  const bulkId = `bulk-again-${randomUUID()}`;
  const input = {
    channelId: world.channelId('whatsapp'),
    audience: { recipients: world.contacts.slice(0, 3).map((c) => ({ contactId: c.id })) },
    text,
  };
  const first = await (await start(input, bulkId)).result();
  const second = await (await start(input, bulkId)).result();
  expect(second).toMatchObject({ state: 'completed', total: 3, sent: 3, failed: 0 });
  expect(first).toMatchObject({ sent: 3 });
  expect([...whatsappRecipients(text).values()]).toEqual([1, 1, 1]);
});

describe('refused before anything is sent or written', () => {
  const footprint = async () => ({
    runs: Number((await harness.db('bulk_runs').count<{ n: string }[]>('* as n'))[0]?.n),
    messages: Number((await harness.db('messages').count<{ n: string }[]>('* as n'))[0]?.n),
    twilio: sandbox.twilio.received.length,
    telegram: sandbox.telegram.sent.length,
  });
  const refused = async (input: Record<string, unknown>) => {
    const before = await footprint();
    const refusal = await refusalOf(start(input as unknown as BulkNotifyInput).then((h) => h.result()));
    expect(await footprint()).toEqual(before);
    return refusal;
  };

  test('an empty list', async () => {
    const refusal = await refused({
      channelId: world.channelId('whatsapp'),
      audience: { recipients: [] },
      text: 'Hi',
    });
    expect(refusal).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(refusal.message).toContain('give at least one recipient');
  });

  test('a query that matches nobody', async () => {
    const refusal = await refused({
      channelId: world.channelId('whatsapp'),
      audience: { query: { where: { city: `Atlantis-${randomUUID()}` } } },
      text: 'Hi',
    });
    expect(refusal).toMatchObject({
      type: 'EmptyAudience',
      details: { where: { city: expect.stringMatching(/^Atlantis-/) } },
    });
  });

  test('the website widget, which never starts sessions', async () => {
    const refusal = await refused({
      liveChatId: w.liveChat,
      channelId: w.widget,
      audience: { query: {} },
      text: 'Hi',
    });
    expect(refusal).toMatchObject({ type: 'ChannelCannotInitiate' });
  });

  test('a template variable that is not given, and a concurrency out of range', async () => {
    const recipients = world.contacts.slice(0, 2).map((c) => ({ contactId: c.id }));
    expect(
      await refused({
        channelId: world.channelId('whatsapp'),
        audience: { recipients },
        text: 'Order {{number}} is ready',
        variables: { name: 'Maria' },
      }),
    ).toMatchObject({ type: 'TemplateVariableMissing' });
    const refusal = await refused({
      channelId: world.channelId('whatsapp'),
      audience: { recipients },
      text: 'Hi',
      concurrency: 0,
    });
    expect(refusal).toMatchObject({ type: 'InvalidInput' });
    expect(refusal.message).toContain('concurrency');
  });

  test('a template naming a contact field no contact has, or a variable no recipient is given', async () => {
    const recipients = world.contacts.slice(0, 2).map((c) => ({ contactId: c.id }));
    const misspelt = await refused({
      channelId: world.channelId('whatsapp'),
      audience: { recipients },
      text: 'Hello {{contact.nmae}}',
    });
    expect(misspelt).toMatchObject({ type: 'InvalidInput' });
    expect(misspelt.message).toContain('contact.nmae');
    expect(
      await refused({
        channelId: world.channelId('whatsapp'),
        audience: { recipients: [{ ...recipients[0]!, variables: { code: 'A' } }, recipients[1]!] },
        text: 'Hello {{contact.name}}, your code is {{code}} and your coupon {{coupon}}',
      }),
    ).toMatchObject({ type: 'TemplateVariableMissing', details: { variable: 'coupon' } });
  });

  test('progress or cancel of a bulk that does not exist', async () => {
    await expect(bulkProgress(harness.client, `no-such-bulk-${randomUUID()}`)).rejects.toMatchObject({
      type: 'BulkNotFound',
    });
    await expect(cancelBulk(harness.client, `no-such-bulk-${randomUUID()}`)).rejects.toMatchObject({
      type: 'BulkNotFound',
    });
  });
});
